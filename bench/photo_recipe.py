"""The colour recipe against tutorial 004's, at equal training time: `fast-rgb` vs `rgb32`, side by side.

    python -m bench.photo_recipe [--seconds 180] [--dataset cifar_animals]

Both presets train from scratch, unconditionally, as real Runs on the same images for the same training time
(wall time of the Run, pauses and scoring excluded; a run stops at the first epoch end past the budget, an epoch
being cut to `--epoch-steps` batches so both stop close to it). Then each exported generator is scored on 2000
samples by the CIFAR-animals classifier (gan_core.training.metrics): Fréchet distance beside lightly blurred real images,
share recognised with confidence, class coverage. Printed side by side with images/s and the ratios.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from bench.common import header  # noqa: E402
from gan_core import Run, load_dataset  # noqa: E402
from gan_core.explore.generators import Generator  # noqa: E402
from gan_core.server.scheduler import Scheduler  # noqa: E402
from gan_core.training import metrics  # noqa: E402
from gan_core.training.config import recipe  # noqa: E402

PRESETS = ("fast-rgb", "rgb32")


def train_for(preset: str, seconds: float, dataset, directory: str, epoch_steps: int) -> dict:
    config = recipe(preset, dataset="cifar_animals", epochs=10_000, steps_per_epoch=epoch_steps, keep_checkpoints=0,
                    max_minutes=seconds / 60.0, init_from="", diff_augment=True)
    run = Run.create(directory, config, dataset=dataset)
    started = time.time()
    run.start(Scheduler(1))
    run.wait()
    snap = run.snapshot()
    loaded = Generator.load(run.directory / "generator.keras")
    scores = metrics.evaluate_generator(lambda z, _labels: loaded.model(z, training=False).numpy(),
                                        "cifar_animals", config.latent_dim)
    return {"preset": preset, "train_seconds": snap.elapsed_seconds, "wall_seconds": time.time() - started,
            "steps": snap.step, "images": snap.step * config.batch_size,
            "images_per_sec": snap.step * config.batch_size / max(snap.elapsed_seconds, 1e-9), **scores}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=180.0, help="training time per preset")
    parser.add_argument("--epoch-steps", type=int, default=50, help="batches per epoch (how often it may stop)")
    args = parser.parse_args(argv)
    header(f"photo recipe: fast-rgb vs rgb32, {args.seconds:.0f} s of training each, CIFAR-10 animals")
    dataset = load_dataset("cifar_animals")
    blurred = metrics.references("cifar_animals")["blurred"]["fd"]
    results = {}
    with tempfile.TemporaryDirectory() as folder:
        for preset in PRESETS:
            results[preset] = train_for(preset, args.seconds, dataset, f"{folder}/{preset}", args.epoch_steps)
            r = results[preset]
            print(f"{preset:9s} {r['train_seconds']:6.1f} s  {r['steps']:5d} steps  {r['images']:7d} images  "
                  f"{r['images_per_sec']:6.1f} img/s  fd {r['fd']:6.2f} ({r['fd'] / blurred:.2f}x blurred real)  "
                  f"recognised {r['recognised']:.1%}  coverage {r['coverage']:.3f}", flush=True)
    fast, tutorial = results["fast-rgb"], results["rgb32"]
    print()
    print(f"images/s  fast-rgb / rgb32 = {fast['images_per_sec'] / tutorial['images_per_sec']:.2f}")
    print(f"fd        rgb32 / fast-rgb = {tutorial['fd'] / fast['fd']:.2f}  (higher: fast-rgb closer to real)")
    print(f"reference: lightly blurred real images fd {blurred:.2f}; real {metrics.references('cifar_animals')['real']['fd']:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
