"""Projecting real photos the generators never saw into the bundled generators: four methods side by side.

    python -m bench.projection [--images 8] [--generators mnist mnist-cgan fashion cifar-animals birds]

For each generator, on `--images` test images of its own dataset (MNIST and Fashion-MNIST test images for their
generators, CIFAR-10 test animals for the animals; for the birds, CIFAR-10 test birds: the 416 photos of the birds
folder all trained it, none is held back), the distance (root mean square per pixel on [0, 1],
gan_core.explore.projection.distance) reached and the time per photo of:

- encoder: the encoder's guess alone (shipped beside the bundled generator, else trained now: its time is printed);
- encoder+opt: what the app does (its guess, the closest of a pool of random draws, STEPS Adam steps, RESTARTS at once);
- opt: the same optimisation from RESTARTS random starts, no encoder and no pool;
- random: the best of 1,000 random samples;
- encoder+opt+features: the app's method with the shipped classifier's penultimate features added to the pixel loss
  (weight FEATURE_WEIGHT; iGAN adds AlexNet's), to see whether it helps.

Beside the distance, "same class": how often the dataset's classifier reads the reconstruction as the class it reads
in the photo (what a feature loss should help).

Then the time of the app's method on a 64 px generator (fast-rgb at 64x64x3, untrained: the time does not depend on
the weights), beside a 32 px one. The machine is shared: the load average is printed at the start and the end.
"""

from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402

from bench.common import header  # noqa: E402
from gan_core import load_dataset  # noqa: E402
from gan_core.explore import projection  # noqa: E402
from gan_core.explore.generators import Generator  # noqa: E402
from gan_core.training import metrics  # noqa: E402
from gan_core.training.pretrained import PRETRAINED_DIR  # noqa: E402

DATASETS = {"mnist": "mnist", "mnist-cgan": "mnist", "fashion": "fashion_mnist", "cifar-animals": "cifar_animals",
            "birds": "cifar_animals"}
METHODS = ("encoder", "encoder+opt", "opt", "random", "encoder+opt+features")
CLASSIFIERS = {"mnist": "mnist", "mnist-cgan": "mnist", "fashion": "fashion_mnist", "cifar-animals": "cifar_animals",
               "birds": "cifar_animals"}


def test_images(name: str, count: int) -> np.ndarray:
    """`count` test images the generator never saw, spread over the test set (birds: CIFAR test birds)."""
    dataset = load_dataset(DATASETS[name])
    images, labels = dataset.test_images, dataset.test_labels
    if name == "birds":
        images = images[labels == dataset.class_names.index("bird")]
    picked = np.linspace(0, len(images) - 1, count).astype(int)
    return images[picked]


def encoder_of(generator: Generator, name: str):
    shipped = PRETRAINED_DIR / name / projection.SHIPPED_ENCODER
    if projection.shipped_matches(generator, shipped):
        return projection.load_encoder(shipped), "shipped"
    started = time.perf_counter()
    encoder = projection.train_encoder(generator)
    return encoder, f"trained now, {projection.ENCODER_STEPS} steps in {time.perf_counter() - started:.0f} s"


def run_method(method: str, generator, photo, encoder, typical, classifier=None) -> projection.Projection:
    if method == "encoder":
        return projection.project(generator, photo, encoder, steps=0, restarts=1, pool=0, typical=typical)
    if method == "encoder+opt":
        return projection.project(generator, photo, encoder, typical=typical)
    if method == "encoder+opt+features":
        return projection.project(generator, photo, encoder, typical=typical, classifier=classifier)
    if method == "opt":
        return projection.project(generator, photo, None, pool=0, typical=typical)
    return projection.best_of_random(generator, photo, samples=1000, typical=typical)


def bench_generator(name: str, count: int) -> None:
    generator = Generator.load(PRETRAINED_DIR / name / "generator.keras")
    encoder, origin = encoder_of(generator, name)
    typical = projection.typical_distance(generator)
    photos = [projection.fit_image(image, generator.image_shape) for image in test_images(name, count)]
    run_method("encoder+opt", generator, photos[0], encoder, typical)  # compile once, outside the timings
    run_method("opt", generator, photos[0], encoder, typical)
    classifier = metrics.load_classifier(CLASSIFIERS[name])
    run_method("encoder+opt+features", generator, photos[0], encoder, typical, classifier)
    found = {method: [run_method(method, generator, photo, encoder, typical, classifier) for photo in photos]
             for method in METHODS}
    read_photo = classifier.features_and_probabilities(np.stack(photos))[1].argmax(axis=1)
    random = np.array([p.distance for p in found["random"]])
    print(f"## {name} ({'x'.join(map(str, generator.image_shape))}, {count} test images; encoder {origin}; "
          f"two random samples are {typical:.3f} apart)")
    print(f"{'method':<21} {'mean dist':>9} {'median':>8} {'beats random':>12} {'same class':>10} {'s/photo':>8}"
          "  verdicts (near/like/far)")
    for method in METHODS:
        distances = np.array([p.distance for p in found[method]])
        seconds = np.mean([p.seconds for p in found[method]])
        wins = int(np.sum(distances < random)) if method != "random" else "-"
        verdicts = [sum(p.verdict == v for p in found[method]) for v in ("near", "like", "far")]
        read_made = classifier.features_and_probabilities(np.stack([p.image for p in found[method]]))[1].argmax(axis=1)
        same = f"{int(np.sum(read_made == read_photo))}/{len(photos)}"
        print(f"{method:<21} {distances.mean():>9.3f} {np.median(distances):>8.3f} {str(wins):>12} {same:>10}"
              f" {seconds:>8.2f}  {'/'.join(map(str, verdicts))}")
    print(flush=True)


def bench_sizes() -> None:
    """The app's method on an untrained 64 px fast-rgb generator beside a 32 px one: time only."""
    from gan_core.training.presets import PRESETS

    print("## time of encoder+opt by image size (fast-rgb, untrained, no encoder: the pool and the optimisation)")
    for side in (32, 64):
        model = PRESETS["fast-rgb"].build_generator((side, side, 3), 128, 0)
        generator = Generator(model, {}, name=f"fast-rgb-{side}")
        photo = projection.to_uint8(generator.generate(generator.sample_latents(1, 1))[0])
        first = projection.project(generator, photo, None, typical=1.0).seconds  # compiles the optimiser
        times = [projection.project(generator, photo, None, typical=1.0, seed=s).seconds for s in range(3)]
        print(f"{side} px: {model.count_params():,} parameters, {np.median(times):.2f} s per photo "
              f"(median of 3; {projection.STEPS} steps x {projection.RESTARTS} restarts, pool {projection.POOL}); "
              f"the generator's first projection {first:.2f} s (compiling)")
    print(flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--images", type=int, default=8)
    parser.add_argument("--generators", nargs="*", default=list(DATASETS))
    parser.add_argument("--no-sizes", action="store_true")
    args = parser.parse_args()
    header("Projecting photos into the bundled generators")
    for name in args.generators:
        bench_generator(name, args.images)
    if not args.no_sizes:
        bench_sizes()
    print(f"load average at the end {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
