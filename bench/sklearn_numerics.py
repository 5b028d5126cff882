"""Hand-written numerics against scikit-learn's, side by side on MNIST as the app uses them (issue #16).

Three jobs, each timed both ways in the same run (interleaved, the best of --repeats) and checked to agree:
- k-means groups for self-conditioning (gan_core.training.clusters): 60,000 deskewed MNIST digits, the centres fitted
  on a seeded 10,000 of them, then every digit assigned; k = 400 (the bundled MNIST generator's) and 80.
  Agreement: mean squared distance to the nearest centre over all 60,000, and purity against the digit labels.
- principal directions (gan_core.explore.latent): PCA of the early activations of the bundled MNIST and Fashion
  generators over 2,000 latents, 6 components (the explorer's sliders), regressed back to latent space.
  Agreement: explained variance of each component, and |cosine| between the latent directions found.
- nearest training images (gan_core.explore.memorisation): 64 samples of the bundled MNIST generator against 2,000
  training digits in pixel space (as the copying check does), and the training images' own nearest distances.
  Agreement: the same neighbour for every sample, the same distances and the same spacing.

The hand-written versions are the code the app ran before it switched (kept here, verbatim in what they compute).
`python -m bench.sklearn_numerics [--repeats 3]`
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

FIT_SAMPLE, ITERATIONS, CHUNK = 10_000, 20, 10_000  # as gan_core.training.clusters


# --- the hand-written versions ---------------------------------------------------------------------------------------

def hand_kmeans(pixels: np.ndarray, groups: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """The engine's own (gan_core.training.clusters.kmeans_centres): (centres, labels)."""
    from gan_core.training.clusters import kmeans_centres

    return kmeans_centres(pixels, groups, seed)


def hand_top_components(x: np.ndarray, count: int, rng) -> tuple[np.ndarray, np.ndarray]:
    """Randomized SVD (Halko et al.), 10 extra columns, 3 power iterations."""
    sketch = x @ rng.standard_normal((x.shape[1], count + 10)).astype(x.dtype)
    for _ in range(3):
        sketch, _ = np.linalg.qr(sketch)
        sketch = x @ (x.T @ sketch)
    basis, _ = np.linalg.qr(sketch)
    _, singular, right = np.linalg.svd(basis.T @ x, full_matrices=False)
    return right[:count], singular[:count]


def hand_directions(activations: np.ndarray, latents: np.ndarray, count: int, seed: int):
    centred = activations - activations.mean(axis=0)
    components, singular = hand_top_components(centred, count, np.random.default_rng(seed + 2))
    weights, *_ = np.linalg.lstsq(centred @ components.T, latents, rcond=None)
    explained = singular ** 2 / float(np.sum(centred.astype(np.float64) ** 2))
    return weights / np.linalg.norm(weights, axis=1, keepdims=True), explained


