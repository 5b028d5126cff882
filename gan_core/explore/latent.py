"""Latent-space tools over any generator (gan_core.explore.generators.Generator): interpolation and GANSpace-style
principal directions."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..training import metrics
from .generators import Generator


@dataclass(frozen=True)
class Directions:
    """vectors: (k, latent_dim) unit directions in latent space; explained: (k,) share of variance."""

    vectors: np.ndarray
    explained: np.ndarray
    layer: str


def principal_directions(generator: Generator, count: int = 10, samples: int = 2000, seed: int = 0) -> Directions:
    """GANSpace: PCA of an early layer's activations over `samples` latents, regressed back to latent space. Not
    cached here: the explorer caches it per generator (gan_ui.explore_view.directions_for)."""
    from sklearn.decomposition import PCA

    latents = generator.sample_latents(samples, seed)
    labels = None
    if generator.conditional:
        labels = np.random.default_rng(seed + 1).integers(0, generator.num_classes, samples)
    activations = generator.activations(latents, labels)  # (samples, features)
    count = min(count, generator.latent_dim, *activations.shape)
    pca = PCA(count, svd_solver="randomized", random_state=seed + 2)
    coordinates = pca.fit_transform(activations)  # (samples, k)
    # Regress latents on the PCA coordinates: each component's direction in z.
    weights, *_ = np.linalg.lstsq(coordinates, latents, rcond=None)  # (k, latent_dim)
    vectors = weights / np.maximum(np.linalg.norm(weights, axis=1, keepdims=True), 1e-12)
    return Directions(vectors.astype(np.float32), pca.explained_variance_ratio_.astype(np.float32),
                      generator.feature_layer)


def lerp(a: np.ndarray, b: np.ndarray, steps: int) -> np.ndarray:
    """Straight-line interpolation: (steps, latent_dim)."""
    t = np.linspace(0.0, 1.0, steps, dtype=np.float32)[:, None]
    return (1.0 - t) * a[None] + t * b[None]


def slerp(a: np.ndarray, b: np.ndarray, steps: int) -> np.ndarray:
    """Spherical interpolation (White 2016): stays near the Gaussian prior's shell."""
    a64, b64 = a.astype(np.float64), b.astype(np.float64)
    cos = np.dot(a64, b64) / max(np.linalg.norm(a64) * np.linalg.norm(b64), 1e-12)
    omega = np.arccos(np.clip(cos, -1.0, 1.0))
    t = np.linspace(0.0, 1.0, steps)[:, None]
    if omega < 1e-6:
        return lerp(a, b, steps)
    result = (np.sin((1.0 - t) * omega) * a64[None] + np.sin(t * omega) * b64[None]) / np.sin(omega)
    return result.astype(np.float32)


def interpolate(a: np.ndarray, b: np.ndarray, steps: int, method: str = "slerp",
                keep_group: bool = False) -> np.ndarray:
    """`steps` latents from a to b. keep_group (self-conditioned generators, gan_core.training.clusters): z[0], which
    picks the group, stays a's all the way, so the strip changes within one group instead of jumping."""
    path = slerp(a, b, steps) if method == "slerp" else lerp(a, b, steps)
    if keep_group:
        path[:, 0] = a[0]
    return path


def reads_classes(generator: Generator, classifier_dataset: str | None) -> bool:
    """Whether the shipped classifier of `classifier_dataset` reads this conditional generator's pictures and
    classes (same image shape, same number of classes)."""
    return bool(generator.conditional and classifier_dataset
                and metrics.has_classifier(classifier_dataset, generator.image_shape)
                and metrics.load_classifier(classifier_dataset).num_classes == generator.num_classes)


def typical_latent(generator: Generator, classifier_dataset: str, label: int, start: np.ndarray,
                   candidates: int = 64, seed: int = 0) -> np.ndarray:
    """A latent whose picture of class `label` the classifier of `classifier_dataset` (one that `reads_classes`)
    reads most surely as that class: `start` (kept if it is already the surest) or one of `candidates` - 1 drawn
    with `seed`. For a class morph on a generator whose class alone barely changes a picture
    (Generator.class_effect): its ends are then a typical picture of each class."""
    latents = np.concatenate([np.asarray(start, np.float32).reshape(1, -1),
                              generator.sample_latents(candidates - 1, seed)])
    _, probabilities = metrics.load_classifier(classifier_dataset).features_and_probabilities(
        generator.generate(latents, np.full(len(latents), label)))
    return latents[int(np.argmax(probabilities[:, label]))]
