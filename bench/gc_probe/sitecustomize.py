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

# With GAN_GC_CENSUS (bench.load_test --gc-census; it perturbs the timings, so never in a timed run): in the app's
# process, every 40 s, what its cyclic garbage is made of, by type, and for a few colour-scale lists, dicts and
# cursors, which objects hold them (the chain of referrers inside that garbage). Python keeps the garbage of one
# collection in gc.garbage under DEBUG_SAVEALL; the census counts it, lets it go and collects again, so each row is
# what piled up since the one before. It found the loss pictures' matplotlib figures and the charts' plotly template
# copies (bench/RESULTS.md).
if _folder and os.environ.get("GAN_GC_CENSUS") and "streamlit" in _process:
    import collections
    import threading

    def _describe(thing) -> str:
        name = f"{type(thing).__module__}.{type(thing).__qualname__}"
        return name + str(sorted(map(str, list(thing)[:5]))) if type(thing) is dict else name

    def _holders(thing, inside: set, depth: int = 10) -> str:
        chain = []
        for _ in range(depth):
            referrers = [r for r in gc.get_referrers(thing) if id(r) in inside and r is not thing]
            if not referrers:
                break
            thing = referrers[0]
            chain.append(_describe(thing))
        return " <- ".join(chain)

    def _census() -> None:
        while True:
            time.sleep(40)
            gc.set_debug(gc.DEBUG_SAVEALL)
            try:
                gc.collect()
                found = list(gc.garbage)
                del gc.garbage[:]
            finally:
                gc.set_debug(0)
            inside = {id(thing) for thing in found}
            samples = [t for t in found if type(t) is list][:3]
            samples += [t for t in found if type(t).__name__ == "Layout"][:2]
            row = {"t": round(time.time(), 3), "objects": len(found), "process": _process,
                   "types": collections.Counter(_describe(t) if type(t) is dict else
                                                f"{type(t).__module__}.{type(t).__qualname__}"
                                                for t in found).most_common(30),
                   "held_by": [_holders(t, inside) for t in samples],
                   "figures": collections.Counter(
                       f"{t._props.get('xaxis', {}).get('title', {}).get('text')} / "
                       f"{t._props.get('yaxis', {}).get('title', {}).get('text')} / {t._props.get('height')}"
                       for t in found if type(t).__name__ == "Layout" and isinstance(getattr(t, "_props", None), dict)
                   ).most_common(8)}
            with open(os.path.join(_folder, f"census-{os.getpid()}.jsonl"), "a") as log:
                log.write(json.dumps(row) + "\n")
            del found, samples, inside
            gc.collect()

    threading.Thread(target=_census, name="gc-census", daemon=True).start()