def hand_pairwise(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    squared = (a * a).sum(axis=1)[:, None] + (b * b).sum(axis=1)[None, :] - 2.0 * a @ b.T
    return np.sqrt(np.maximum(squared, 0.0))


def hand_neighbours(samples: np.ndarray, training: np.ndarray):
    distances = hand_pairwise(samples, training)
    nearest = distances.argmin(axis=1)
    own = hand_pairwise(training, training)
    np.fill_diagonal(own, np.inf)
    return nearest, distances[np.arange(len(nearest)), nearest], float(np.median(own.min(axis=1)))


# --- the scikit-learn versions (what the app now runs) ---------------------------------------------------------------

def sklearn_kmeans(pixels: np.ndarray, groups: int, seed: int, kind: str = "greedy"):
    """KMeans after its default (greedy) k-means++ start; or after plain k-means++ (one candidate per centre, as the
    hand-written start); or MiniBatchKMeans. Returns (centres, labels)."""
    from sklearn.cluster import KMeans, MiniBatchKMeans, kmeans_plusplus

    rng = np.random.default_rng(seed)
    fit = pixels[np.sort(rng.permutation(len(pixels))[:FIT_SAMPLE])].astype(np.float32) / 255.0
    if kind == "mini_batch":
        model = MiniBatchKMeans(groups, batch_size=2048, n_init=1, random_state=seed)
    elif kind == "plain":
        start, _ = kmeans_plusplus(fit, groups, random_state=seed, n_local_trials=1)
        model = KMeans(groups, init=start, n_init=1, max_iter=ITERATIONS)
    else:
        model = KMeans(groups, n_init=1, max_iter=ITERATIONS, random_state=seed)
    model.fit(fit)
    labels = np.concatenate([model.predict(pixels[start:start + CHUNK].astype(np.float32) / 255.0)
                             for start in range(0, len(pixels), CHUNK)])
    return model.cluster_centers_, labels


def sklearn_directions(activations: np.ndarray, latents: np.ndarray, count: int, seed: int):
    from sklearn.decomposition import PCA

    pca = PCA(count, svd_solver="randomized", random_state=seed + 2)
    coordinates = pca.fit_transform(activations)
    weights, *_ = np.linalg.lstsq(coordinates, latents, rcond=None)
    return weights / np.linalg.norm(weights, axis=1, keepdims=True), pca.explained_variance_ratio_


def sklearn_neighbours(samples: np.ndarray, training: np.ndarray):
    from sklearn.neighbors import NearestNeighbors

    index = NearestNeighbors(n_neighbors=1).fit(training)
    distance, nearest = index.kneighbors(samples)
    own, _ = index.kneighbors()  # each training image's nearest other one
    return nearest[:, 0], distance[:, 0], float(np.median(own[:, 0]))


# --- the comparison --------------------------------------------------------------------------------------------------

def best_of(repeats: int, jobs: dict) -> tuple[dict, dict]:
    """Each job run `repeats` times, interleaved; (best seconds, last result) per name."""
    seconds, results = {name: [] for name in jobs}, {}
    for _ in range(repeats):
        for name, job in jobs.items():
            started = time.perf_counter()
            results[name] = job()
            seconds[name].append(time.perf_counter() - started)
    return {name: min(times) for name, times in seconds.items()}, results


def show(title: str, seconds: dict, checks: dict) -> None:
    base = seconds["hand"]
    print(title)
    for name, spent in seconds.items():
        print(f"  {name:24s} {spent:8.3f} s   {spent / base:5.2f}x hand   {checks[name]}")
    print(flush=True)


def bench_kmeans(repeats: int) -> None:
    from gan_core.data.datasets import load_dataset
    from gan_core.training.clusters import deskew

    mnist = load_dataset("mnist")
    pixels = deskew(mnist.images).reshape(len(mnist.images), -1)
    for groups in (400, 80):
        jobs = {
            "hand": lambda: hand_kmeans(pixels, groups, 0),
            "sklearn KMeans": lambda: sklearn_kmeans(pixels, groups, 0),
            "sklearn KMeans, plain ++": lambda: sklearn_kmeans(pixels, groups, 0, "plain"),
            "sklearn MiniBatchKMeans": lambda: sklearn_kmeans(pixels, groups, 0, "mini_batch"),
        }
        seconds, results = best_of(repeats, jobs)
        floats = pixels.astype(np.float32) / 255.0
        checks = {}
        for name, (centres, labels) in results.items():
            inertia = float(np.mean(np.sum((floats - centres[labels]) ** 2, axis=1)))
            purity = sum(np.bincount(mnist.labels[labels == g]).max() for g in np.unique(labels)) / len(labels)
            checks[name] = f"mean sq. distance {inertia:6.3f}   purity {purity:.3f}   groups {len(np.unique(labels))}"
        show(f"k-means, {groups} groups, 60,000 deskewed digits (fit on 10,000, then all assigned)", seconds, checks)


def bench_directions(repeats: int) -> None:
    from gan_core.explore.generators import Generator
    from gan_core.training.pretrained import bundled_generators

    for bundled in bundled_generators():
        if bundled.name not in ("mnist", "fashion"):
            continue
        generator = Generator.load(bundled.path)
        latents = generator.sample_latents(2000, 0)
        labels = np.random.default_rng(1).integers(0, generator.num_classes, 2000) if generator.conditional else None
        activations = generator.activations(latents, labels)
        jobs = {"hand": lambda: hand_directions(activations, latents, 6, 0),
                "sklearn PCA randomized": lambda: sklearn_directions(activations, latents, 6, 0)}
        seconds, results = best_of(repeats, jobs)
        hand_vectors, hand_explained = results["hand"]
        checks = {}
        for name, (vectors, explained) in results.items():
            cosine = np.abs(np.sum(vectors * hand_vectors, axis=1))
            shares = " ".join(f"{float(v):.4f}" for v in explained)
            checks[name] = (f"explained {shares}   |cos| to hand min {cosine.min():.4f}"
                            f"   max |explained - hand| {np.abs(explained - hand_explained).max():.1e}")
        show(f"principal directions, {bundled.name}: 2,000 x {activations.shape[1]} activations "
             f"({generator.feature_layer}), 6 components", seconds, checks)


def bench_neighbours(repeats: int) -> None:
    from gan_core.data.datasets import load_dataset
    from gan_core.explore.generators import Generator
    from gan_core.explore.memorisation import embed
    from gan_core.training.pretrained import bundled_generators

    generator = Generator.load(next(b.path for b in bundled_generators() if b.name == "mnist"))
    generated = generator.generate(generator.sample_latents(64, 0))
    images = load_dataset("mnist").images
    training = images[np.sort(np.random.default_rng(0).choice(len(images), 2000, replace=False))]
    train_features, space = embed(training)
    sample_features, _ = embed(generated)
    jobs = {"hand": lambda: hand_neighbours(sample_features, train_features),
            "sklearn NearestNeighbors": lambda: sklearn_neighbours(sample_features, train_features)}
    seconds, results = best_of(repeats, jobs)
    hand_index, hand_distance, hand_spacing = results["hand"]
    checks = {}
    for name, (index, distance, spacing) in results.items():
        checks[name] = (f"same neighbour {np.mean(index == hand_index):.0%}   max |distance - hand| "
                        f"{np.abs(distance - hand_distance).max():.1e}   spacing {spacing:.4f}"
                        f" (hand {hand_spacing:.4f})")
    show(f"nearest training images: 64 samples vs 2,000 MNIST digits, {space} "
         f"({train_features.shape[1]} values), and the training images' own spacing", seconds, checks)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3, help="runs of each version, interleaved; the best counts")
    parser.add_argument("--only", choices=("kmeans", "directions", "neighbours"), default=None)
    args = parser.parse_args(argv)
    header("Hand-written numerics vs scikit-learn, side by side (seconds, best of --repeats)")
    import sklearn
    from threadpoolctl import threadpool_info

    print(f"scikit-learn {sklearn.__version__}; numpy {np.__version__}; thread pools: "
          + ", ".join(f"{p['internal_api']} x{p['num_threads']}" for p in threadpool_info()), end="\n\n")
    for name, job in (("kmeans", bench_kmeans), ("directions", bench_directions), ("neighbours", bench_neighbours)):
        if args.only in (None, name):
            job(args.repeats)
    print(f"load average at the end {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
