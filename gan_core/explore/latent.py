"""Latent-space tools: one small interface over any generator, interpolation, and GANSpace-style directions."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np


class GeneratorHandle:
    """Any generator behind one interface (as GANSpace does): sample latents, generate images in [-1, 1].

    Latents are (n, latent_dim) float32; labels (n,) int for conditional models; images (n, h, w, c) float32.
    """

    def __init__(self, model, latent_dim: int, num_classes: int = 0, class_names=None, card: dict | None = None,
                 source: str = ""):
        import tensorflow as tf

        self.model = model
        self.latent_dim = int(latent_dim)
        self.num_classes = int(num_classes)
        self.class_names = list(class_names or [str(i) for i in range(self.num_classes)])
        self.card = card or {}
        self.source = source
        self.image_shape = tuple(int(d) for d in model.outputs[0].shape[1:])
        self._lock = threading.Lock()  # Keras models are not re-entrant across threads for graph tracing
        latent_spec = tf.TensorSpec((None, self.latent_dim), tf.float32)
        if self.conditional:
            label_spec = tf.TensorSpec((None, 1), tf.int32)
            self._forward = tf.function(lambda z, y: model([z, y], training=False),
                                        input_signature=[latent_spec, label_spec], reduce_retracing=True)
        else:
            self._forward = tf.function(lambda z: model(z, training=False), input_signature=[latent_spec],
                                        reduce_retracing=True)
        self._directions: dict = {}

    @classmethod
    def from_file(cls, path) -> "GeneratorHandle":
        from .modelio import load_generator

        loaded = load_generator(Path(path))
        return cls(loaded.model, loaded.latent_dim, loaded.num_classes, loaded.card.get("class_names"), loaded.card,
                   source=str(path))

    @property
    def conditional(self) -> bool:
        return self.num_classes > 0

    @property
    def groups(self) -> int:
        """Self-conditioning groups it was trained with (gan_core.explore.clusters; z[0] picks one), from its card; 0: none."""
        return int((self.card.get("config") or {}).get("clusters") or 0)

    def sample_latents(self, n: int, seed: int) -> np.ndarray:
        return np.random.default_rng(seed).standard_normal((n, self.latent_dim)).astype(np.float32)

    def generate(self, latents, labels=None) -> np.ndarray:
        latents = np.asarray(latents, np.float32).reshape(-1, self.latent_dim)
        with self._lock:
            if self.conditional:
                if labels is None:
                    labels = np.zeros(len(latents), np.int32)
                labels = np.asarray(labels, np.int32).reshape(-1, 1)
                out = self._forward(latents, labels)
            else:
                out = self._forward(latents)
        return out.numpy()

    def principal_directions(self, count: int = 10, samples: int = 2000, seed: int = 0) -> "Directions":
        """GANSpace: PCA of an early layer's activations over many samples, regressed back to latent space.
        Cached per (count, samples, seed)."""
        key = (count, samples, seed)
        if key not in self._directions:
            self._directions[key] = _principal_directions(self, count, samples, seed)
        return self._directions[key]


@dataclass(frozen=True)
class Directions:
    """vectors: (k, latent_dim) unit directions in latent space; explained: (k,) share of variance."""

    vectors: np.ndarray
    explained: np.ndarray
    layer: str


def _early_layer(model):
    """The first nonlinearity after the latent projection: an early layer whose activations PCA can read."""
    for layer in model.layers:
        if type(layer).__name__ in ("LeakyReLU", "ReLU", "Activation"):
            return layer
    return next(layer for layer in model.layers if type(layer).__name__ == "Dense")


def _principal_directions(handle: GeneratorHandle, count: int, samples: int, seed: int) -> Directions:
    import keras

    model = handle.model
    layer = _early_layer(model)
    features_model = keras.Model(model.inputs, layer.output)
    latents = handle.sample_latents(samples, seed)
    if handle.conditional:
        labels = np.random.default_rng(seed + 1).integers(0, handle.num_classes, (samples, 1)).astype(np.int32)
        activations = features_model.predict([latents, labels], batch_size=500, verbose=0)
    else:
        activations = features_model.predict(latents, batch_size=500, verbose=0)
    activations = activations.reshape(samples, -1).astype(np.float32)
    activations -= activations.mean(axis=0)
    count = min(count, handle.latent_dim, *activations.shape)
    components, singular = _top_components(activations, count, np.random.default_rng(seed + 2))
    coordinates = activations @ components.T  # (samples, k)
    # Regress latents on the PCA coordinates: each component's direction in z.
    weights, *_ = np.linalg.lstsq(coordinates, latents, rcond=None)  # (k, latent_dim)
    vectors = weights / np.maximum(np.linalg.norm(weights, axis=1, keepdims=True), 1e-12)
    explained = singular**2 / float(np.sum(activations.astype(np.float64) ** 2))
    return Directions(vectors.astype(np.float32), explained.astype(np.float32), layer.name)


def _top_components(x: np.ndarray, count: int, rng) -> tuple[np.ndarray, np.ndarray]:
    """The leading right singular vectors of x (n, d) by randomized SVD (Halko et al.): O(n·d·k), not O(n·d²)."""
    sketch = x @ rng.standard_normal((x.shape[1], count + 10)).astype(x.dtype)
    for _ in range(3):  # power iterations sharpen the leading components
        sketch, _ = np.linalg.qr(sketch)
        sketch = x @ (x.T @ sketch)
    basis, _ = np.linalg.qr(sketch)
    _, singular, right = np.linalg.svd(basis.T @ x, full_matrices=False)
    return right[:count], singular[:count]


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


def interpolate(a: np.ndarray, b: np.ndarray, steps: int, method: str = "slerp", keep_group: bool = False) -> np.ndarray:
    """`steps` latents from a to b. keep_group (self-conditioned generators, gan_core.explore.clusters): z[0], which
    picks the group, stays a's all the way, so the strip changes within one group instead of jumping."""
    path = slerp(a, b, steps) if method == "slerp" else lerp(a, b, steps)
    if keep_group:
        path[:, 0] = a[0]
    return path


def class_morph(handle: GeneratorHandle, latent: np.ndarray, class_a: int, class_b: int, steps: int) -> np.ndarray:
    """A conditional generator's images as its class embedding slides from class_a to class_b, latent fixed.
    Works on a private copy of the model: the label's embedding row 0 is replaced by each mixture in turn."""
    import keras

    if not handle.conditional:
        raise ValueError("class morph needs a conditional generator")
    with handle._lock:
        morph_model = getattr(handle, "_morph_model", None)
        if morph_model is None:
            morph_model = keras.models.clone_model(handle.model)
            morph_model.set_weights(handle.model.get_weights())
            handle._morph_model = morph_model
        embedding = next(layer for layer in morph_model.layers if type(layer).__name__ == "Embedding")
        table = keras.ops.convert_to_numpy(embedding.embeddings)
        original = table.copy()
        frames = []
        try:
            for t in np.linspace(0.0, 1.0, steps):
                table[0] = (1.0 - t) * original[class_a] + t * original[class_b]
                embedding.embeddings.assign(table)
                out = morph_model([latent.reshape(1, -1).astype(np.float32), np.zeros((1, 1), np.int32)],
                                  training=False)
                frames.append(keras.ops.convert_to_numpy(out)[0])
        finally:
            embedding.embeddings.assign(original)
    return np.stack(frames)
