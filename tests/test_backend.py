"""Training under another Keras backend (GAN_BACKEND, or Keras' own KERAS_BACKEND): the CLI and the training worker
train a whole run there (grids, checkpoints, resume, export), the exported generator loads in this TensorFlow
process with safe_mode=True, and a backend that cannot be used is refused in the reader's language before anything
starts. The real runs need the backend's package: they are skipped, with the reason, where it is absent."""

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from gan_core import GanError, Run, RunState
from gan_core.explore.generators import Generator
from gan_core.server import worker
from gan_core.server.scheduler import Scheduler
from gan_core.training import device
from gan_core.training.config import recipe

ROOT = Path(__file__).resolve().parents[1]
MISSING_REASON = {
    "jax": "jax is not installed here; `pip install \"jax[cpu]\"` (a light CPU build) runs these tests",
    "torch": "torch is not installed here: PyPI's torch wheel brings the CUDA libraries (gigabytes) and "
             "download.pytorch.org's CPU build is not reachable from this machine",
}


def needs(backend: str):
    return pytest.mark.skipif(importlib.util.find_spec(backend) is None, reason=MISSING_REASON[backend])


def cli(*args, cwd, backend: str | None = None, lang: str = "en"):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TF_CPP_MIN_LOG_LEVEL": "3"}
    env.pop("KERAS_BACKEND", None)
    if backend is not None:
        env["GAN_BACKEND"] = backend
    return subprocess.run([sys.executable, "-m", "gan_core", "--lang", lang, *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=500)


@pytest.fixture
def no_backend_setting(monkeypatch):
    monkeypatch.delenv("GAN_BACKEND", raising=False)
    monkeypatch.delenv("KERAS_BACKEND", raising=False)


def test_gan_backend_names_the_training_backend_and_keras_backend_stands_in_for_it(no_backend_setting, monkeypatch):
    assert device.training_backend() == "tensorflow"
    assert device.training_environment()["KERAS_BACKEND"] == "tensorflow"
    monkeypatch.setenv("KERAS_BACKEND", "Tensorflow ")
    assert device.training_backend() == "tensorflow"
    monkeypatch.setenv("KERAS_BACKEND", "jax")
    assert device.requested_backend() == "jax"
    monkeypatch.setenv("GAN_BACKEND", "tensorflow")  # GAN_BACKEND wins over Keras' own setting
    assert device.training_backend() == "tensorflow"
    import keras

    assert keras.backend.backend() == "tensorflow"  # this process (the app's, the tests') stays on TensorFlow


BACKEND_OF_A_PROCESS = """
import os, sys
if sys.argv[1] == "app":
    import streamlit  # noqa: F401 - `streamlit run app.py` imports it before gan_core
import gan_core  # noqa: F401 - sets this process's backend before Keras is imported
import keras
from gan_core.training import device
print(keras.backend.backend(), os.environ.get("GAN_BACKEND"), device.training_environment()["KERAS_BACKEND"])
"""


@needs("jax")
@pytest.mark.parametrize("process, expected", [("app", "tensorflow jax jax"), ("cli", "jax None jax")])
def test_keras_backend_moves_the_training_processes_and_the_app_stays_on_tensorflow(tmp_path, process, expected):
    """KERAS_BACKEND=jax with GAN_BACKEND unset: a process that trains imports Keras on JAX; the app's process
    imports it on TensorFlow and keeps the choice in GAN_BACKEND for the worker it starts."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TF_CPP_MIN_LOG_LEVEL": "3", "KERAS_BACKEND": "jax"}
    env.pop("GAN_BACKEND", None)
    done = subprocess.run([sys.executable, "-c", BACKEND_OF_A_PROCESS, process], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip().splitlines()[-1] == expected


def test_an_unknown_backend_is_refused_in_the_readers_language(no_backend_setting, monkeypatch):
    monkeypatch.setenv("GAN_BACKEND", "turbo")
    with pytest.raises(GanError) as refused:
        device.training_backend()
    assert refused.value.text("en") == ("GAN_BACKEND (or KERAS_BACKEND) “turbo” is not a known training framework. "
                                        "Values: tensorflow, jax, torch.")
    assert refused.value.text("es").startswith("GAN_BACKEND (o KERAS_BACKEND) «turbo» no es un marco")
    monkeypatch.delenv("GAN_BACKEND")
    monkeypatch.setenv("KERAS_BACKEND", "theano")
    with pytest.raises(GanError, match="theano"):
        device.training_backend()


@pytest.mark.skipif(importlib.util.find_spec("torch") is not None, reason="torch is installed here: not absent")
def test_a_backend_whose_package_is_absent_is_refused_with_the_package_named(no_backend_setting, monkeypatch):
    monkeypatch.setenv("GAN_BACKEND", "torch")
    with pytest.raises(GanError) as refused:
        device.training_backend()
    assert refused.value.message.key == "error.backend_missing"
    assert "“torch” is not installed" in refused.value.text("en") and "«torch» no está instalado" in \
        refused.value.text("es")


def test_the_worker_does_not_start_with_an_unusable_backend_and_the_run_says_why(tmp_path, no_backend_setting,
                                                                                 monkeypatch):
    monkeypatch.setenv("GAN_BACKEND", "turbo")
    with pytest.raises(GanError):
        worker.Worker()  # refused before any process starts
    scheduler = Scheduler(1, drive=worker.drive)
    run = Run.create(tmp_path / "ana", recipe("mlp", epochs=1, batch_size=32, max_images=64), owner="ana")
    run.start(scheduler)
    assert run.wait(60)
    snap = run.snapshot()
    assert snap.state == RunState.FAILED and snap.message.key == "error.backend_unknown"
    assert run.remote_pid is None and scheduler.jobs() == {"running": [], "queued": []}
    assert not (run.directory / "generator.keras").exists()


def test_a_class_server_with_an_unusable_backend_starts_without_its_worker(tmp_path, no_backend_setting,
                                                                           monkeypatch, caplog):
    from gan_core.server.registry import RunRegistry

    monkeypatch.setenv(worker.TRAIN_IN_ENV, "worker")
    monkeypatch.setenv("GAN_BACKEND", "turbo")
    registry = RunRegistry(tmp_path)
    with caplog.at_level("ERROR"):
        registry.start_worker()  # the pages' start: no exception, the reason on the console
    assert "training worker not started: GAN_BACKEND (or KERAS_BACKEND) “turbo”" in caplog.text


def test_the_cli_refuses_an_unusable_backend_before_training(tmp_path):
    refused = cli("train", "--preset", "mlp", "--epochs", "1", "--out", "runs/x", cwd=tmp_path, backend="turbo",
                  lang="es")
    assert refused.returncode == 2, refused.stderr[-2000:]
    assert "error: GAN_BACKEND (o KERAS_BACKEND) «turbo» no es un marco de entrenamiento conocido" in refused.stderr
    assert not (tmp_path / "runs").exists()


def test_a_training_process_gets_its_gpu_memory_bounded(no_backend_setting, monkeypatch):
    """Several runs share a card: memory grows as a run needs it (TensorFlow), JAX does not preallocate three
    quarters of the card, or each process takes GAN_GPU_MEMORY_FRACTION of it."""
    assert device.training_environment()["TF_FORCE_GPU_ALLOW_GROWTH"] == "true"
    monkeypatch.setenv("GAN_GPU_MEMORY_FRACTION", "2")
    with pytest.raises(GanError) as refused:
        device.training_environment()
    assert "GAN_GPU_MEMORY_FRACTION “2” is not valid" in refused.value.text("en")
    if importlib.util.find_spec("jax") is None:
        return
    monkeypatch.setenv("GAN_BACKEND", "jax")
    monkeypatch.setenv("GAN_GPU_MEMORY_FRACTION", "0.25")
    env = device.training_environment()
    assert env["KERAS_BACKEND"] == "jax" and env["XLA_PYTHON_CLIENT_PREALLOCATE"] == "false"
    assert env["XLA_PYTHON_CLIENT_MEM_FRACTION"] == "0.250"


def loads_here(path: Path, shape: tuple) -> None:
    """The exported generator, loaded as the app loads any generator (archive checked, safe_mode=True) in this
    TensorFlow process, makes images of `shape` in [-1, 1]."""
    generator = Generator.load(path)
    images = generator.generate(generator.sample_latents(4, seed=1),
                                np.zeros(4, np.int32) if generator.conditional else None)
    assert images.shape == (4, *shape) and np.all(np.isfinite(images)) and np.abs(images).max() <= 1.0


@pytest.mark.slow  # two short real runs in a subprocess (a backend's start-up and its first compiled step)
@pytest.mark.parametrize("backend", [pytest.param("jax", marks=needs("jax")),
                                     pytest.param("torch", marks=needs("torch"))])
def test_the_cli_trains_resumes_and_exports_under_the_backend(tmp_path, backend):
    trained = cli("train", "--preset", "fast", "--dataset", "mnist", "--epochs", "2", "--batch", "32",
                  "--max-images", "128", "--out", "runs/x", cwd=tmp_path, backend=backend)
    assert trained.returncode == 0, trained.stderr[-3000:]
    assert "finished: epoch 2/2, step 8" in trained.stdout
    run_dir = tmp_path / "runs/x"
    card = json.loads((run_dir / "card.json").read_text())
    assert card["hardware"].endswith(f"({backend})") and card["steps"] == 8
    resumed = cli("resume", "runs/x", "--extra-epochs", "1", cwd=tmp_path, backend=backend)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert "finished: epoch 3/3, step 12" in resumed.stdout
    run = Run.open(run_dir)
    assert run.state == RunState.FINISHED and run.progress.grid_epochs == [0, 1, 2, 3]
    steps = run.progress.steps
    assert steps["step"] == list(range(1, 13)) and np.all(np.isfinite(steps["g_loss"] + steps["d_loss"]))
    assert run.kept_epochs()  # checkpoints to resume from and explore
    loads_here(run_dir / "generator.keras", (28, 28, 1))


@pytest.mark.slow  # a short real run in the worker process, then one more epoch from its checkpoint there
@needs("jax")
def test_the_worker_trains_under_the_backend_and_the_app_loads_its_generator(tmp_path, monkeypatch):
    monkeypatch.setenv("GAN_BACKEND", "jax")
    scheduler = Scheduler(1, drive=worker.drive)
    run = Run.create(tmp_path / "ana", recipe("fast-rgb", dataset="cifar_animals", epochs=1, batch_size=32,
                                              max_images=96, steps_per_epoch=3), owner="ana")
    run.start(scheduler)
    assert run.wait(400)
    snap = run.snapshot()
    assert snap.state == RunState.FINISHED, (snap.message, snap.traceback)
    assert run.remote_pid == worker.worker().process.pid != os.getpid()
    assert snap.device.endswith("(jax)") and snap.step == 3
    run.resume_training(extra_epochs=1, scheduler=scheduler)  # on from its checkpoint, in the same worker
    assert run.wait(400)
    snap = run.snapshot()
    assert snap.state == RunState.FINISHED and snap.step == 6 and snap.grid_epochs == [0, 1, 2]
    loads_here(run.directory / "generator.keras", (32, 32, 3))


JAX_FALLBACK = """
import json
from gan_core.training import doctor  # first: gan_core sets the backend before Keras is imported
import numpy as np
import keras
from keras import ops
from gan_core.training.config import recipe
from gan_core.training.gan import GAN

class Untraceable(GAN):
    def prepare_real(self, data):
        if float(ops.max(data)) < 0:  # a Python branch on a value: fine eagerly, cannot be traced by jax.jit
            data = -data
        return super().prepare_real(data)

built, data, _ = doctor.build_for_check("mlp", "mnist", 128, batch_size=16)
gan = Untraceable(built.generator, built.discriminator, recipe("mlp", dataset="mnist", batch_size=16))
gan.compile(built.g_optimizer, built.d_optimizer)
jitted = gan.jit_compile
before = [w.copy() for w in gan.generator.get_weights()]
history = gan.fit(data, epochs=1, steps_per_epoch=3, verbose=0, shuffle=False)
result = {"backend": keras.backend.backend(), "jitted": jitted, "after": gan.jit_compile,
          "fallback": gan.compile_fallback, "g_loss": history.history["g_loss"][0],
          "trained": any(not np.array_equal(a, b) for a, b in zip(before, gan.generator.get_weights()))}

# The penalty's gradient of a gradient, with D's BatchNorm and DiffAugment's draws inside it, jitted.
from gan_core.training.trainer import build_gan
config = recipe("dcgan-bn", dataset="mnist", batch_size=16, loss="wgan_gp", d_steps=2,
                diff_augment="color,translation,cutout")
wgan = build_gan(config, (28, 28, 1), 10)
wgan_history = wgan.fit(data, epochs=1, steps_per_epoch=2, verbose=0, shuffle=False)
result.update(wgan_jitted=wgan.jit_compile and wgan.compile_fallback is None,
              wgan_d_loss=wgan_history.history["d_loss"][0], d_steps=int(wgan.d_optimizer.iterations.numpy()))
print(json.dumps(result))
"""


@pytest.mark.slow  # a JAX process's start-up
@needs("jax")
def test_under_jax_training_goes_on_eagerly_when_the_jitted_step_fails_and_wgan_gp_jits(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TF_CPP_MIN_LOG_LEVEL": "3", "GAN_BACKEND": "jax"}
    env.pop("GAN_COMPILE", None)
    env.pop("KERAS_BACKEND", None)
    done = subprocess.run([sys.executable, "-c", JAX_FALLBACK], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=500)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["backend"] == "jax" and result["jitted"] is True  # GAN_COMPILE auto: JAX jits, on a CPU too
    assert result["after"] is False and result["fallback"].startswith("ConcretizationTypeError"), result
    assert "compiled step failed, training without XLA" in done.stderr
    assert np.isfinite(result["g_loss"]) and result["trained"]
    assert result["wgan_jitted"] and np.isfinite(result["wgan_d_loss"]) and result["d_steps"] == 4  # 2 steps x 2


def test_a_process_starts_keras_without_the_packages_it_would_load_for_features_gan_core_never_uses():
    """gan_core.training.device.import_engine: a fresh process that imports gan_core has Keras and TensorFlow but not
    scikit-learn, matplotlib, pandas or IPython (Keras loads them at its start when installed, a third of
    TensorFlow's start here: bench/RESULTS.md), and a page that needs one imports it afterwards as usual."""
    probe = ("import sys, gan_core, keras, tensorflow\n"
             "print(sorted(name for name in ('sklearn', 'matplotlib', 'pandas', 'IPython') if name in sys.modules))\n"
             "import numpy as np\n"
             "from sklearn.decomposition import PCA\n"  # the explorer's principal directions
             "from matplotlib.figure import Figure\n"  # the live page's charts
             "import pandas\n"  # the playground's tables
             "print(PCA(2).fit(np.eye(4)).n_components_, type(Figure()).__name__, len(pandas.DataFrame({'a': [1]})))\n")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TF_CPP_MIN_LOG_LEVEL": "2"}
    done = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    lines = done.stdout.splitlines()
    assert lines[0] == "[]", lines
    assert lines[-1] == "2 Figure 1", lines
