"""What one loss picture (a gallery card's curves, the projector's) costs the app, side by side with an earlier
revision: CPU milliseconds per picture and the objects it leaves for Python's cycle collector, whose full
collections stop every page of the server while they walk them (bench/RESULTS.md). Each version runs in a fresh
Python of its own, the rounds interleaved, so a loaded machine weighs on both alike.

    python -m bench.picture_cost --before b99b363 --pictures 20 --rounds 3
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys

from bench.app_server import versions
from bench.common import header

# Run inside the version's tree: a 1,200-step history as a gallery card has it, one picture first to fill the
# libraries' caches, then `pictures` of them, alternating two histories as a training run's card does.
MEASURE = """
import gc, json, sys, time
import numpy as np
from gan_ui import charts
rng = np.random.default_rng(0)
steps = [{"step": list(range(1200)), "g_loss": list(1.5 + 0.3 * rng.standard_normal(1200)),
          "d_loss": list(0.6 + 0.2 * rng.standard_normal(1200))} for _ in range(2)]
charts.losses_picture(steps[0], "es")
gc.collect()
gc.disable()
started = time.process_time()
for index in range(PICTURES):
    charts.losses_picture(steps[index % 2], "es")
cpu = time.process_time() - started
left = gc.collect()
print(json.dumps({"cpu_ms": cpu * 1000 / PICTURES, "garbage": left / PICTURES}))
"""


def measure(tree, pictures: int) -> dict:
    done = subprocess.run([sys.executable, "-c", MEASURE.replace("PICTURES", str(pictures))], cwd=tree,
                          capture_output=True, text=True, check=True, env={"TF_CPP_MIN_LOG_LEVEL": "3",
                                                                           "PATH": "/usr/bin:/bin"})
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--before", default="", help="a git revision to measure beside this tree")
    parser.add_argument("--pictures", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    header(f"loss picture cost: {args.pictures} pictures of a 1,200-step history, {args.rounds} rounds")
    with versions(args.before) as trees:
        found = {name: [] for name, _ in trees}
        for _ in range(args.rounds):
            for name, tree in trees:
                found[name].append(measure(tree, args.pictures))
    print(f"{'version':30s} {'CPU ms a picture (median)':>26s} {'objects left for the collector':>32s}")
    for name, rows in found.items():
        print(f"{name:30s} {statistics.median(r['cpu_ms'] for r in rows):26.1f} "
              f"{statistics.median(r['garbage'] for r in rows):32.0f}")
    if len(found) == 2:
        (_, before), (_, now) = found.items()
        ratio = statistics.median(r["cpu_ms"] for r in before) / statistics.median(r["cpu_ms"] for r in now)
        print(f"CPU a picture, before / now = {ratio:.1f}x")


if __name__ == "__main__":
    main()
