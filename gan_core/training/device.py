"""Which device trains: GPU memory growth, TensorFlow thread pools, and a human-readable description."""

from __future__ import annotations

import logging
import os
import platform
import sys
import threading

QUIET_LEVEL = "3"  # TF_CPP_MIN_LOG_LEVEL at which TensorFlow's start-up lines stay off the console


def import_tensorflow_quietly() -> None:
    """TensorFlow's C++ start-up chatter (CUDA probing, oneDNN, CPU features, the graph remapper) is not for a
    teacher's console, which should show the address, the teacher hint and errors. At TF_CPP_MIN_LOG_LEVEL 3 (the
    app sets it unless the teacher set a level) its C++ log keeps to fatal errors; but the lines it writes while
    loading, before its logging starts, ignore that level and go straight to the process's stderr, so that is closed
    for the import. gan_core imports TensorFlow here first, so every process that uses it (the app, its training
    worker) starts the same way; at any other level nothing changes."""
    if os.environ.get("TF_CPP_MIN_LOG_LEVEL") != QUIET_LEVEL or "tensorflow" in sys.modules:
        return
    logging.getLogger("tensorflow").setLevel(logging.ERROR)  # its Python side: retracing notices and the like
    sys.stderr.flush()
    saved, devnull = os.dup(2), os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    try:
        import tensorflow  # noqa: F401
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


_configured = threading.Lock()
_state: dict = {}


def configure() -> dict:
    """Run once per process, before TensorFlow touches a GPU: memory growth on, thread pools sized.
    Returns {"gpus": [...names], "description": str}."""
    with _configured:
        if _state:
            return _state
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
        gpu_names = []
        for gpu in tf.config.list_physical_devices("GPU"):
            try:
                tf.config.experimental.set_memory_growth(gpu, True)
            except RuntimeError:
                pass
            details = tf.config.experimental.get_device_details(gpu)
            gpu_names.append(details.get("device_name", gpu.name))
        cpu = f"CPU {platform.machine()} x{os.cpu_count()}"
        _state.update(gpus=gpu_names, description=f"GPU {', '.join(gpu_names)}" if gpu_names else cpu)
        return _state


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
