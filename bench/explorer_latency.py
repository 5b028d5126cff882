"""Explorer latency: server-side time for one slider change (one image), ours vs Keras' predict, side by side.

Ours: Generator.generate (a compiled tf.function, called directly). Tutorial habit: model.predict.
Prints p50/p95 per 28x28 generator and the ratio predict/ours from the same run.
`python bench/explorer_latency.py [--calls 300]`
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402

from bench.common import header  # noqa: E402
from gan_core.explore.generators import Generator  # noqa: E402
from gan_core.training.pretrained import bundled_generators  # noqa: E402


def generators_28():
    """Bundled 28x28 generators; where none is bundled yet, freshly built preset generators (same cost)."""
    found = [(b.name, Generator.load(b.path)) for b in bundled_generators()]
    found = [(name, handle) for name, handle in found if handle.image_shape[0] == 28]
    if found:
        return found
    from gan_core import PRESETS

    built = []
    for preset in ("fast", "dcgan-tf", "cgan"):
        p = PRESETS[preset]
        classes = 10 if p.conditional else 0
        model = p.build_generator((28, 28, 1), p.defaults["latent_dim"], classes)
        built.append((f"{preset} (untrained)", Generator(model, name=preset)))
    return built


def percentiles(seconds: list[float]) -> tuple[float, float]:
    values = np.asarray(seconds) * 1000.0
    return float(np.percentile(values, 50)), float(np.percentile(values, 95))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=300)
    args = parser.parse_args()
    header("Explorer latency: one image per slider change (ms)")
    rng = np.random.default_rng(0)
    print(f"{'generator':32s} {'ours p50':>9s} {'ours p95':>9s} {'predict p50':>12s} {'predict p95':>12s} {'ratio p50':>10s}")
    for name, handle in generators_28():
        label = [3] if handle.conditional else None
        inputs = [rng.standard_normal((1, handle.latent_dim)).astype(np.float32) for _ in range(args.calls)]
        handle.generate(inputs[0], label)  # trace once, as the first slider move after loading does
        predict_input = (lambda z: [z, np.array([[3]], np.int32)]) if handle.conditional else (lambda z: z)
        handle.model.predict(predict_input(inputs[0]), verbose=0)
        ours, theirs = [], []
        for z in inputs:  # interleaved: both see the same machine at the same moment
            started = time.perf_counter()
            handle.generate(z, label)
            ours.append(time.perf_counter() - started)
            started = time.perf_counter()
            handle.model.predict(predict_input(z), verbose=0)
            theirs.append(time.perf_counter() - started)
        o50, o95 = percentiles(ours)
        t50, t95 = percentiles(theirs)
        print(f"{name:32s} {o50:9.2f} {o95:9.2f} {t50:12.2f} {t95:12.2f} {t50 / o50:9.1f}x")


if __name__ == "__main__":
    main()
