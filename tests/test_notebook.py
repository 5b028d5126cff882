"""The notebook of a run's exact model (gan_core.explore.notebook): generated for a real run of each family, executed
headless with nbclient for one short epoch on a small slice; the trained generator it loads draws the run's own
images, and it trains and saves."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import nbformat
import numpy as np
import pytest
from nbclient import NotebookClient

from gan_core import Run
from gan_core.explore.generators import Generator
from gan_core.explore.notebook import can_write, run_notebook
from gan_core.i18n import TEXTS
from gan_core.server.scheduler import Scheduler
from gan_core.training.config import recipe

DATASETS = Path(__file__).resolve().parents[2] / "shared" / "datasets"
if os.environ.get("GAN_DATA_DIR"):
    DATASETS = Path(os.environ["GAN_DATA_DIR"])
# One preset of each family, on the data it is made for; every run one tiny epoch (256 images, batch 32).
FAMILIES = {"mlp": {"dataset": "mnist"}, "dcgan-tf": {"dataset": "mnist"}, "cgan": {"dataset": "mnist"},
            "fast": {"dataset": "mnist"}, "fast-rgb": {"dataset": str(DATASETS / "birds"), "steps_per_epoch": 2}}
# What the test changes in the downloaded notebook, in a cell of its own after the hyper-parameters: a short epoch
# on a small slice, and the data from the offline copy instead of keras.datasets' download.
SHORT = {"EPOCHS": 1, "MAX_IMAGES": 96, "STEPS_PER_EPOCH": 2, "BATCH_SIZE": 32}
_runs: dict[str, Run] = {}


def tiny_run(preset: str, root: Path) -> Run:
    """A real finished run of `preset`, trained once per test session."""
    if preset not in _runs:
        config = recipe(preset, epochs=1, batch_size=32, max_images=256, **FAMILIES[preset])
        run = Run.create(root / preset, config, owner=f"notebook-{preset}")
        run.start(Scheduler(1))
        assert run.wait(600), f"the tiny {preset} run did not finish"
        snap = run.snapshot()
        assert snap.state.value == "finished", (preset, snap.message and snap.message.text("en"), snap.traceback)
        _runs[preset] = run
    return _runs[preset]


@pytest.fixture(scope="module")
def runs_root(tmp_path_factory):
    return tmp_path_factory.mktemp("notebook-runs")


def cell_index(notebook, tag: str) -> int:
    return next(i for i, cell in enumerate(notebook.cells) if tag in cell.metadata.get("tags", []))


def execute_notebook(folder: Path, dataset: str, work: Path) -> tuple[np.ndarray, np.ndarray, Generator]:
    """Download the notebook of a run's (or a bundled generator's) folder as the app gives it, put the folder's
    generator beside it under the name the notebook asks for, and run it headless. Returns (images the notebook's
    loaded G draws, Keras' images of the folder's generator.keras for the same latents and classes, that
    generator)."""
    weights = f"generator_{folder.name}.keras"
    data = run_notebook(folder, "en", weights_name=weights)
    notebook = nbformat.reads(data.decode("utf-8"), as_version=4)
    nbformat.validate(notebook)
    shutil.copyfile(folder / "generator.keras", work / weights)
    handle = Generator.load(folder / "generator.keras")
    latents = handle.sample_latents(6, 5)
    labels = (np.arange(6) % handle.num_classes).astype(np.int32) if handle.conditional else None
    np.save(work / "check_latents.npy", latents)
    overrides = "\n".join(f"{name} = {value!r}" for name, value in SHORT.items())
    if dataset == "mnist":
        overrides += f"\nDATA_FILE = {str(DATASETS / 'keras' / 'mnist.npz')!r}"
    else:
        overrides += f"\nPHOTOS_DIR = {dataset!r}"
    notebook.cells.insert(cell_index(notebook, "parameters") + 1, nbformat.v4.new_code_cell(overrides))
    notebook.cells.insert(cell_index(notebook, "weights") + 1, nbformat.v4.new_code_cell(
        "_z = np.load('check_latents.npy')\n"
        "_c = (np.arange(len(_z)) % NUM_CLASSES).reshape(-1, 1).astype('int32') if CONDITION == 'labels' else None\n"
        "np.save('check_images.npy', gan.sample(_z, _c))"))
    client = NotebookClient(notebook, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(work)}})
    previous = {key: os.environ.get(key) for key in ("TF_CPP_MIN_LOG_LEVEL", "CUDA_VISIBLE_DEVICES")}
    os.environ.update(TF_CPP_MIN_LOG_LEVEL="3", CUDA_VISIBLE_DEVICES="")  # the kernel inherits them
    try:
        client.execute()
    finally:
        for key, value in previous.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    outputs = "\n".join(str(output.get("text", "")) for cell in notebook.cells for output in cell.get("outputs", []))
    assert "trained generator loaded from" in outputs, outputs[-2000:]
    assert (work / "generator_continued.keras").is_file(), "it trained and saved"
    return np.load(work / "check_images.npy"), handle.generate(latents, labels), handle


@pytest.mark.parametrize("preset", [
    "mlp",
    pytest.param("dcgan-tf", marks=pytest.mark.slow),
    pytest.param("cgan", marks=pytest.mark.slow),
    pytest.param("fast", marks=pytest.mark.slow),
    pytest.param("fast-rgb", marks=pytest.mark.slow),
])
@pytest.mark.slow
def test_notebook_rebuilds_the_run_loads_its_generator_and_trains(preset, runs_root, tmp_path):
    run = tiny_run(preset, runs_root)
    loaded, expected, handle = execute_notebook(run.directory, run.config.dataset, tmp_path)
    assert loaded.shape == expected.shape == (6, *handle.image_shape)
    assert float(np.abs(loaded - expected).max()) <= 1e-5
    continued = Generator.load(tmp_path / "generator_continued.keras")  # what it saved: a generator the app explores
    assert continued.image_shape == handle.image_shape and continued.latent_dim == handle.latent_dim


@pytest.mark.parametrize("lang", ["es", "en"])
def test_notebook_is_plain_keras_in_the_pages_language(lang, runs_root):
    run = tiny_run("mlp", runs_root)
    notebook = json.loads(run_notebook(run.directory, lang))
    code = "\n".join(cell["source"] for cell in notebook["cells"] if cell["cell_type"] == "code")
    markdown = "\n".join(cell["source"] for cell in notebook["cells"] if cell["cell_type"] == "markdown")
    assert "gan_core" not in code and "import keras" in code
    assert TEXTS["notebook.generator"][lang] in markdown and TEXTS["notebook.loss"][lang].format(loss="log") in markdown
    # the run's own recipe: the MLP tutorial's layers and SGD, the classic log loss
    assert "layers.Dense(1024)" in code and "name='sgd'" in code and "LOSS = 'log'" in code
    compile(code.replace("display(", "print("), "notebook", "exec")  # valid Python throughout


def test_a_self_conditioned_run_without_its_groups_has_no_notebook(runs_root, tmp_path):
    folder = tmp_path / "run"
    shutil.copytree(tiny_run("mlp", runs_root).directory, folder)
    assert can_write(folder)
    config = json.loads((folder / "config.json").read_text())
    (folder / "config.json").write_text(json.dumps({**config, "clusters": 10}))
    assert not can_write(folder)


@pytest.mark.slow
def test_a_bundled_generators_notebook_loads_it_and_trains(tmp_path):
    from gan_core.explore.pretrained import PRETRAINED_DIR

    loaded, expected, _ = execute_notebook(PRETRAINED_DIR / "mnist-cgan", "mnist", tmp_path)
    assert float(np.abs(loaded - expected).max()) <= 1e-5
