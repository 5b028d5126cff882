"""Python's garbage collector in a class server's long-lived processes (the app, its training worker).

A full collection (generation 2) walks every object the interpreter tracks, with the interpreter's lock held, so
every page of every student waits for it. Two things make those pauses rarer and shorter (bench.load_test
--gc-log, bench/RESULTS.md):

- The imports' objects leave the collector's scans. Once TensorFlow, Keras, Streamlit, plotly, matplotlib and the
  engine are imported the app tracks about 540,000 objects, alive until the process ends; a full collection walked
  them all (250-600 ms on the class's 2-core server) and found nothing to free among them. `gc.freeze()` moves every
  object tracked at that moment out of the collector's generations for good. Reference counting frees objects as
  before; only a reference cycle among the frozen objects is never collected, and those live as long anyway.
- In the app, full collections come after FULL_COLLECTION_AFTER collections of the middle generation instead of
  Python's 10. With the imports frozen, what a full collection walks is what the pages keep (about 200,000 objects
  with forty students), and Python's own rule (a full collection once a quarter more objects than the last one left
  have survived) then ran one every 8 s under the load test, 100-300 ms each; spaced out, 17 in ten minutes instead
  of 71. Not in the training worker: there each full collection frees the graphs of the runs that ended, and ten
  times as many at once took up to 74 s, in which no run trained or answered its Detener.
"""

from __future__ import annotations

import gc
import importlib
import pkgutil
import threading

FULL_COLLECTION_AFTER = 100  # collections of generation 1 before a full one is considered (Python's default: 10)

_lock = threading.Lock()
_done = False


def freeze_startup_objects(*names: str, space_full_collections: bool = False) -> bool:
    """Once per process: import the modules `names` (a package's modules too), collect the garbage there is now,
    freeze every object still tracked and, for the app's pages, space full collections out. True for the call that
    did it; later calls do nothing (and cost nothing: the package is walked only then)."""
    global _done
    with _lock:
        if _done:
            return False
        for name in names:
            module = importlib.import_module(name)
            for found in pkgutil.iter_modules(getattr(module, "__path__", [])):
                importlib.import_module(f"{name}.{found.name}")
        gc.collect()
        gc.freeze()
        if space_full_collections:
            young, middle, _ = gc.get_threshold()
            gc.set_threshold(young, middle, FULL_COLLECTION_AFTER)
        _done = True
        return True
