"""Which framework and device train: the Keras backend of each process, GPU memory, TensorFlow thread pools, and a
human-readable description."""

from __future__ import annotations

import importlib.util
import logging
import os
import platform
import sys
import threading

QUIET_LEVEL = "3"  # TF_CPP_MIN_LOG_LEVEL at which TensorFlow's start-up lines stay off the console

# --- the Keras backend ------------------------------------------------------------------------------------------
BACKEND_ENV = "GAN_BACKEND"  # the framework runs train under; unset: Keras' own KERAS_BACKEND, else tensorflow
KERAS_BACKEND_ENV = "KERAS_BACKEND"
BACKENDS = {"tensorflow": "tensorflow", "jax": "jax", "torch": "torch"}  # backend → the package it needs
DEFAULT_BACKEND = "tensorflow"
MEMORY_FRACTION_ENV = "GAN_GPU_MEMORY_FRACTION"  # each training process's share of a GPU's memory; unset: growth


def requested_backend() -> str:
    """The backend named for training (GAN_BACKEND, else KERAS_BACKEND, else tensorflow), as written, lower case."""
    for name in (BACKEND_ENV, KERAS_BACKEND_ENV):
        value = (os.environ.get(name) or "").strip().lower()
        if value:
            return value
    return DEFAULT_BACKEND


def backend_installed(name: str) -> bool:
    return name in BACKENDS and importlib.util.find_spec(BACKENDS[name]) is not None


def training_backend() -> str:
    """The backend runs train under, checked: an unknown name, or one whose package this machine lacks, is refused
    in the person's language (the worker does not start, the CLI does not train) rather than quietly replaced."""
    from ..i18n import GanError

    name = requested_backend()
    if name not in BACKENDS:
        raise GanError("error.backend_unknown", value=name, choices=", ".join(BACKENDS))
    if not backend_installed(name):
        raise GanError("error.backend_missing", backend=name, package=BACKENDS[name])
    return name


def choose_keras_backend() -> None:
    """Set KERAS_BACKEND for this process before Keras is first imported (gan_core's __init__ calls this first).
    A process that trains (the CLI, the training worker, the doctor, a benchmark) takes the training backend; the
    app's own process (Streamlit's: streamlit is imported before gan_core) stays on TensorFlow, so its pages and the
    explorer do not change, and keeps the choice in GAN_BACKEND for the worker it starts. A backend that cannot be
    used leaves this process on TensorFlow; training_backend() refuses it where training would start."""
    if "keras" in sys.modules:
        return  # too late: whoever imported Keras chose
    requested = requested_backend()
    serves_pages = "streamlit" in sys.modules
    if serves_pages or not backend_installed(requested):
        keras_backend = (os.environ.get(KERAS_BACKEND_ENV) or "").strip()
        if keras_backend and keras_backend.lower() != DEFAULT_BACKEND:
            os.environ.setdefault(BACKEND_ENV, keras_backend)  # the choice stays for the processes that train
        os.environ[KERAS_BACKEND_ENV] = DEFAULT_BACKEND
    else:
        os.environ[KERAS_BACKEND_ENV] = requested


def memory_fraction() -> float | None:
    """GAN_GPU_MEMORY_FRACTION as a number in (0, 1], or None (unset: memory grows as a run needs it)."""
    from ..i18n import GanError

    text = (os.environ.get(MEMORY_FRACTION_ENV) or "").strip()
    if not text:
        return None
    try:
        fraction = float(text)
    except ValueError:
        fraction = -1.0
    if not 0.0 < fraction <= 1.0:
        raise GanError("error.memory_fraction", value=text)
    return fraction


