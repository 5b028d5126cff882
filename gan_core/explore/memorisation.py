"""Is it copying? Generated samples beside their nearest training images, and a one-line verdict.

Small folders invite memorisation: a generator that draws its 300 training photos back has learnt nothing a class
wants to see. Distances are measured on the features of the dataset's shipped classifier when one fits the
images (gan_core.training.metrics: what the network "sees"), else on pixels at 16x16. A sample is a near copy when it is
closer to some training image than training images usually are to each other (half the median distance from a
training image to its nearest other one).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..training import metrics
from ..training.diagnosis import still_at_start

COPY_FACTOR = 0.5  # near copy: nearer than this share of the training images' own median nearest distance
COPYING_SHARE = 0.25  # verdict "copying" when at least this share of samples are near copies
ALIKE = 0.35  # samples this much less varied than the photos (the run's epoch "diversity") are still one blur


@dataclass
class Neighbours:
    """For each generated sample (n): the index of its nearest training image and the distance to it; the training
    images' typical nearest distance to each other; which space it was measured in ("classifier" or "pixels")."""

    index: np.ndarray  # (n,) int
    distance: np.ndarray  # (n,) float
    training_spacing: float
    space: str

    @property
    def near_copies(self) -> np.ndarray:
        """(n,) bool: samples nearer to a training image than COPY_FACTOR x the training spacing."""
        return self.distance < COPY_FACTOR * self.training_spacing

    @property
    def copy_share(self) -> float:
        return float(np.mean(self.near_copies)) if len(self.distance) else 0.0

    @property
    def verdict(self) -> str:
        """"copying", "some_copies" or "new": a key the UI translates (memorise.<verdict>)."""
        if self.copy_share >= COPYING_SHARE:
            return "copying"
        return "some_copies" if self.copy_share > 0 else "new"


def embed(images: np.ndarray, dataset_name: str = "") -> tuple[np.ndarray, str]:
    """images: (n, h, w, c) uint8 or float in [-1, 1] -> ((n, d) float32 features, the space's name)."""
    unit = metrics.as_unit_range(images)
    if dataset_name and metrics.has_classifier(dataset_name, images.shape[1:]):
        features, _ = metrics.load_classifier(dataset_name).features_and_probabilities(unit)
        return np.asarray(features, np.float32), "classifier"
    return _pixels(unit), "pixels"


def _pixels(unit: np.ndarray) -> np.ndarray:
    """(n, h, w, c) in [0, 1] -> (n, 16*16*c): block means, so a shift by a pixel does not hide a copy."""
    n, h, w, c = unit.shape
    fh, fw = max(h // 16, 1), max(w // 16, 1)
    small = unit[:, : fh * (h // fh), : fw * (w // fw)].reshape(n, h // fh, fh, w // fw, fw, c).mean(axis=(2, 4))
    return small.reshape(n, -1).astype(np.float32)


def nearest_training_images(generated: np.ndarray, training: np.ndarray, dataset_name: str = "",
                            max_training: int = 2000, seed: int = 0) -> Neighbours:
    """Nearest training image of each generated one (up to `max_training` training images, a seeded sample)."""
    from sklearn.neighbors import NearestNeighbors

    if len(training) > max_training:
        keep = np.sort(np.random.default_rng(seed).choice(len(training), max_training, replace=False))
        training, index_map = training[keep], keep
    else:
        index_map = np.arange(len(training))
    train_features, space = embed(training, dataset_name)
    sample_features, _ = embed(generated, dataset_name)
    index = NearestNeighbors(n_neighbors=1).fit(train_features)
    distance, nearest = index.kneighbors(sample_features)
    spacing = 0.0
    if len(train_features) > 1:
        own, _ = index.kneighbors()  # without a query, each training image's nearest *other* one
        spacing = float(np.median(own[:, 0]))
    return Neighbours(index_map[nearest[:, 0]], distance[:, 0], spacing, space)


def not_learnt(epochs: list[dict]) -> str | None:
    """Why the run's generator has not learnt the photos yet, from its epoch records (gan_core.training.trainer):
    "not_moved" when its grid's samples are still the pictures they started as (diagnosis.still_at_start: the
    bundled animals it started from, or its first noise), "alike" when its samples are still much alike (an early
    generator's blur, which sits near every plain photo); None when it has moved on, or no epoch says.
    Nearest distances cannot tell this: a generator that learnt nothing is as far from the photos as new photos
    are (the bundled animals), or nearer to the plain ones than they are to each other (a grey blur)."""
    if not epochs:
        return None
    if still_at_start(epochs, min_epochs=1) is not None:
        return "not_moved"
    if epochs[-1].get("diversity") is not None and epochs[-1]["diversity"] < ALIKE:
        return "alike"
    return None


def verdict(neighbours: Neighbours, epochs: list[dict]) -> str:
    """The panel's answer: "not_learnt_<why>" (not_learnt) before any talk of copies, since "not copying" from a
    generator that has learnt nothing reads as good news and is none; else the distances' verdict."""
    why = not_learnt(epochs)
    return f"not_learnt_{why}" if why else neighbours.verdict
