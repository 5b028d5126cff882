"""DiffAugment (Zhao et al. 2020): differentiable colour, translation and cutout for small datasets."""

from __future__ import annotations

import tensorflow as tf


def diff_augment(images: tf.Tensor, seed: tf.Tensor) -> tf.Tensor:
    """images: (n, h, w, c) float in [-1, 1]; seed: int32 (2,) tensor for stateless randomness.
    Applied to real and fake images alike, so the discriminator never sees a difference in how they were shown."""
    seeds = tf.random.experimental.stateless_split(seed, 6)
    images = _colour(images, seeds[0], seeds[1], seeds[2])
    images = _translation(images, seeds[3], ratio=0.125)
    return _cutout(images, seeds[4], ratio=0.5)


def _colour(x, s_brightness, s_saturation, s_contrast):
    n = tf.shape(x)[0]
    x = x + (tf.random.stateless_uniform([n, 1, 1, 1], s_brightness) - 0.5)
    if x.shape[-1] == 3:
        mean = tf.reduce_mean(x, axis=3, keepdims=True)
        x = (x - mean) * (tf.random.stateless_uniform([n, 1, 1, 1], s_saturation) * 2.0) + mean
    mean = tf.reduce_mean(x, axis=[1, 2, 3], keepdims=True)
    return (x - mean) * (tf.random.stateless_uniform([n, 1, 1, 1], s_contrast) + 0.5) + mean


def _translation(x, seed, ratio):
    n, h, w = tf.shape(x)[0], tf.shape(x)[1], tf.shape(x)[2]
    shift_h = tf.cast(tf.cast(h, tf.float32) * ratio + 0.5, tf.int32)
    shift_w = tf.cast(tf.cast(w, tf.float32) * ratio + 0.5, tf.int32)
    seed_h, seed_w = tf.unstack(tf.random.experimental.stateless_split(seed, 2))
    dy = tf.random.stateless_uniform([n, 1, 1], seed_h, -shift_h, shift_h + 1, dtype=tf.int32)
    dx = tf.random.stateless_uniform([n, 1, 1], seed_w, -shift_w, shift_w + 1, dtype=tf.int32)
    rows = tf.clip_by_value(tf.range(h)[None, :, None] + dy + 1, 0, h + 1)
    cols = tf.clip_by_value(tf.range(w)[None, None, :] + dx + 1, 0, w + 1)
    padded = tf.pad(x, [[0, 0], [1, 1], [1, 1], [0, 0]])  # zero padding, as in the paper
    batch = tf.broadcast_to(tf.range(n)[:, None, None], tf.shape(rows + cols))
    index = tf.stack([batch, tf.broadcast_to(rows, tf.shape(batch)), tf.broadcast_to(cols, tf.shape(batch))], axis=-1)
    return tf.gather_nd(padded, index)


def _cutout(x, seed, ratio):
    n, h, w = tf.shape(x)[0], tf.shape(x)[1], tf.shape(x)[2]
    cut_h = tf.cast(tf.cast(h, tf.float32) * ratio + 0.5, tf.int32)
    cut_w = tf.cast(tf.cast(w, tf.float32) * ratio + 0.5, tf.int32)
    seed_y, seed_x = tf.unstack(tf.random.experimental.stateless_split(seed, 2))
    cy = tf.random.stateless_uniform([n, 1, 1], seed_y, 0, h + (1 - cut_h % 2), dtype=tf.int32)
    cx = tf.random.stateless_uniform([n, 1, 1], seed_x, 0, w + (1 - cut_w % 2), dtype=tf.int32)
    rows = tf.range(h)[None, :, None]
    cols = tf.range(w)[None, None, :]
    inside = (tf.abs(rows - cy) < cut_h // 2 + 1) & (tf.abs(cols - cx) < cut_w // 2 + 1)
    return x * tf.cast(~inside, x.dtype)[..., None]