def training_environment() -> dict:
    """What a training process's environment adds, set before it imports Keras: its backend, and GPU memory bounded
    so that several runs share a card. TensorFlow grows its memory as needed instead of taking the whole card
    (TF_FORCE_GPU_ALLOW_GROWTH, as configure() sets in-process); JAX does not preallocate 75% of the card
    (XLA_PYTHON_CLIENT_PREALLOCATE=false) or takes GAN_GPU_MEMORY_FRACTION of it; PyTorch's fraction is set in
    configure(). Raises GanError for a backend that cannot be used."""
    name = training_backend()
    env = {KERAS_BACKEND_ENV: name, BACKEND_ENV: name, "TF_FORCE_GPU_ALLOW_GROWTH": "true"}
    fraction = memory_fraction()
    if name == "jax":
        env["XLA_PYTHON_CLIENT_PREALLOCATE"] = "false"
        if fraction is not None:
            env["XLA_PYTHON_CLIENT_MEM_FRACTION"] = f"{fraction:.3f}"
    return env


# Packages Keras imports at its start whenever they are installed, for features this project never uses: its
# scikit-learn wrappers (sklearn), its image-gallery plot (matplotlib.pyplot), pandas frames as fit's input (pandas)
# and its notebook display of a saved file's contents (IPython). Each import is guarded in Keras (`except
# ImportError`). They were a third of every TensorFlow start here (bench/RESULTS.md, "The suite in session 16";
# bench/engine_start.py), in every process that trains or checks a model.
KERAS_UNUSED_EXTRAS = ("sklearn", "matplotlib", "pandas", "IPython")


def import_engine() -> None:
    """Keras (and TensorFlow, its backend here) imported first, the same way in every process that uses gan_core
    (the app, its training worker, a model check, the CLI):
    - without KERAS_UNUSED_EXTRAS: they are held back while Keras starts, and importable afterwards as usual (a
      page's chart imports matplotlib, the explorer scikit-learn, when they are needed);
    - quietly at TF_CPP_MIN_LOG_LEVEL 3 (the app sets it unless the teacher set a level): TensorFlow's C++ start-up
      chatter (CUDA probing, oneDNN, CPU features) is not for a teacher's console, which should show the address,
      the teacher hint and errors. The lines it writes while loading, before its logging starts, ignore that level
      and go straight to the process's stderr, so that is closed for the import; at any other level it is left
      open."""
    if "keras" in sys.modules:
        return
    held_back = [name for name in KERAS_UNUSED_EXTRAS if name not in sys.modules]
    for name in held_back:
        sys.modules[name] = None  # `import name` raises ImportError while this stands
    quiet = os.environ.get("TF_CPP_MIN_LOG_LEVEL") == QUIET_LEVEL
    if quiet:
        logging.getLogger("tensorflow").setLevel(logging.ERROR)  # its Python side: retracing notices and the like
        sys.stderr.flush()
        saved, devnull = os.dup(2), os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 2)
    try:
        import keras  # noqa: F401 - with the TensorFlow backend, TensorFlow with it
    finally:
        if quiet:
            os.dup2(saved, 2)
            os.close(saved)
            os.close(devnull)
        for name in held_back:
            if sys.modules.get(name, 0) is None:
                del sys.modules[name]


_configured = threading.Lock()
_state: dict = {}


