"""The notebook of a run's exact model (gan_core.explore.notebook): downloaded as the app gives it (a zip with the
generator and the training state beside it) for a real run of each family, executed headless with nbclient for one
short epoch on a small slice; the generator it loads draws the run's own images, the D it loads gives the run's D's
logits, training goes on from the run's optimizer steps, and it saves."""

from __future__ import annotations

import io
import json
import os
import shutil
import zipfile
from pathlib import Path

import nbformat
import numpy as np
import pytest
from nbclient import NotebookClient

from gan_core import Run
from gan_core.explore.generators import Generator
from gan_core.explore.notebook import can_write, has_discriminator, run_notebook, take_home_zip
from gan_core.i18n import TEXTS
from gan_core.server.scheduler import Scheduler
from gan_core.training.config import recipe
from gan_core.training.presets import get_preset

DATASETS = Path(__file__).resolve().parents[2] / "shared" / "datasets"
if os.environ.get("GAN_DATA_DIR"):
    DATASETS = Path(os.environ["GAN_DATA_DIR"])
# One preset of each family, on the data it is made for; every run one tiny epoch (96 images, batch 32: three steps):
# as many images as the notebook's own short epoch takes (SHORT), since a self-conditioned run's groups are
# those of its own images.
FAMILIES = {"mlp": {"dataset": "mnist"}, "dcgan-tf": {"dataset": "mnist"}, "cgan": {"dataset": "mnist"},
            "fast": {"dataset": "mnist"}, "fast-rgb": {"dataset": str(DATASETS / "birds"), "steps_per_epoch": 2}}
# What the test changes in the downloaded notebook, in a cell of its own after the hyper-parameters: a short epoch
# on a small slice, and the data from the offline copy instead of keras.datasets' download.
SHORT = {"EPOCHS": 1, "MAX_IMAGES": 96, "STEPS_PER_EPOCH": 2, "BATCH_SIZE": 32}
_runs: dict[str, Run] = {}


def tiny_run(preset: str, root: Path) -> Run:
    """A real finished run of `preset`, trained once per test session."""
    if preset not in _runs:
        config = recipe(preset, epochs=1, batch_size=32, max_images=SHORT["MAX_IMAGES"], **FAMILIES[preset])
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


@pytest.fixture(scope="module")
def kernel():
    """One Jupyter kernel for the module's notebooks, as a student's Jupyter would start it for the first: every
    notebook after that starts with `%reset -f` (nothing it did not define itself is left to it, so a missing import
    still fails) in its own folder. What the kernel keeps is Python's module cache: the second notebook's
    `import keras` does not start TensorFlow again (5 CPU-s a notebook)."""
    from jupyter_client.manager import KernelManager

    manager = KernelManager(kernel_name="python3")
    with pytest.MonkeyPatch.context() as patch:  # the kernel inherits them
        patch.setenv("TF_CPP_MIN_LOG_LEVEL", "3")
        patch.setenv("CUDA_VISIBLE_DEVICES", "")
        manager.start_kernel()
    yield manager
    manager.shutdown_kernel(now=True)


def cell_index(notebook, tag: str) -> int:
    return next(i for i, cell in enumerate(notebook.cells) if tag in cell.metadata.get("tags", []))


def discriminator_inputs(handle: Generator, classes: int):
    """A fixed batch for D: 6 images in [-1, 1] of the generator's shape (seed 3) and, for a conditional D, a class
    each."""
    images = np.random.default_rng(3).uniform(-1, 1, (6, *handle.image_shape)).astype(np.float32)
    return images, ((np.arange(6) % classes).reshape(-1, 1).astype(np.int32) if classes else None)


def discriminator_classes(folder: Path, handle: Generator) -> int:
    """What D is told about an image: a conditional generator's classes, a self-conditioned run's groups, or 0."""
    if handle.num_classes:
        return handle.num_classes
    if (folder / "clusters.npz").is_file():
        with np.load(folder / "clusters.npz") as saved:
            return int(saved["groups"].max()) + 1
    return 0


def run_discriminator_logits(folder: Path, images, condition) -> np.ndarray:
    """The run's own D on a batch: its preset's discriminator with the last checkpoint's weights, as
    gan_core.training.run_folder.load_checkpoint puts them."""
    config = json.loads((folder / "config.json").read_text())
    handle = Generator.load(folder / "generator.keras")
    classes = discriminator_classes(folder, handle)
    discriminator = get_preset(config["preset"]).build_discriminator(handle.image_shape, classes)
    with np.load(folder / "checkpoints" / "last.npz") as saved:
        for index, variable in enumerate(discriminator.weights):
            variable.assign(saved[f"discriminator/{index:04d}"])
    return np.asarray(discriminator([images, condition] if condition is not None else images, training=False))


