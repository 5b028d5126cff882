"""fast-rgb's training step at 32 px on this CPU, variants side by side (issue #30 part 5).

    python -m bench.colour_steps [--steps 20] [--rounds 2]

Each variant is the fast-rgb recipe on the colour animals (cifar_animals, 32x32x3, batch 64, self-conditioned on
round-robin groups as gan_core.training.doctor builds it), built from the same seed and trained by keras fit on the
same batches. Each is warmed up (traced, compiled) by one step, then timed over `steps` steps per segment, segments
interleaved (A B C ..., then ... C B A) so that load from other processes hits them alike. Quality held is read from
the same seed: the epoch's mean losses and D's accuracy on real and fake after all its steps, beside float32's.

  float32         the recipe as it is (alternating: one D update, then one G update; no XLA on a CPU)
  bfloat16        keras mixed_bfloat16 (the CPU has AVX-512 BF16): compute in bfloat16, weights in float32
  xla             the step compiled with XLA (GAN_COMPILE=xla)
  xla+bfloat16    both
  simultaneous    one G pass, D and G updated from the same logits (the fast recipe's update): fewer D passes
  narrow G        G's channels halved (presets.FAST_RGB_WIDTHS)
"""

from __future__ import annotations

import argparse
import os
import time
from contextlib import contextmanager

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402

from bench.common import header  # noqa: E402
from gan_core.training import doctor, presets  # noqa: E402

PRESET, DATASET = "fast-rgb", "cifar_animals"
VARIANTS = ("float32", "bfloat16", "xla", "xla+bfloat16", "simultaneous", "narrow G")


@contextmanager
def variant_settings(name: str):
    """The global settings a variant builds and trains under, put back afterwards."""
    policy = keras.config.dtype_policy()
    widths = presets.FAST_RGB_WIDTHS
    compile_mode = os.environ.get("GAN_COMPILE")
    try:
        if "bfloat16" in name:
            keras.mixed_precision.set_global_policy("mixed_bfloat16")
        if "xla" in name:
            os.environ["GAN_COMPILE"] = "xla"
        else:
            os.environ["GAN_COMPILE"] = "eager"
        if name == "narrow G":
            presets.FAST_RGB_WIDTHS = tuple(width // 2 for width in widths)
        yield
    finally:
        keras.mixed_precision.set_global_policy(policy)
        presets.FAST_RGB_WIDTHS = widths
        if compile_mode is None:
            os.environ.pop("GAN_COMPILE", None)
        else:
            os.environ["GAN_COMPILE"] = compile_mode


def build(name: str, max_images: int):
    keras.utils.set_random_seed(0)
    with variant_settings(name):
        gan, data, batch = doctor.build_for_check(PRESET, DATASET, max_images)
    if name == "simultaneous":
        gan.simultaneous = True
    iterator = iter(data)
    gan.make_train_function()
    gan.train_function(iterator)  # warm-up: trace (and compile)
    return gan, iterator, batch


def timed_segment(gan, iterator, steps: int) -> tuple[float, dict]:
    """Seconds for `steps` steps, and the last step's logs (epoch means since the trackers' reset)."""
    started = time.perf_counter()
    for _ in range(steps):
        logs = gan.train_function(iterator)
    logs = {key: float(value) for key, value in logs.items()}
    return time.perf_counter() - started, logs


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--max-images", type=int, default=2048)
    parser.add_argument("--quality", type=int, default=0,
                        help="instead: train float32 and bfloat16 this many steps each and score both generators")
    args = parser.parse_args()
    if args.quality:
        header(f"fast-rgb float32 vs mixed_bfloat16 at 32 px: quality after {args.quality} steps")
        quality(args.quality, args.max_images)
        return
    header(f"fast-rgb step variants at 32 px: {args.steps} steps x {args.rounds * 2} segments each")
    built = {}
    for name in VARIANTS:
        try:
            built[name] = build(name, args.max_images)
        except Exception as exc:  # a variant the backend refuses is reported, not fatal
            print(f"{name}: not measured: {type(exc).__name__}: {str(exc).splitlines()[0][:200]}")
    seconds = {name: 0.0 for name in built}
    logs = {}
    order = list(built)
    for _ in range(args.rounds):
        for name in order + order[::-1]:
            gan, iterator, _ = built[name]
            spent, logs[name] = timed_segment(gan, iterator, args.steps)
            seconds[name] += spent
    print(f"| variant | img/s | vs float32 | XLA | g_loss | d_loss | D acc real | D acc fake | "
          f"(means over {args.rounds * 2 * args.steps + 1} steps) |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    base = None
    for name in built:
        gan, _, batch = built[name]
        rate = args.rounds * 2 * args.steps * batch / seconds[name]
        base = base or rate
        values = logs[name]
        print(f"| {name} | {rate:.0f} | {rate / base:.2f}x | {bool(gan.jit_compile)} | {values['g_loss']:.3f} | "
              f"{values['d_loss']:.3f} | {values['d_acc_real']:.2f} | {values['d_acc_fake']:.2f} | |")


def quality(steps: int, max_images: int, samples: int = 500) -> None:
    """Each precision trained `steps` steps from the same seed, then its moving-average generator scored by the
    colour animals' classifier (gan_core.training.metrics), the app's own quality figures."""
    import numpy as np

    from gan_core.training import metrics

    print("| variant | steps | seconds | img/s | scores |")
    print("| --- | --- | --- | --- | --- |")
    for name in ("float32", "bfloat16"):
        gan, iterator, batch = build(name, max_images)
        seconds, _ = timed_segment(gan, iterator, steps)
        scores = metrics.evaluate_generator(
            lambda latents, labels: np.asarray(gan.sample(latents), dtype=np.float32), DATASET, gan.latent_dim,
            0, samples)
        shown = {key: round(value, 3) for key, value in scores.items() if isinstance(value, float)}
        print(f"| {name} | {steps} | {seconds:.0f} | {steps * batch / seconds:.0f} | {shown} |", flush=True)


if __name__ == "__main__":
    main()