def configure() -> dict:
    """Run once per process, before TensorFlow touches a GPU: memory growth on, thread pools sized.
    Returns {"gpus": [...names], "description": str}."""
    with _configured:
        if _state:
            return _state
        import keras
        import tensorflow as tf

        threads = int(os.environ.get("GAN_TF_THREADS", "0") or 0)
        slots = int(os.environ.get("GAN_MAX_CONCURRENT", "0") or 0)
        if threads <= 0 and slots > 1:
            # Several runs at once: share the cores instead of each run asking for all of them.
            threads = max(1, (os.cpu_count() or 2) // slots)
        if threads > 0:
            try:
                tf.config.threading.set_intra_op_parallelism_threads(threads)
                tf.config.threading.set_inter_op_parallelism_threads(max(1, threads // 2))
            except RuntimeError:  # TensorFlow already started: keep its pools
                pass
        backend = keras.backend.backend()
        gpu_names = _tensorflow_gpus(tf) if backend == "tensorflow" else _other_backend_gpus(tf, backend)
        cpu = f"CPU {platform.machine()} x{os.cpu_count()}"
        text = f"GPU {', '.join(gpu_names)}" if gpu_names else cpu
        if backend != DEFAULT_BACKEND:  # the page and the card say which framework trained, when not the usual one
            text = f"{text} ({backend})"
        _state.update(gpus=gpu_names, backend=backend, description=text)
        return _state


def _tensorflow_gpus(tf) -> list[str]:
    """TensorFlow's GPUs, each with memory growth on, or capped at GAN_GPU_MEMORY_FRACTION of the card."""
    names = []
    fraction = memory_fraction()
    for gpu in tf.config.list_physical_devices("GPU"):
        details = tf.config.experimental.get_device_details(gpu)
        try:
            if fraction is None:
                tf.config.experimental.set_memory_growth(gpu, True)
            else:
                total_mb = gpu_memory_mb()
                if total_mb:
                    tf.config.set_logical_device_configuration(
                        gpu, [tf.config.LogicalDeviceConfiguration(memory_limit=int(total_mb * fraction))])
        except RuntimeError:  # TensorFlow already started on the GPU: keep what it has
            pass
        names.append(details.get("device_name", gpu.name))
    return names


def gpu_memory_mb() -> int | None:
    """The first card's memory in MB, from nvidia-smi (None without it)."""
    import subprocess

    try:
        out = subprocess.run(["nvidia-smi", "--query-gpu=memory.total", "--format=csv,noheader,nounits"],
                             capture_output=True, text=True, timeout=10).stdout.split()
        return int(out[0]) if out else None
    except (OSError, ValueError, subprocess.SubprocessError):
        return None


def _other_backend_gpus(tf, backend: str) -> list[str]:
    """The GPUs JAX or PyTorch train on. TensorFlow only feeds the data (tf.data, on the CPU) there: it is kept off
    the GPUs, where it would otherwise hold memory of its own."""
    try:
        tf.config.set_visible_devices([], "GPU")
    except RuntimeError:
        pass
    if backend == "jax":
        import jax

        return [d.device_kind for d in jax.devices() if d.platform == "gpu"]
    if backend == "torch":
        import torch

        if not torch.cuda.is_available():
            return []
        fraction = memory_fraction()
        names = []
        for index in range(torch.cuda.device_count()):
            if fraction is not None:
                torch.cuda.set_per_process_memory_fraction(fraction, index)
            names.append(torch.cuda.get_device_name(index))
        return names
    return []


def description() -> str:
    return configure()["description"]


def gpu_count() -> int:
    return len(configure()["gpus"])


COMPILE_MODES = {"auto": "auto", "xla": True, "eager": False}  # GAN_COMPILE → keras' jit_compile


def compile_mode() -> str:
    """GAN_COMPILE: `auto` (the default, Keras' own choice: XLA on a GPU when the model allows it, none on a CPU),
    `xla` (always try XLA, or torch.compile on PyTorch) or `eager` (never: TensorFlow still traces a graph, without
    XLA). Anything else is refused in the person's language: a typo must not silently change how runs train."""
    from ..i18n import GanError

    mode = (os.environ.get("GAN_COMPILE", "auto") or "auto").strip().lower()
    if mode not in COMPILE_MODES:
        raise GanError("error.compile_mode", value=mode, choices=", ".join(COMPILE_MODES))
    return mode


def jit_compile_setting():
    """What GAN.compile passes as keras' jit_compile for GAN_COMPILE."""
    return COMPILE_MODES[compile_mode()]


def backend_description() -> str:
    """`tensorflow 2.21.0 (Keras 3.15.1)`: the framework that trains and its version."""
    import importlib

    import keras

    name = keras.backend.backend()
    module = importlib.import_module({"torch": "torch", "jax": "jax"}.get(name, name))
    return f"{name} {getattr(module, '__version__', '?')} (Keras {keras.__version__})"