def execute_notebook(folder: Path, dataset: str, work: Path, kernel) -> dict:
    """Download the notebook of a run's (or a bundled generator's) folder as the app gives it (the zip), unzip it
    and run it headless in `kernel`. Returns what it drew and held: "images" (its loaded G for fixed latents),
    "expected" (Keras' images of the folder's generator.keras for the same latents), "handle" (that generator),
    "logits" (its loaded D on discriminator_inputs), "steps_before"/"steps_after" (G's and D's optimizer steps when
    loaded and after training), "outputs" (the cells' printed text)."""
    weights = f"generator_{folder.name}.keras"
    with zipfile.ZipFile(io.BytesIO(take_home_zip(folder, "en", "run", weights, work))) as archive:
        archive.extractall(work)
    notebook = nbformat.read(work / "run.ipynb", as_version=4)
    nbformat.validate(notebook)
    handle = Generator.load(folder / "generator.keras")
    latents = handle.sample_latents(6, 5)
    labels = (np.arange(6) % handle.num_classes).astype(np.int32) if handle.conditional else None
    np.save(work / "check_latents.npy", latents)
    images, condition = discriminator_inputs(handle, discriminator_classes(folder, handle))
    np.save(work / "check_batch.npy", images)
    np.save(work / "check_condition.npy", condition if condition is not None else np.zeros((6, 1), np.int32))
    short = dict(SHORT)
    if (folder / "clusters.npz").is_file():  # self-conditioned: a slice longer than the images the run grouped
        short["MAX_IMAGES"] = 2 * SHORT["MAX_IMAGES"]
    overrides = "\n".join(f"{name} = {value!r}" for name, value in short.items())
    if dataset == "mnist":
        overrides += f"\nDATA_FILE = {str(DATASETS / 'keras' / 'mnist.npz')!r}"
    else:
        overrides += f"\nPHOTOS_DIR = {dataset!r}"
    steps = "np.array([int(gan.g_optimizer.iterations), int(gan.d_optimizer.iterations)])"
    notebook.cells.insert(cell_index(notebook, "parameters") + 1, nbformat.v4.new_code_cell(overrides))
    notebook.cells.insert(cell_index(notebook, "state") + 1, nbformat.v4.new_code_cell(
        "_z = np.load('check_latents.npy')\n"
        "_c = (np.arange(len(_z)) % NUM_CLASSES).reshape(-1, 1).astype('int32') if CONDITION == 'labels' else None\n"
        "np.save('check_images.npy', gan.sample(_z, _c))\n"
        "_x, _d = np.load('check_batch.npy'), np.load('check_condition.npy')\n"
        "np.save('check_logits.npy', ops.convert_to_numpy(gan.discriminator([_x, _d] if CONDITION else _x, "
        "training=False)))\n"
        f"np.save('check_steps_before.npy', {steps})"))
    notebook.cells.append(nbformat.v4.new_code_cell(f"np.save('check_steps_after.npy', {steps})"))
    notebook.cells.insert(0, nbformat.v4.new_code_cell(f"%reset -f\nimport os\nos.chdir({str(work)!r})"))
    client = NotebookClient(notebook, km=kernel, timeout=300, kernel_name="python3")
    try:
        client.execute()
    finally:
        if client.kc is not None:
            client.kc.stop_channels()
    outputs = "".join(str(output.get("text", "")) for cell in notebook.cells for output in cell.get("outputs", []))
    assert "trained generator loaded from" in outputs, outputs[-2000:]
    assert (work / "generator_continued.keras").is_file(), "it trained and saved"
    return {"images": np.load(work / "check_images.npy"), "expected": handle.generate(latents, labels),
            "handle": handle, "logits": np.load(work / "check_logits.npy"), "batch": (images, condition),
            "steps_before": np.load(work / "check_steps_before.npy"),
            "steps_after": np.load(work / "check_steps_after.npy"), "outputs": outputs}


