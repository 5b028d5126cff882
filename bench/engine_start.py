"""What a process pays to start the engine: `import gan_core` in a fresh Python, as the app, its training worker, a
model check and the CLI each do, against the same import with scikit-learn, matplotlib, pandas and IPython loaded
first (what Keras loaded at its start before gan_core.training.device.import_engine held them back). Pairs run in
turn, A B A B, so a drift of the machine's speed falls on both; each child's CPU time comes from the kernel's
accounting of that child (os.wait4), its peak memory from its own /proc/self/status (VmHWM) once the import is done.
`python -m bench.engine_start [--pairs 6]`
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from bench.common import header

ROOT = Path(__file__).resolve().parents[1]
NOW = "import gan_core"
BEFORE = "import sklearn, matplotlib.pyplot, pandas, IPython; import gan_core"  # what Keras' start imported with it
PEAK = "\nprint(open('/proc/self/status').read().split('VmHWM:')[1].split()[0])"  # kB


def child(code: str) -> tuple[float, float, float]:
    """CPU seconds, wall seconds and peak resident MiB of one fresh `python -c code`."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TF_CPP_MIN_LOG_LEVEL": "3"}
    start = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-c", code + PEAK], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.DEVNULL, text=True)
    peak_kb = float(process.stdout.read().split()[-1])
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode:
        raise SystemExit(f"`{code}` exited with {process.returncode}")
    return usage.ru_utime + usage.ru_stime, wall, peak_kb / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=6)
    args = parser.parse_args()
    header("engine start: import gan_core in a fresh process")
    child(NOW)  # warm-up: the files in the page cache for both
    now, before = [], []
    for _ in range(args.pairs):
        now.append(child(NOW))
        before.append(child(BEFORE))
    print(f"{'':28}{'CPU s':>8}{'wall s':>8}{'peak MiB':>10}")
    for name, rows in (("now (extras held back)", now), ("before (extras loaded)", before)):
        print(f"{name:28}" + "".join(f"{statistics.median(r[i] for r in rows):>{w}.2f}"
                                      for i, w in ((0, 8), (1, 8), (2, 10))))
    for i, label in ((0, "CPU"), (1, "wall"), (2, "peak memory")):
        ratios = sorted(a[i] / b[i] for a, b in zip(now, before))
        print(f"now/before {label}: median {statistics.median(ratios):.3f} (min {ratios[0]:.3f}, "
              f"max {ratios[-1]:.3f}, {len(ratios)} pairs)")


if __name__ == "__main__":
    main()
