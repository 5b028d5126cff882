"""What every benchmark prints first: the date and the hardware its figures came from."""

from __future__ import annotations

import os
import platform
import time


def cpu_name() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            for line in info:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def hardware() -> str:
    import tensorflow as tf

    gpus = tf.config.list_physical_devices("GPU")
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    device = f", GPU x{len(gpus)}" if gpus else ", no GPU"
    return f"{cpu_name()}, {cores} cores{device}; TensorFlow {tf.__version__}"


def header(title: str) -> None:
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"# {title}")
    print(f"date: {time.strftime('%Y-%m-%d %H:%M')}; {hardware()}; load average at start {load:.2f}")
    print(flush=True)