@pytest.mark.parametrize("preset", ["mlp", "dcgan-tf", "cgan", "fast", "fast-rgb"])
@pytest.mark.slow
def test_notebook_rebuilds_the_run_loads_its_generator_and_trains(preset, runs_root, kernel, tmp_path):
    run = tiny_run(preset, runs_root)
    result = execute_notebook(run.directory, run.config.dataset, tmp_path, kernel)
    handle = result["handle"]
    assert result["images"].shape == result["expected"].shape == (6, *handle.image_shape)
    grouped = (run.directory / "clusters.npz").is_file()
    assert grouped == (preset == "fast"), preset  # the self-conditioned preset among these runs
    if grouped:  # it trains on the images the run grouped, not on the longer slice the notebook asks for
        assert f"The run grouped its first {SHORT['MAX_IMAGES']} images: training on those" in result["outputs"]
    assert float(np.abs(result["images"] - result["expected"]).max()) <= 1e-5
    # its D is the run's D: the same logits on a fixed batch
    expected_logits = run_discriminator_logits(run.directory, *result["batch"])
    assert result["logits"].shape == expected_logits.shape
    assert float(np.abs(result["logits"] - expected_logits).max()) <= 1e-4
    # and training goes on from the run's optimizers: their step counts carry on from the run's, two G steps more
    with np.load(run.directory / "checkpoints" / "last.npz") as saved:
        run_steps = [int(saved["g_optimizer/0000"]), int(saved["d_optimizer/0000"])]
        saved_groups = {key.split("/")[0] for key in saved.files} - {"seed", "meta"}
    assert run_steps[0] > 0 and list(result["steps_before"]) == run_steps
    assert result["steps_after"][0] == run_steps[0] + SHORT["STEPS_PER_EPOCH"]
    assert result["steps_after"][1] > run_steps[1]
    # every part of the run's state fitted the notebook's models (G, D, optimizers, the moving average where used)
    assert {"generator", "discriminator", "g_optimizer", "d_optimizer"} <= saved_groups
    for group in saved_groups:
        assert f"{group} loaded from training_run.npz" in result["outputs"], result["outputs"][-2000:]
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
def test_a_bundled_generators_notebook_loads_it_and_trains(kernel, tmp_path):
    from gan_core.training.pretrained import PRETRAINED_DIR

    result = execute_notebook(PRETRAINED_DIR / "mnist-cgan", "mnist", tmp_path, kernel)
    assert float(np.abs(result["images"] - result["expected"]).max()) <= 1e-5
    # it ships without its D: the zip has no training state, and the notebook says D starts afresh
    assert not has_discriminator(PRETRAINED_DIR / "mnist-cgan")
    assert not (tmp_path / "training_run.npz").exists()
    assert "D starts from random weights" in result["outputs"]
    assert list(result["steps_after"]) != [0, 0] and result["steps_before"][0] == 0


def test_a_runs_zip_carries_the_notebook_its_generator_and_its_training_state(runs_root, tmp_path):
    run = tiny_run("mlp", runs_root)
    data = take_home_zip(run.directory, "es", "mi-gan", "generator_mi-gan.keras", tmp_path)
    assert list(tmp_path.iterdir()) == [], "built in the work folder and deleted"
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert sorted(archive.namelist()) == ["generator_mi-gan.keras", "mi-gan.ipynb", "training_mi-gan.npz"]
        notebook = json.loads(archive.read("mi-gan.ipynb"))
        with np.load(io.BytesIO(archive.read("training_mi-gan.npz"))) as state, \
                np.load(run.directory / "checkpoints" / "last.npz") as checkpoint:
            groups = {key.split("/")[0] for key in state.files}
            assert {"generator", "discriminator", "g_optimizer", "d_optimizer"} <= groups and "seed" not in groups
            assert all(np.array_equal(state[key], checkpoint[key]) for key in state.files)
    code = "\n".join(cell["source"] for cell in notebook["cells"] if cell["cell_type"] == "code")
    markdown = "\n".join(cell["source"] for cell in notebook["cells"] if cell["cell_type"] == "markdown")
    assert "STATE_FILE = 'training_mi-gan.npz'" in code and "WEIGHTS_FILE = 'generator_mi-gan.keras'" in code
    assert TEXTS["notebook.state"]["es"].format(state="training_mi-gan.npz") in markdown
    assert TEXTS["notebook.fresh_d"]["es"] not in markdown


def test_a_bundled_generators_d_reaches_the_notebooks_d_in_order():
    """birds ships its D by layer path (networks.npz): put in the notebook's order, the D the notebook's own code
    builds gives the same logits as the preset's D loaded by path (as a transfer run loads it)."""
    import keras
    from keras import layers

    from gan_core.explore.notebook import model_code, training_state
    from gan_core.training.pretrained import PRETRAINED_DIR

    folder = PRETRAINED_DIR / "birds"
    assert has_discriminator(folder) and not has_discriminator(PRETRAINED_DIR / "mnist-cgan")
    card = json.loads((folder / "card.json").read_text())
    by_path = get_preset(card["preset"]).build_discriminator(tuple(card["image_shape"]), 0)
    with np.load(folder / "networks.npz") as saved:
        for variable in by_path.weights:
            variable.assign(saved[f"discriminator/{variable.path}"])
    namespace = {"keras": keras, "layers": layers}
    exec(model_code(by_path, "build_discriminator"), namespace)  # the notebook's D cell
    rebuilt = namespace["build_discriminator"]()
    state = training_state(folder)
    assert sorted(state) == [f"discriminator/{index:04d}" for index in range(len(rebuilt.weights))]
    for index, variable in enumerate(rebuilt.weights):
        variable.assign(state[f"discriminator/{index:04d}"])
    images = np.random.default_rng(3).uniform(-1, 1, (4, *card["image_shape"])).astype(np.float32)
    expected = np.asarray(by_path(images, training=False))
    assert float(np.abs(np.asarray(rebuilt(images, training=False)) - expected).max()) <= 1e-5
    assert float(np.abs(expected).max()) > 0
