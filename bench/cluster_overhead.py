"""The same short runs in this process (threads) and on a Ray cluster (GAN_CLUSTER): seconds per epoch side by side.

    ray get-auth-token --generate && export RAY_AUTH_MODE=token   # the app uses a cluster with authentication only
    ray start --head --port=6379 --num-cpus=0 && ray start --address=127.0.0.1:6379 --num-cpus=1
    python3 bench/cluster_overhead.py --address 127.0.0.1:6379 [--epochs 3 --steps 30]

The cluster column adds what a job costs there: starting the actor's process (it imports TensorFlow), polling,
and writing through the shared folder; the start-up is reported apart from the per-epoch time. Then two students'
runs share one slot in turns of one epoch, both ways: on the cluster each turn is a new actor, so the difference
in wall time over the number of actors started is what each turn costs there.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import header  # noqa: E402
from gan_core import Run, TrainConfig  # noqa: E402
from gan_core.server import cluster  # noqa: E402
from gan_core.server.scheduler import Scheduler  # noqa: E402


def one_run(folder: Path, config: TrainConfig) -> tuple[float, float, list[float]]:
    """(seconds until the first step, wall seconds, seconds of each epoch as the run measured them)."""
    run = Run.create(folder, config)
    started = time.time()
    run.start(Scheduler(1, drive=cluster.drive if cluster.enabled() else None))
    while run.snapshot(history=False).step == 0 and run.snapshot(history=False).active:
        time.sleep(0.05)
    first_step = time.time() - started
    run.wait()
    snap = run.snapshot()
    if snap.state.value != "finished":
        raise SystemExit(f"the run ended {snap.state.value}: {snap.message and snap.message.text('en')}")
    return first_step, time.time() - started, [e["seconds"] for e in snap.epochs]


def two_students(folder: Path, config: TrainConfig) -> tuple[float, int]:
    """(wall seconds until both runs end, turns handed over) for two owners' runs on one slot, turns of one epoch."""
    scheduler = Scheduler(1, turn_epochs=1, drive=cluster.drive if cluster.enabled() else None)
    runs = [Run.create(folder / owner, config, owner=owner) for owner in ("ana", "bea")]
    started = time.time()
    for run in runs:
        run.start(scheduler)
    for run in runs:
        run.wait()
        if run.snapshot().state.value != "finished":
            raise SystemExit(f"a turn-taking run ended {run.snapshot().state.value}")
    return time.time() - started, sum(event == "yield" for _, event, _ in scheduler.history)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--address", required=True, help="the cluster, as GAN_CLUSTER takes it")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--steps", type=int, default=30, help="batches per epoch")
    args = parser.parse_args()
    config = dict(preset="fast", dataset="mnist", epochs=args.epochs, batch_size=32, max_images=256,
                  steps_per_epoch=args.steps)
    header("Cluster overhead: the same run in-process and on Ray")
    results, turns = {}, {}
    with tempfile.TemporaryDirectory(dir=Path.cwd()) as root:  # under the cwd: a shared folder on a cluster
        os.environ.pop(cluster.CLUSTER_ENV, None)
        results["threads"] = one_run(Path(root) / "threads", TrainConfig(**config))
        turns["threads"] = two_students(Path(root) / "threads-turns", TrainConfig(**config))
        os.environ[cluster.CLUSTER_ENV] = args.address
        results["ray"] = one_run(Path(root) / "ray", TrainConfig(**config))
        turns["ray"] = two_students(Path(root) / "ray-turns", TrainConfig(**config))
    print(f"{'':>10} | {'first step s':>12} | {'wall s':>7} | " + " | ".join(f"epoch {i + 1} s" for i in range(args.epochs)))
    for name, (first, wall, epochs) in results.items():
        print(f"{name:>10} | {first:12.1f} | {wall:7.1f} | " + " | ".join(f"{s:9.2f}" for s in epochs))
    threads, on_ray = results["threads"][2], results["ray"][2]
    per_epoch = sum(b - a for a, b in zip(threads[1:], on_ray[1:])) / max(1, len(threads) - 1)
    print(f"overhead per epoch after the first: {per_epoch:+.2f} s; start-up: "
          f"{results['ray'][0] - results['threads'][0]:+.1f} s")
    print(f"two students, one slot, turns of one epoch ({args.epochs} epochs each): wall s and turns handed over")
    for name, (wall, handed) in turns.items():
        print(f"{name:>10} | {wall:7.1f} | {handed} turns")
    actors = 2 + turns["ray"][1]  # each run's first turn, then one per turn handed over
    print(f"per actor on the cluster ({actors}: a first one per run, a new one per turn): "
          f"{(turns['ray'][0] - turns['threads'][0]) / actors:+.1f} s")


if __name__ == "__main__":
    main()
