"""What the 2-D playground measures and shows of a network: the JS divergence between real and fake points, D's
decision read the way each loss trains it, the heatmap's grid and G's manifold lines."""

from __future__ import annotations

import numpy as np

from .config import BOX

HEATMAP_SIZE = 30  # D's decision on a 30x30 grid, as GAN Lab
JS_BINS = 20  # the divergence compares histograms on a 20x20 grid
MANIFOLD_LINES = 11  # G's manifold: an 11x11 grid of the noise space (one line for 1-D noise)
MANIFOLD_POINTS = 30  # points per manifold line


def js_divergence(real: np.ndarray, fake: np.ndarray, bins: int = JS_BINS) -> float:
    """Jensen-Shannon divergence in bits (0: same histogram, 1: no overlap) between two point sets' histograms on
    a bins x bins grid over the box. Points outside the box count in the edge cells."""
    edges = np.linspace(-BOX, BOX, bins + 1)

    def histogram(points):
        clipped = np.clip(points, -BOX, BOX - 1e-6)
        counts, _, _ = np.histogram2d(clipped[:, 0], clipped[:, 1], bins=[edges, edges])
        return counts.ravel() / max(len(points), 1)

    p, q = histogram(real), histogram(fake)
    m = (p + q) / 2

    def kl(a):
        mask = a > 0
        return float(np.sum(a[mask] * np.log2(a[mask] / m[mask])))

    return 0.5 * kl(p) + 0.5 * kl(q)


def decision_map(loss: str, scores: np.ndarray) -> np.ndarray:
    """D's raw outputs as "how real D thinks a point is", in [0, 1], read the way each loss trains them: a
    probability (cross-entropies), the least-squares target (0 fake, 1 real), the hinge's margin (-1, 1); a
    Wasserstein critic has no scale, so its grid is stretched to [0, 1]."""
    if loss in ("bce_logits", "log"):
        return 1.0 / (1.0 + np.exp(-np.clip(scores, -60, 60)))
    if loss == "lsgan":
        return np.clip(scores, 0.0, 1.0)
    if loss == "hinge":
        return (np.clip(scores, -1.0, 1.0) + 1.0) / 2.0
    low, high = float(scores.min()), float(scores.max())
    return (scores - low) / (high - low) if high > low else np.full_like(scores, 0.5)


def grid_points(size: int = HEATMAP_SIZE) -> tuple[np.ndarray, np.ndarray]:
    """The centres of a size x size grid over the box: (axis values (size,), points (size*size, 2) row-major in y)."""
    step = 2 * BOX / size
    axis = np.linspace(-BOX + step / 2, BOX - step / 2, size)
    xs, ys = np.meshgrid(axis, axis)
    return axis, np.stack([xs.ravel(), ys.ravel()], axis=1).astype(np.float32)


def manifold_latents(noise_dim: int, noise: str) -> np.ndarray:
    """The noise space's grid lines as latents (lines, MANIFOLD_POINTS, noise_dim): horizontal then vertical lines
    of an 11x11 grid over [-1, 1]² (±2 for Gaussian noise), or the one line of 1-D noise."""
    reach = 1.0 if noise == "uniform" else 2.0
    along = np.linspace(-reach, reach, MANIFOLD_POINTS)
    if noise_dim == 1:
        return along[None, :, None].astype(np.float32)
    across = np.linspace(-reach, reach, MANIFOLD_LINES)
    horizontal = np.stack(np.broadcast_arrays(along[None, :], across[:, None]), axis=-1)
    vertical = horizontal[..., ::-1]
    return np.concatenate([horizontal, vertical]).astype(np.float32)

