"""Train and ship an encoder beside each bundled generator (pretrained/<name>/encoder.keras and encoder.json), so a
student's first projection into a bundled generator does not wait for one (gan_core.explore.projection).

    python3 scripts/make_encoders.py [name ...] [--steps 2000]

encoder.json records the generator's fingerprint (the app uses the encoder only for exactly those weights), the
steps and the time it took. Run offline: the app never writes into pretrained/."""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from gan_core.explore import projection  # noqa: E402
from gan_core.explore.generators import Generator  # noqa: E402
from gan_core.training.pretrained import bundled_generators  # noqa: E402


def _say(name: str, fraction: float, started: float) -> None:
    if round(fraction * 100) % 10 == 0:
        print(f"{name}: {fraction:.0%} after {time.perf_counter() - started:.0f} s", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("names", nargs="*")
    parser.add_argument("--steps", type=int, default=2000)
    args = parser.parse_args()
    for bundled in bundled_generators():
        if args.names and bundled.name not in args.names:
            continue
        generator = Generator.load(bundled.path)
        started = time.perf_counter()
        encoder = projection.train_encoder(generator, steps=args.steps, batch=projection.ENCODER_BATCH,
                                           progress=lambda f, n=bundled.name: _say(n, f, started))
        seconds = time.perf_counter() - started
        target = bundled.directory / projection.SHIPPED_ENCODER
        projection.save_encoder(encoder, target)
        target.with_suffix(".json").write_text(json.dumps({
            "generator": projection.fingerprint(generator), "steps": args.steps, "batch": projection.ENCODER_BATCH,
            "seconds": round(seconds, 1), "hardware": f"CPU {platform.machine()} (shared, loaded)",
            "command": f"python3 scripts/make_encoders.py {bundled.name} --steps {args.steps}"}, indent=2))
        print(f"{bundled.name}: {args.steps} steps in {seconds:.0f} s -> {target}", flush=True)


if __name__ == "__main__":
    main()
