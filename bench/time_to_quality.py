"""Time to recognisable digits: the `fast` preset vs the `dcgan-tf` recipe, trained by real Runs on MNIST.

    python -m bench.time_to_quality [--budget 60] [--factor 5] [--dcgan-budget SECONDS]

The bar (gan_core.training.metrics.BAR): >= 90% of 2000 samples recognised with confidence >= 0.9 by the shipped
MNIST classifier, and class coverage >= 0.95. Each Run scores its generator after every epoch
(metrics_every=1), an epoch being cut to `--score-every` images. Training time is the Run's wall time (setup, tracing, every callback, grids, checkpoints)
minus the time spent scoring. A run stops at the first score that meets the bar, or when its budget is spent;
then its last exported generator is scored too.

`fast` gets `--budget` seconds. `dcgan-tf` gets `--factor` times fast's time to the bar (or `--dcgan-budget`):
if it has not met the bar by then, fast is at least `factor` times sooner.
"""

from __future__ import annotations

import argparse
import os
import tempfile

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402

from bench.common import header  # noqa: E402
from gan_core import Run, get_preset, load_dataset  # noqa: E402
from gan_core.explore.generators import Generator  # noqa: E402
from gan_core.server.scheduler import Scheduler  # noqa: E402
from gan_core.training import metrics  # noqa: E402
from gan_core.training.config import recipe  # noqa: E402


