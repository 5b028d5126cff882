"""Self-conditioning: groups found in the images without labels, so an unconditional GAN learns distinct modes.

Why: a generator is a continuous function of its latent vector, so an unconditional MNIST generator must pass
through in-between shapes (half a 4, half a 9) wherever its output changes digit. Those are the samples a
classifier cannot recognise, and the reason our unconditional recipes stalled near 70% recognised while the same
networks given the label reached 98%. Self-conditioned GANs (Liu et al., "Diverse Image Generation via
Self-Conditioned GANs", CVPR 2020) give the networks groups instead of labels: k-means on the images, no
annotation used. G and D are trained conditioned on the group, as a conditional GAN is on its class.

The generator stays unconditional to everyone who uses it: it reads its group from latent dimension 0, cut at
the normal quantiles of the groups' sizes, so z ~ N(0, I) picks each group as often as it occurs in the data.
The cut is made of Keras' own layers (Cropping1D, Discretization), so the saved model loads with safe_mode.

What k-means compares: pixels, but for handwriting (`Dataset.strokes`: MNIST) after deskewing each image by its
moments (the classic MNIST preprocessing, LeCun et al. 1998): a slanted 1 and an upright 1 are far apart
in pixels, and k-means would rather put the slanted 1 with a 7. Deskewed, more of each group is one shape
(MNIST, 400 groups: 90% -> 94% of a group's images are one digit), and a generator trained on these groups
draws recognisable digits more often (bench/RESULTS.md). The generator still learns the images as they are:
the deskewed copies only decide the groups.
"""

from __future__ import annotations

from statistics import NormalDist

import numpy as np

IMAGES_PER_GROUP = 50  # never more groups than one per 50 images: a folder of 400 photos gets at most 8
FIT_SAMPLE = 10_000  # images the centres are fitted on; every image is then assigned to its nearest centre
ITERATIONS = 20
CHUNK = 10_000  # images turned into floats at a time (deskewing, assigning): bounded memory


def group_count(asked: int, images: int) -> int:
    """The groups a run gets: what it asked for, but at least IMAGES_PER_GROUP images each (and 2 at least)."""
    return max(2, min(asked, images // IMAGES_PER_GROUP))


def kmeans(images: np.ndarray, groups: int, seed: int = 0, strokes: bool = False) -> np.ndarray:
    """Group labels (n,) int32 in 0..k-1 for uint8 images (n, h, w, c), by k-means (k-means++ start) on their
    pixels, deskewed first if they are `strokes` (one-channel handwriting). Empty groups are dropped and the
    rest renumbered by size, largest first, so k may come back smaller."""
    if strokes:
        images = deskew(images)
    pixels = images.reshape(len(images), -1)  # uint8; turned into floats a chunk at a time
    centres, labels = kmeans_centres(pixels, groups, seed)
    counts = np.bincount(labels, minlength=len(centres))
    order = np.argsort(-counts, kind="stable")
    order = order[counts[order] > 0]
    renumber = np.full(len(centres), -1, np.int64)
    renumber[order] = np.arange(len(order))
    return renumber[labels].astype(np.int32)


def kmeans_centres(pixels: np.ndarray, groups: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(centres, nearest centre of every row) for uint8 rows: a k-means++ start and ITERATIONS Lloyd steps on a
    seeded FIT_SAMPLE of them. Written here rather than taken from scikit-learn: on MNIST its KMeans was 1.7-2.2x
    slower and grouped only marginally better (bench/sklearn_numerics.py, bench/RESULTS.md)."""
    rng = np.random.default_rng(seed)
    fit = _floats(pixels[np.sort(rng.permutation(len(pixels))[:FIT_SAMPLE])])
    centres = _kmeans_plus_plus(fit, groups, rng)
    for _ in range(ITERATIONS):
        nearest = _nearest(fit, centres)
        for group in range(len(centres)):
            members = fit[nearest == group]
            if len(members):
                centres[group] = members.mean(axis=0)
    return centres, _nearest(pixels, centres)


def deskew(images: np.ndarray) -> np.ndarray:
    """One-channel uint8 images (n, h, w, 1), each sheared along x so that its ink's main axis is vertical and
    moved so that the ink's centre of mass is in the middle (Keras' bilinear affine transform, black outside)."""
    import keras

    height, width = images.shape[1:3]
    rows, cols = np.mgrid[:height, :width].astype(np.float32)
    middle_row, middle_col = height / 2, width / 2
    out = np.empty_like(images)
    for start in range(0, len(images), CHUNK):
        ink = images[start:start + CHUNK].astype(np.float32)
        flat = ink[..., 0]
        mass = np.maximum(flat.sum(axis=(1, 2)), 1e-6)
        centre_row = np.einsum("nhw,hw->n", flat, rows) / mass
        centre_col = np.einsum("nhw,hw->n", flat, cols) / mass
        row_spread = np.einsum("nhw,hw->n", flat, rows * rows) / mass - centre_row ** 2
        covariance = np.einsum("nhw,hw->n", flat, rows * cols) / mass - centre_row * centre_col
        slant = covariance / np.maximum(row_spread, 1e-6)
        # output (x=col, y=row) reads the input at (x + slant (y - middle) + centre_col - middle, y + centre_row - middle)
        zero, one = np.zeros_like(slant), np.ones_like(slant)
        transforms = np.stack([one, slant, centre_col - middle_col - slant * middle_row,
                               zero, one, centre_row - middle_row, zero, zero], axis=1)
        moved = keras.ops.image.affine_transform(ink, transforms, interpolation="bilinear", fill_mode="constant",
                                                 data_format="channels_last")
        out[start:start + CHUNK] = np.clip(np.round(keras.ops.convert_to_numpy(moved)), 0, 255)
    return out


def _kmeans_plus_plus(points: np.ndarray, groups: int, rng) -> np.ndarray:
    squares = (points * points).sum(axis=1)
    centres = [points[rng.integers(len(points))]]
    distance = np.maximum(squares - 2.0 * points @ centres[0] + centres[0] @ centres[0], 0.0)
    for _ in range(min(groups, len(points)) - 1):
        if distance.sum() <= 0:
            break  # fewer distinct images than groups
        centre = points[rng.choice(len(points), p=distance / distance.sum())]
        centres.append(centre)
        distance = np.minimum(distance, np.maximum(squares - 2.0 * points @ centre + centre @ centre, 0.0))
    return np.stack(centres)


def _floats(pixels: np.ndarray) -> np.ndarray:
    return pixels.astype(np.float32) / 255.0


def _nearest(points: np.ndarray, centres: np.ndarray) -> np.ndarray:
    """Index of the nearest centre for each point (uint8 pixels or floats in [0, 1])."""
    labels = np.empty(len(points), np.int64)
    for start in range(0, len(points), CHUNK):
        chunk = points[start:start + CHUNK]
        if chunk.dtype == np.uint8:
            chunk = _floats(chunk)
        distance = -2.0 * chunk @ centres.T + (centres * centres).sum(axis=1)[None, :]
        labels[start:start + len(chunk)] = distance.argmin(axis=1)
    return labels


def latent_bounds(labels: np.ndarray) -> list[float]:
    """Cut points on latent dimension 0 (k-1 of them, increasing): a standard normal value falls in group g's
    interval with the probability of group g in the data."""
    counts = np.bincount(labels).astype(np.float64)
    shares = np.cumsum(counts)[:-1] / counts.sum()
    return [float(NormalDist().inv_cdf(share)) for share in shares]

