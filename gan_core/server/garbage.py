"""Python's garbage collector in a class server's long-lived processes: the objects of the imports leave its scans.

A full collection (generation 2) walks every object the interpreter tracks, with the interpreter's lock held, so
every page of every student waits for it. Once TensorFlow, Keras, Streamlit, plotly, matplotlib and the engine are
imported the app tracks about 540,000 objects, and one full collection took 250-600 ms on the class's 2-core server;
in the load test the app ran one every 20 s or so, and those pauses were the slider answers' slow tail
(`bench.load_test --gc-log`, bench/RESULTS.md). The imported objects live as long as the process, so scanning them
finds nothing: `gc.freeze()` moves every object tracked at that moment out of the collector's generations for good,
and a full collection scans only what pages and runs made since. Reference counting frees objects as before; only a
reference cycle among the frozen objects is never collected, and those live for the whole process anyway."""

from __future__ import annotations

import gc
import importlib
import threading

_lock = threading.Lock()
_frozen = False


def freeze_startup_objects(*modules: str) -> bool:
    """Once per process: import `modules` (what the process would import on first use), collect the garbage there is
    now, and freeze every object still tracked. True for the call that froze; later calls do nothing."""
    global _frozen
    with _lock:
        if _frozen:
            return False
        for name in modules:
            importlib.import_module(name)
        gc.collect()
        gc.freeze()
        _frozen = True
        return True