def train_to_bar(preset: str, budget: float, directory: str, dataset, score_every: int,
                 max_epochs: int = 1000) -> dict:
    """Train `preset` on MNIST until the bar or the budget (training seconds), scored every `score_every`
    images (the Run's epochs are cut to that many images, so grids, checkpoints and exports come as often
    and their cost is counted). Returns the timeline."""
    config = recipe(preset, dataset="mnist", epochs=max_epochs, metrics_every=1, keep_checkpoints=1,
                    steps_per_epoch=max(1, score_every // get_preset(preset).defaults["batch_size"]))
    run = Run.create(directory, config, dataset=dataset)
    timeline = []

    def quality_fn(callback, data):
        # Called at each epoch end (before that epoch's checkpoint): the run's wall time so far, less scoring.
        elapsed = run.clock.elapsed() - sum(point["eval_seconds"] for point in timeline)
        scores = metrics.quality_for_run(callback, data)
        point = {"epoch": run.progress.epoch, "images": run.progress.step * config.batch_size, "train_seconds": elapsed, **scores}
        timeline.append(point)
        print(f"  {preset:9s} epoch {point['epoch']:3d}  {elapsed:7.1f} s  {point['images']:8d} images  "
              f"recognised {scores['recognised']:6.1%}  coverage {scores['coverage']:.3f}  fd {scores['fd']:7.2f}",
              flush=True)
        if metrics.meets_bar(scores):
            run.stop()
        return scores

    run.quality_fn = quality_fn
    run.start(Scheduler(1))
    stopped_at = None
    while not run.wait(0.1):
        spent = run.clock.elapsed() - sum(point["eval_seconds"] for point in timeline)
        if stopped_at is None and spent >= budget and not run.stop_requested:
            run.stop()
            stopped_at = spent
    snapshot = run.snapshot()
    if snapshot.state.value == "failed":
        raise RuntimeError(f"{preset} failed: {snapshot.message} {snapshot.traceback}")
    met = next((point for point in timeline if metrics.meets_bar(point)), None)
    if met is None:  # scored once more where the budget ran out (the trainer exported the generator there)
        loaded = Generator.load(os.path.join(directory, "generator.keras"))
        scores = metrics.evaluate_generator(lambda z, y: np.asarray(loaded.model(z, training=False)), "mnist",
                                            config.latent_dim, seed=config.seed + 2)
        point = {"epoch": snapshot.epoch + snapshot.step_in_epoch / max(snapshot.steps_per_epoch, 1),
                 "images": snapshot.step * config.batch_size, "train_seconds": stopped_at or budget, **scores}
        timeline.append(point)
        print(f"  {preset:9s} at budget {point['train_seconds']:7.1f} s  {point['images']:8d} images  "
              f"recognised {scores['recognised']:6.1%}  coverage {scores['coverage']:.3f}  fd {scores['fd']:7.2f}",
              flush=True)
        if metrics.meets_bar(scores):
            met = point
    images_per_sec = snapshot.epochs[-1]["images_per_sec"] if snapshot.epochs else snapshot.images_per_sec
    return {"preset": preset, "met": met, "last": timeline[-1], "timeline": timeline, "budget": budget,
            "images_per_sec": images_per_sec}


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budget", type=float, default=60.0, help="training seconds the fast preset gets")
    parser.add_argument("--factor", type=float, default=5.0, help="dcgan-tf gets this many times fast's time")
    parser.add_argument("--dcgan-budget", type=float, default=None, help="seconds for dcgan-tf (overrides --factor)")
    parser.add_argument("--score-every", type=int, default=12_800, help="images between two scores")
    args = parser.parse_args(argv)
    header("Time to recognisable MNIST digits: fast vs dcgan-tf (real Runs, scored every epoch)")
    bar = ", ".join(f"{name} >= {value}" for name, value in metrics.BAR.items())
    reference = metrics.references("mnist")
    print(f"bar: {bar} ({metrics.DEFAULT_SAMPLES} samples). references: real train images "
          f"recognised {reference['real']['recognised']:.1%}, coverage {reference['real']['coverage']:.3f}, "
          f"fd {reference['real']['fd']:.2f}; noise recognised {reference['noise']['recognised']:.1%}, "
          f"fd {reference['noise']['fd']:.1f}\n", flush=True)

    dataset = load_dataset("mnist")
    with tempfile.TemporaryDirectory(prefix="bench-ttq-") as tmp:
        fast = train_to_bar("fast", args.budget, os.path.join(tmp, "fast"), dataset, args.score_every)
        fast_seconds = fast["met"]["train_seconds"] if fast["met"] else args.budget
        dcgan_budget = args.dcgan_budget or args.factor * fast_seconds
        dcgan = train_to_bar("dcgan-tf", dcgan_budget, os.path.join(tmp, "dcgan"), dataset, args.score_every)

    print("\npreset     images/s   to the bar                        last score")
    for result in (fast, dcgan):
        met, last = result["met"], result["last"]
        when = (f"{met['train_seconds']:6.1f} s, {met['images']:7d} images" if met
                else f"not within {result['budget']:.0f} s ({last['images']} images)")
        print(f"{result['preset']:9s} {result['images_per_sec']:9.0f}   {when:33s} "
              f"recognised {last['recognised']:.1%}, coverage {last['coverage']:.3f}, fd {last['fd']:.2f}")
    budget_line = []
    for result in (fast, dcgan):  # quality at equal training time: the last score within fast's budget
        within = [point for point in result["timeline"] if point["train_seconds"] <= args.budget + 1e-6]
        if within:
            point = within[-1]
            budget_line.append(f"{result['preset']} recognised {point['recognised']:.1%}, coverage "
                               f"{point['coverage']:.3f}, fd {point['fd']:.2f} ({point['train_seconds']:.0f} s)")
    if budget_line:
        print(f"\nat equal time (<= {args.budget:.0f} s): " + "; ".join(budget_line))
    ratios = {}
    if fast["met"]:
        if dcgan["met"]:
            ratios["seconds"] = dcgan["met"]["train_seconds"] / fast["met"]["train_seconds"]
            ratios["images"] = dcgan["met"]["images"] / fast["met"]["images"]
            print(f"\ndcgan-tf / fast: {ratios['seconds']:.1f}x the seconds, {ratios['images']:.1f}x the images")
        else:
            ratios["seconds_at_least"] = dcgan_budget / fast["met"]["train_seconds"]
            print(f"\ndcgan-tf did not reach the bar in {dcgan_budget:.0f} s: fast is more than "
                  f"{ratios['seconds_at_least']:.1f}x sooner")
    fast_ok = bool(fast["met"]) and fast["met"]["train_seconds"] <= 60.0
    ratio = ratios.get("seconds", ratios.get("seconds_at_least", 0.0))
    print(f"bars: fast within 60 s: {'met' if fast_ok else 'NOT met'}; "
          f"at least 5x sooner than dcgan-tf: {'met' if fast_ok and ratio >= 5.0 else 'NOT met'}")
    return {"fast": fast, "dcgan-tf": dcgan, "ratios": ratios}


if __name__ == "__main__":
    main()
