"""FIFO against fair turns: 30 students submit short real runs at once to one training slot.

    python -m bench.fair_turns --students 30 --epochs 3

Each run is the `fast` recipe on a small MNIST subset (real Runs, one slot), trained where `--train-in` says: the
worker process a class's server uses (gan_core.server.worker, the default) and/or this process's threads. Printed
for FIFO (each run to its end) and fair turns (one epoch a turn while others wait), side by side: seconds from the
submission until every student has a first epoch grid, until all have finished, and the spread of the waits for a
first grid (median, p90, max).

    python -m bench.fair_turns --students 30 --epochs 3 --train-in thread worker
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

from bench.common import header


def simulate(students: int, epochs: int, images: int, fair: bool, folder: Path, train_in: str = "worker") -> dict:
    from gan_core import Run
    from gan_core.data.datasets import load_dataset
    from gan_core.server import worker
    from gan_core.server.scheduler import Scheduler
    from gan_core.training.config import recipe

    dataset = load_dataset("mnist")
    drive = worker.drive if train_in == "worker" else None
    scheduler = Scheduler(1, turn_epochs=1, drive=drive) if fair else Scheduler(1, drive=drive)
    config = recipe("fast", epochs=epochs, batch_size=32, max_images=images, clusters=0)
    runs = [Run.create(folder / f"student{i:02d}", config.from_dict(config.to_dict()), dataset=dataset,
                       owner=f"student{i:02d}") for i in range(students)]
    submitted = time.monotonic()
    for run in runs:
        run.start(scheduler)
    first_grid: dict[str, float] = {}
    finished: dict[str, float] = {}
    while len(finished) < len(runs):
        now = time.monotonic() - submitted
        for run in runs:
            snap = run.snapshot(history=False)
            if run.run_id not in first_grid and 1 in snap.grid_epochs:
                first_grid[run.run_id] = now
            if run.run_id not in finished and not snap.active:
                finished[run.run_id] = now
        time.sleep(0.1)
    steps_ok = all(run.snapshot().steps["step"] == list(range(1, run.snapshot().step + 1)) for run in runs)
    waits = sorted(first_grid.values())
    return {
        "every_first_grid": max(waits), "median_first_grid": statistics.median(waits),
        "p90_first_grid": waits[int(0.9 * (len(waits) - 1))], "all_finished": max(finished.values()),
        "median_finished": statistics.median(finished.values()),
        "yields": sum(1 for _, event, _ in scheduler.history if event == "yield"),
        "all_finished_ok": all(run.snapshot().state.value == "finished" for run in runs), "steps_ok": steps_ok,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--students", type=int, default=30)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--images", type=int, default=128, help="images per run (batch 32)")
    parser.add_argument("--train-in", nargs="+", choices=("worker", "thread"), default=["worker"],
                        help="where runs train: the worker process (default) and/or this process's threads")
    args = parser.parse_args()
    header(f"fair turns: {args.students} students, {args.epochs} epochs of {args.images // 32} batches, one slot")
    results = {}
    for train_in in args.train_in:
        for name, fair in (("FIFO", False), ("fair turns", True)):
            label = f"{name}, {train_in}" if len(args.train_in) > 1 else name
            print(f"running {label} ...", flush=True)
            with tempfile.TemporaryDirectory(prefix="gan-fair-") as tmp:
                results[label] = simulate(args.students, args.epochs, args.images, fair, Path(tmp), train_in)
    print()
    rows = (("every student has a first grid, s", "every_first_grid"), ("median first grid, s", "median_first_grid"),
            ("p90 first grid, s", "p90_first_grid"), ("median finished, s", "median_finished"),
            ("all finished, s", "all_finished"), ("turns given up", "yields"),
            ("all finished, no step lost", None))
    print(f"{'':38s}" + "".join(f"{name:>20s}" for name in results))
    for label, key in rows:
        if key is None:
            values = [f"{'yes' if r['all_finished_ok'] and r['steps_ok'] else 'NO':>20s}" for r in results.values()]
        else:
            values = [f"{r[key]:20.1f}" if isinstance(r[key], float) else f"{r[key]:20d}" for r in results.values()]
        print(f"{label:38s}" + "".join(values))
    for train_in in args.train_in:
        suffix = f", {train_in}" if len(args.train_in) > 1 else ""
        fifo, fair = results["FIFO" + suffix], results["fair turns" + suffix]
        print(f"{train_in}: first grid for everyone: FIFO / fair = "
              f"{fifo['every_first_grid'] / fair['every_first_grid']:.1f}x; "
              f"all finished: fair / FIFO = {fair['all_finished'] / fifo['all_finished']:.2f}x")
    print(f"load average at end {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
