"""A bench-only probe (bench.load_test --gc-log): on PYTHONPATH, Python imports it in every process the server starts
(the app and its training worker), and it appends each garbage collection of generation 2 (the full ones, which walk
every tracked object with the interpreter's lock held) to GAN_GC_LOG/gc-<pid>.jsonl: when, how long, how many objects
it found to free, and how many are frozen out of its walks. Not how many it walked: gc.get_objects() hands out every
tracked object, a tuple another thread is still building included, and CPython then refuses to grow that tuple (the
likely cause of a SystemError in one load test). The app itself never loads this file."""

import gc
import json
import os
import time

_folder = os.environ.get("GAN_GC_LOG")
if _folder:
    _started = [0.0]
    _path = os.path.join(_folder, f"gc-{os.getpid()}.jsonl")
    with open("/proc/self/cmdline", "rb") as _cmdline:  # sys.argv is not set yet when sitecustomize runs
        _process = " ".join(part.decode(errors="replace") for part in _cmdline.read().split(b"\0")[1:4] if part)

    def _record(phase, info):
        if info.get("generation") != 2:
            return
        if phase == "start":
            _started[0] = time.perf_counter()
            return
        row = {"t": round(time.time(), 3), "ms": round((time.perf_counter() - _started[0]) * 1000, 1),
               "collected": info.get("collected"), "frozen": gc.get_freeze_count(),
               "process": _process}
        with open(_path, "a") as log:
            log.write(json.dumps(row) + "\n")

    gc.callbacks.append(_record)
