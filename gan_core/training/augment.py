"""DiffAugment (Zhao et al. 2020): differentiable colour, translation and cutout for small datasets.

Written in `keras.ops`, so the same augmentation runs wherever the GAN trains (TensorFlow here, PyTorch or JAX on a
machine that has only those)."""

from __future__ import annotations

from keras import ops, random


def diff_augment(images, seed):
    """images: (n, h, w, c) float in [-1, 1], h, w and c known; seed: a keras.random.SeedGenerator.
    Applied to real and fake images alike, so the discriminator never sees a difference in how they were shown."""
    images = _colour(images, seed)
    images = _translation(images, seed, ratio=0.125)
    return _cutout(images, seed, ratio=0.5)


def _per_image(x, seed):
    return random.uniform((ops.shape(x)[0], 1, 1, 1), seed=seed)


def _colour(x, seed):
    x = x + (_per_image(x, seed) - 0.5)
    if x.shape[-1] == 3:
        mean = ops.mean(x, axis=3, keepdims=True)
        x = (x - mean) * (_per_image(x, seed) * 2.0) + mean
    mean = ops.mean(x, axis=[1, 2, 3], keepdims=True)
    return (x - mean) * (_per_image(x, seed) + 0.5) + mean


def _translation(x, seed, ratio):
    """Shift each image by up to `ratio` of its size, filling with zeros (as in the paper)."""
    n = ops.shape(x)[0]
    h, w, c = x.shape[1], x.shape[2], x.shape[3]
    shift_h, shift_w = int(h * ratio + 0.5), int(w * ratio + 0.5)
    dy = random.randint((n, 1, 1), -shift_h, shift_h + 1, seed=seed, dtype="int32")
    dx = random.randint((n, 1, 1), -shift_w, shift_w + 1, seed=seed, dtype="int32")
    rows = ops.clip(ops.arange(h, dtype="int32")[None, :, None] + dy + 1, 0, h + 1)
    cols = ops.clip(ops.arange(w, dtype="int32")[None, None, :] + dx + 1, 0, w + 1)
    padded = ops.reshape(ops.pad(x, [[0, 0], [1, 1], [1, 1], [0, 0]]), (n, (h + 2) * (w + 2), c))
    index = ops.repeat(ops.reshape(rows * (w + 2) + cols, (n, h * w, 1)), c, axis=2)
    return ops.reshape(ops.take_along_axis(padded, index, axis=1), (n, h, w, c))


def _cutout(x, seed, ratio):
    """Blank one square of `ratio` of the size per image, anywhere (partly outside) the image."""
    n = ops.shape(x)[0]
    h, w = x.shape[1], x.shape[2]
    cut_h, cut_w = int(h * ratio + 0.5), int(w * ratio + 0.5)
    cy = random.randint((n, 1, 1), 0, h + (1 - cut_h % 2), seed=seed, dtype="int32")
    cx = random.randint((n, 1, 1), 0, w + (1 - cut_w % 2), seed=seed, dtype="int32")
    rows = ops.arange(h, dtype="int32")[None, :, None]
    cols = ops.arange(w, dtype="int32")[None, None, :]
    inside = ops.logical_and(ops.abs(rows - cy) < cut_h // 2 + 1, ops.abs(cols - cx) < cut_w // 2 + 1)
    return x * ops.cast(ops.logical_not(inside), x.dtype)[..., None]
