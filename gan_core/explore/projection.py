"""Projection: find the latent (and, for a conditional generator, the class) whose image is closest to a photo.

iGAN's hybrid (Zhu et al. 2016, junyanz/iGAN's default `cnn_opt`): a small feed-forward encoder, trained on the
generator's own samples (z -> G(z) -> back to z), gives a first guess; a few hundred Adam steps on the pixel
distance then refine it, from that guess and a few random restarts at once in one batch, with a Gaussian prior
that keeps z where the generator was trained. The encoder is cached beside a run's generator, or in the session's
folder for a bundled or uploaded one (bundled ones may ship theirs: scripts/make_encoders.py); nothing here writes
into pretrained/.

`ProjectionTask` runs one projection in a background thread and keeps its progress behind a lock, for a page to
read; it never touches a page.
"""

from __future__ import annotations

import hashlib
import os
import threading
import time
import weakref
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..i18n import GanError, Message

ENCODER_PREFIX = "encoder-"
SHIPPED_ENCODER = "encoder.keras"  # beside a bundled generator.keras, made by scripts/make_encoders.py
# Steps of an encoder trained at first use (a run's or an uploaded generator; bundled ones ship theirs): about a
# minute for a 32 px colour generator on two busy cores, shown as progress.
ENCODER_STEPS = int(os.environ.get("GAN_ENCODER_STEPS", "300"))
ENCODER_BATCH = 64
STEPS = 200  # Adam steps from each start
RESTARTS = 4  # starts optimised together: the encoder's guess (its best classes) and random ones
LEARNING_RATE = 0.05
PRIOR = 0.002  # weight of the Gaussian prior on z (mean of z² per dimension) against the pixel loss
POOL = 256  # random draws whose closest images are starts too: cheap (one batch forward), and they cover classes
# A hard edge to the prior: |z_i| <= 3 holds 99.7% of the normal the generator was trained on (and the explorer's
# sliders span exactly that, so they show the projected point as it is).
LATENT_LIMIT = 3.0
FEATURE_WEIGHT = 0.1  # the classifier features' term, when one is given (not by default: bench.projection)
CHUNK = 25  # steps per compiled call: progress is reported between calls
MAX_PHOTO_BYTES = 20_000_000
# Verdicts, by the distance over the usual distance between two of the generator's own images (typical_distance).
NEAR_RATIO = 0.2
LIKE_RATIO = 0.5


@dataclass
class Projection:
    """Where a photo landed: latent (latent_dim,), label (or None), the photo as the generator sees it and its
    reconstruction (both (h, w, c) uint8), their distance (root mean square over pixels in [0, 1]) and the
    generator's usual distance between two of its own images, for scale."""

    latent: np.ndarray
    label: int | None
    target: np.ndarray
    image: np.ndarray
    distance: float
    typical: float
    seconds: float
    method: str = "encoder+opt"
    encoder_distance: float | None = None  # the encoder's guess alone, before optimising

    @property
    def ratio(self) -> float:
        return self.distance / self.typical if self.typical > 0 else 0.0

    @property
    def verdict(self) -> str:
        """"near" (the generator can draw it), "like" (it resembles it), "far" (out of this generator's reach)."""
        if self.ratio < NEAR_RATIO:
            return "near"
        return "like" if self.ratio < LIKE_RATIO else "far"


# --- the photo -----------------------------------------------------------------------------------------------

def read_photo(file_name: str, data: bytes, image_shape) -> np.ndarray:
    """An uploaded photo as the generator sees it: (h, w, c) uint8, EXIF-rotated, centre-cropped, resized, in the
    generator's colours. The same checks as a photo of a dataset upload (gan_core.data.images: formats, sizes,
    decoded size from the header); a refused file raises GanError with the usual reason."""
    from ..data.datasets import is_photo_name
    from ..data.images import ImageRejected, decode_image
    from ..data.uploads import display_name

    shown = display_name(file_name)
    if not is_photo_name(shown):
        raise GanError("error.photo_refused", name=shown, reason=Message("skip.not_an_image"))
    if len(data) > MAX_PHOTO_BYTES:
        raise GanError("error.photo_refused", name=shown, reason=Message("skip.too_large"))
    height, _, channels = image_shape
    try:
        return decode_image(bytes(data), int(height), int(channels))
    except ImageRejected as exc:
        raise GanError("error.photo_refused", name=shown, reason=Message(f"skip.{exc.reason}")) from None


def fit_image(image: np.ndarray, image_shape) -> np.ndarray:
    """A dataset's uint8 image (h, w, c) resized, cropped and coloured for a generator of `image_shape`."""
    from PIL import Image, ImageOps

    from ..data.images import to_mode, to_pil

    height, width, channels = (int(d) for d in image_shape)
    image = np.asarray(image, np.uint8)
    if image.shape == (height, width, channels):
        return image
    pil = to_mode(to_pil(image), channels)
    pil = ImageOps.fit(pil, (width, height), method=Image.Resampling.LANCZOS)
    array = np.asarray(pil, np.uint8)
    return array[:, :, None] if array.ndim == 2 else array


def to_unit(images: np.ndarray) -> np.ndarray:
    """uint8 [0, 255] to the generator's [-1, 1] (float32)."""
    return np.asarray(images, np.float32) / 127.5 - 1.0


def distance(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Root mean square difference over pixels on a [0, 1] scale, per image: 0 identical, 1 black against white.
    a, b: images in [-1, 1] with the same trailing shape (batches broadcast)."""
    diff = (np.asarray(a, np.float32) - np.asarray(b, np.float32)) / 2.0
    return np.sqrt(np.mean(diff.reshape(*diff.shape[:-3], -1) ** 2, axis=-1))


_TYPICAL = weakref.WeakKeyDictionary()  # generator -> its typical distance (the same draws every time)


def typical_distance(generator, samples: int = 64, seed: int = 7) -> float:
    """The median distance between two different images of the generator: what "far apart" means for it (computed
    once per generator for the default draws)."""
    if (samples, seed) == (64, 7) and generator in _TYPICAL:
        return _TYPICAL[generator]
    latents = generator.sample_latents(2 * samples, seed)
    labels = _cycle_labels(generator, 2 * samples)
    images = generator.generate(latents, labels)
    typical = float(np.median(distance(images[:samples], images[samples:])))
    if (samples, seed) == (64, 7):
        _TYPICAL[generator] = typical
    return typical


def _cycle_labels(generator, n: int, offset: int = 0):
    return None if not generator.conditional else ((np.arange(n) + offset) % generator.num_classes).astype(np.int32)


# --- the encoder ---------------------------------------------------------------------------------------------

def fingerprint(generator) -> str:
    """16 hex digits naming the generator's weights: an encoder is cached under them (a run's generator is
    rewritten every epoch; a cached encoder must match the weights it was trained on)."""
    digest = hashlib.sha256()
    digest.update(repr((generator.latent_dim, generator.num_classes, generator.image_shape)).encode())
    for weight in generator.model.get_weights():
        digest.update(np.ascontiguousarray(weight).tobytes())
    return digest.hexdigest()[:16]


def build_encoder(image_shape, latent_dim: int, num_classes: int = 0):
    """A small convolutional net: image -> z (latent_dim), and the class logits for a conditional generator. Only
    layers on the generator files' allow-list, so a cached encoder loads with safe_mode=True like any model."""
    import keras
    from keras import layers

    image = keras.Input(tuple(int(d) for d in image_shape), name="image")
    x = image
    for filters in (16, 32, 64):  # small: five shipped beside the bundled generators stay under 4 MB together
        x = layers.Conv2D(filters, 4, strides=2, padding="same")(x)
        x = layers.LeakyReLU(0.2)(x)
    x = layers.Flatten()(x)
    outputs = [layers.Dense(latent_dim, name="latent")(x)]
    if num_classes:
        outputs.append(layers.Dense(num_classes, name="class_logits")(x))
    return keras.Model(image, outputs, name="encoder")


def train_encoder(generator, steps: int = ENCODER_STEPS, batch: int = ENCODER_BATCH, seed: int = 0,
                  progress=None):
    """Fit an encoder on the generator's own samples: random z (and class) -> G -> image -> back to z (mean squared
    error) and the class (cross-entropy). `progress(fraction)` is called as it goes."""
    import keras
    import tensorflow as tf

    encoder = build_encoder(generator.image_shape, generator.latent_dim, generator.num_classes)
    optimizer = keras.optimizers.Adam(1e-3)
    model = generator.model
    conditional = generator.conditional
    classes = generator.num_classes

    @tf.function(reduce_retracing=True)
    def step(z, y):
        images = model([z, tf.reshape(y, (-1, 1))], training=False) if conditional else model(z, training=False)
        with tf.GradientTape() as tape:
            out = encoder(images, training=True)
            if conditional:
                loss = tf.reduce_mean(tf.square(out[0] - z)) + 0.5 * tf.reduce_mean(
                    tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=out[1]))
            else:
                loss = tf.reduce_mean(tf.square(out - z))
        grads = tape.gradient(loss, encoder.trainable_variables)
        optimizer.apply_gradients(zip(grads, encoder.trainable_variables))
        return loss

    rng = np.random.default_rng(seed)
    for index in range(steps):
        z = rng.standard_normal((batch, generator.latent_dim)).astype(np.float32)
        y = rng.integers(0, max(classes, 1), batch).astype(np.int32)
        with generator.lock:  # the generator's model is traced and run here too
            step(z, y)
        if progress is not None and index % 20 == 0:
            progress(index / steps)
    if progress is not None:
        progress(1.0)
    return encoder


def load_encoder(path: Path):
    """A cached or shipped encoder: the archive checked like an uploaded generator, loaded with safe_mode=True."""
    from .generators import check_keras_archive, load_keras_file

    check_keras_archive(Path(path))
    return load_keras_file(Path(path))


def encoder_for(generator, cache_dir: Path | None, shipped: Path | None = None, progress=None,
                steps: int = ENCODER_STEPS, quota_check=None):
    """The generator's encoder: the one shipped beside a bundled generator, else one cached in `cache_dir` under
    the generator's fingerprint, else a new one trained now (and cached there when `quota_check(bytes)` lets it:
    it raises GanError when the session's space is full; the encoder is then used without being kept)."""
    if shipped is not None and shipped_matches(generator, Path(shipped)):
        return load_encoder(shipped)
    cached = Path(cache_dir) / f"{ENCODER_PREFIX}{fingerprint(generator)}.keras" if cache_dir is not None else None
    if cached is not None and cached.is_file():
        try:
            return load_encoder(cached)
        except GanError:
            cached.unlink(missing_ok=True)  # a damaged cache is made again
    encoder = train_encoder(generator, steps=steps, progress=progress)
    if cached is not None:
        save_encoder(encoder, cached, quota_check)
    return encoder


def shipped_matches(generator, path: Path) -> bool:
    """Whether a shipped encoder exists and was trained on exactly this generator (its encoder.json's fingerprint)."""
    import json

    record = Path(path).with_suffix(".json")
    if not Path(path).is_file() or not record.is_file():
        return False
    try:
        return json.loads(record.read_text()).get("generator") == fingerprint(generator)
    except ValueError:
        return False


def save_encoder(encoder, path: Path, quota_check=None) -> bool:
    """Write atomically; False (nothing kept) when the quota check refuses the bytes."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.stem + ".tmp.keras")
    encoder.save(tmp)
    if quota_check is not None:
        try:
            quota_check(tmp.stat().st_size)
        except GanError:
            tmp.unlink(missing_ok=True)
            return False
    tmp.replace(path)
    return True


def encode(encoder, generator, targets: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
    """(latents (n, latent_dim), class probabilities (n, classes) or None) for images in [-1, 1]."""
    out = encoder(np.asarray(targets, np.float32), training=False)
    if generator.conditional:
        latents, logits = (np.asarray(o) for o in out)
        logits = logits - logits.max(axis=1, keepdims=True)
        probabilities = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
        return latents.astype(np.float32), probabilities
    return np.asarray(out, np.float32), None


# --- optimisation ----------------------------------------------------------------------------------------------

def starting_points(generator, target: np.ndarray, encoder, restarts: int, seed: int, pool: int = 0):
    """(latents (restarts, d), labels (restarts,) or None) for a target in [-1, 1]. The encoder's guess first (for a
    conditional generator with its most likely class); then, with `pool`, the closest of `pool` random draws (their
    classes cycling over all: a class, or a self-conditioned group, cannot be reached by gradient steps, so the
    starts must cover them); the rest random draws from the prior."""
    rng = np.random.default_rng(seed)
    latents = rng.standard_normal((restarts, generator.latent_dim)).astype(np.float32)
    labels = _cycle_labels(generator, restarts, offset=int(rng.integers(0, max(generator.num_classes, 1))))
    taken = 0
    if encoder is not None:
        guess, probabilities = encode(encoder, generator, target[None])
        latents[0] = np.clip(guess[0], -LATENT_LIMIT, LATENT_LIMIT)
        if probabilities is not None:
            labels[0] = int(np.argmax(probabilities[0]))
        taken = 1
    if pool and restarts > taken:
        drawn = generator.sample_latents(pool, seed + 1)
        drawn_labels = _cycle_labels(generator, pool)
        closest = np.argsort(distance(generator.generate(drawn, drawn_labels), target[None]))[:restarts - taken]
        latents[taken:taken + len(closest)] = drawn[closest]
        if labels is not None:
            labels[taken:taken + len(closest)] = drawn_labels[closest]
    return latents, labels


class _Optimiser:
    """Adam written out on its own variables, compiled once per generator and batch size: tracing the step costs
    seconds on two cores, more than the steps themselves, so each projection only assigns new starts and reruns."""

    def __init__(self, generator, batch: int, features=None):
        import tensorflow as tf

        model, conditional = generator.model, generator.conditional
        shape = (batch, generator.latent_dim)
        self.busy = threading.Lock()
        self.z = tf.Variable(tf.zeros(shape))
        self.m = tf.Variable(tf.zeros(shape))
        self.v = tf.Variable(tf.zeros(shape))
        self.t = tf.Variable(0.0)
        self.y = tf.Variable(tf.zeros((batch, 1), tf.int32))
        self.target = tf.Variable(tf.zeros((batch, *generator.image_shape)))
        self.settings = tf.Variable([LEARNING_RATE, PRIOR, 0.0])  # learning rate, prior, feature weight
        self.target_features = None
        if features is not None:  # a shipped classifier's penultimate features (gan_core.training.metrics)
            width = int(features.outputs[0].shape[-1])
            self.target_features = tf.Variable(tf.zeros((batch, width)))

        def chunk(count):
            for _ in tf.range(count):
                with tf.GradientTape() as tape:
                    tape.watch(self.z)
                    images = model([self.z, self.y], training=False) if conditional else model(self.z, training=False)
                    pixel = tf.reduce_mean(tf.square(images - self.target), axis=[1, 2, 3])
                    loss = tf.reduce_sum(pixel + self.settings[1] * tf.reduce_mean(tf.square(self.z), axis=1))
                    if features is not None:  # mean squared feature difference, relative to the target's own size
                        found = features(images, training=False)[0]
                        scale = tf.reduce_mean(tf.square(self.target_features), axis=1) + 1e-6
                        loss += self.settings[2] * tf.reduce_sum(
                            tf.reduce_mean(tf.square(found - self.target_features), axis=1) / scale)
                grad = tape.gradient(loss, self.z)
                self.t.assign_add(1.0)
                self.m.assign(0.9 * self.m + 0.1 * grad)
                self.v.assign(0.999 * self.v + 0.001 * tf.square(grad))
                m_hat = self.m / (1.0 - tf.pow(0.9, self.t))
                v_hat = self.v / (1.0 - tf.pow(0.999, self.t))
                step = self.settings[0] * m_hat / (tf.sqrt(v_hat) + 1e-8)
                self.z.assign(tf.clip_by_value(self.z - step, -LATENT_LIMIT, LATENT_LIMIT))
            return self.z

        self.chunk = tf.function(chunk, input_signature=[tf.TensorSpec((), tf.int32)])

    def reset(self, latents, labels, targets, learning_rate: float, prior: float, feature_weight: float = 0.0,
              target_features=None) -> None:
        self.z.assign(np.asarray(latents, np.float32))
        self.m.assign(np.zeros_like(latents, np.float32))
        self.v.assign(np.zeros_like(latents, np.float32))
        self.t.assign(0.0)
        self.y.assign(np.zeros((len(latents), 1), np.int32) if labels is None
                      else np.asarray(labels, np.int32).reshape(-1, 1))
        self.target.assign(np.asarray(targets, np.float32))
        self.settings.assign([learning_rate, prior, feature_weight])
        if self.target_features is not None:
            self.target_features.assign(np.asarray(target_features, np.float32))


_OPTIMISERS = weakref.WeakKeyDictionary()  # generator -> {(batch, classifier or None): _Optimiser}


def optimise(generator, targets: np.ndarray, latents: np.ndarray, labels=None, steps: int = STEPS,
             learning_rate: float = LEARNING_RATE, prior: float = PRIOR, progress=None, classifier=None,
             feature_weight: float = FEATURE_WEIGHT) -> np.ndarray:
    """Adam on every latent at once (one batch): minimise the pixel mean squared error of G(z) to its target
    (targets: (n, h, w, c) in [-1, 1], one per latent) plus `prior` × mean(z²). Returns the final latents.
    The generator's lock is held from the starts' assignment to the end of each chunk of CHUNK steps (the compiled
    step is shared by everyone projecting into this generator), so the explorer's other users wait at most a
    chunk; progress(fraction) is called between chunks. With a `classifier` (gan_core.training.metrics.Classifier of
    the generator's image shape), its penultimate features' squared difference, relative to the target's, is added
    with `feature_weight` (iGAN adds AlexNet features; bench.projection measures whether it helps here)."""
    import tensorflow as tf

    features = None if classifier is None else classifier.model
    slot = (len(latents), None if classifier is None else classifier.sha256)
    with generator.lock:
        optimiser = _OPTIMISERS.setdefault(generator, {}).get(slot)
        if optimiser is None:
            optimiser = _OPTIMISERS[generator][slot] = _Optimiser(generator, len(latents), features)
    target_features = None
    if classifier is not None:
        target_features = classifier.features_and_probabilities(np.asarray(targets, np.float32))[0]
    with optimiser.busy:  # two sessions projecting into one bundled generator take turns on its variables
        optimiser.reset(latents, labels, targets, learning_rate, prior, feature_weight, target_features)
        done = 0
        while done < steps:
            count = min(CHUNK, steps - done)
            with generator.lock:
                optimiser.chunk(tf.constant(count, tf.int32))
            done += count
            if progress is not None:
                progress(done / steps)
        return optimiser.z.numpy()


def project(generator, target: np.ndarray, encoder=None, steps: int = STEPS, restarts: int = RESTARTS,
            seed: int = 0, prior: float = PRIOR, learning_rate: float = LEARNING_RATE, progress=None,
            typical: float | None = None, pool: int = POOL, classifier=None,
            feature_weight: float = FEATURE_WEIGHT) -> Projection:
    """Project one photo (uint8 (h, w, c) as the generator sees it, read_photo or fit_image) into the generator.
    With an encoder: its guess, then `steps` of optimisation from it and from the `restarts - 1` closest of `pool`
    random draws (all in one batch); without an encoder and pool=0: random starts only (the benchmark's
    "optimisation from random starts"). steps=0: the starts alone (the encoder's guess, when restarts=1)."""
    started = time.perf_counter()
    target_unit = to_unit(target)
    latents, labels = starting_points(generator, target_unit, encoder, restarts, seed, pool)
    encoder_distance = None
    if encoder is not None:
        guess = generator.generate(latents[:1], None if labels is None else labels[:1])
        encoder_distance = float(distance(guess, target_unit[None])[0])
    if steps > 0:
        latents = optimise(generator, np.repeat(target_unit[None], len(latents), axis=0), latents, labels, steps,
                           learning_rate, prior, progress, classifier, feature_weight)
    images = generator.generate(latents, labels)
    distances = distance(images, target_unit[None])
    best = int(np.argmin(distances))
    method = ("encoder" if steps == 0 else "encoder+opt") if encoder is not None else "opt"
    if classifier is not None and steps > 0:
        method += "+features"
    return Projection(latents[best], None if labels is None else int(labels[best]), np.asarray(target, np.uint8),
                      to_uint8(images[best]), float(distances[best]),
                      typical_distance(generator) if typical is None else typical,
                      time.perf_counter() - started, method, encoder_distance)


def best_of_random(generator, target: np.ndarray, samples: int = 1000, seed: int = 0, batch: int = 250,
                   typical: float | None = None) -> Projection:
    """The baseline: the closest of `samples` random draws of the generator (classes cycling over all)."""
    started = time.perf_counter()
    target_unit = to_unit(target)
    best_distance, best_latent, best_label, best_image = np.inf, None, None, None
    latents = generator.sample_latents(samples, seed)
    labels = _cycle_labels(generator, samples)
    for start in range(0, samples, batch):
        part = slice(start, start + batch)
        images = generator.generate(latents[part], None if labels is None else labels[part])
        distances = distance(images, target_unit[None])
        index = int(np.argmin(distances))
        if distances[index] < best_distance:
            best_distance, best_latent, best_image = float(distances[index]), latents[part][index], images[index]
            best_label = None if labels is None else int(labels[part][index])
    return Projection(best_latent, best_label, np.asarray(target, np.uint8), to_uint8(best_image), best_distance,
                      typical_distance(generator) if typical is None else typical, time.perf_counter() - started,
                      "random")


def to_uint8(image: np.ndarray) -> np.ndarray:
    from ..data.images import to_uint8 as convert

    return convert(image)


# --- off the page's thread -------------------------------------------------------------------------------------

@dataclass
class TaskView:
    """What a page reads of a ProjectionTask: the phase ("encoder", "optimise", "done", "failed"), how far it is
    (0-1), and the result or the error."""

    phase: str
    fraction: float
    result: Projection | None = None
    error: Message | None = None
    started: float = 0.0
    extra: dict = field(default_factory=dict)

    @property
    def active(self) -> bool:
        return self.phase in ("encoder", "optimise")


class ProjectionTask:
    """One projection in a background thread: first the generator's encoder (loaded, or trained and cached), then
    the optimisation. Progress is written behind a lock; `view()` is what a page reads. `extra` travels with it
    (the page's own bookkeeping: which generator, which photo)."""

    def __init__(self, generator, target: np.ndarray, cache_dir: Path | None, shipped: Path | None = None,
                 quota_check=None, extra: dict | None = None, steps: int | None = None, restarts: int | None = None,
                 encoder_steps: int | None = None):
        self._lock = threading.Lock()
        self._view = TaskView("encoder", 0.0, started=time.monotonic(), extra=dict(extra or {}))
        # None: the module's settings when the task starts
        self._args = (generator, np.asarray(target, np.uint8), cache_dir, shipped, quota_check,
                      STEPS if steps is None else steps, RESTARTS if restarts is None else restarts,
                      ENCODER_STEPS if encoder_steps is None else encoder_steps)
        self._thread = threading.Thread(target=self._work, name="projection", daemon=True)

    def start(self) -> "ProjectionTask":
        self._thread.start()
        return self

    def view(self) -> TaskView:
        with self._lock:
            return TaskView(**{**vars(self._view), "extra": dict(self._view.extra)})

    def wait(self, timeout: float | None = None) -> bool:
        self._thread.join(timeout)
        return not self._thread.is_alive()

    def note(self, **extra) -> None:
        """Add to `extra` (the page marks a result it has applied)."""
        with self._lock:
            self._view.extra.update(extra)

    def _set(self, **changes) -> None:
        with self._lock:
            for name, value in changes.items():
                setattr(self._view, name, value)

    def _work(self) -> None:
        generator, target, cache_dir, shipped, quota_check, steps, restarts, encoder_steps = self._args
        try:
            encoder = encoder_for(generator, cache_dir, shipped, quota_check=quota_check, steps=encoder_steps,
                                  progress=lambda f: self._set(fraction=0.8 * f))
            self._set(phase="optimise", fraction=0.0)
            result = project(generator, target, encoder, steps=steps, restarts=restarts,
                             progress=lambda f: self._set(fraction=f))
            self._set(phase="done", fraction=1.0, result=result)
        except GanError as exc:
            self._set(phase="failed", error=exc.message)
        except Exception as exc:  # noqa: BLE001 - the page must hear of any failure, not wait for ever
            self._set(phase="failed", error=Message("error.projection_failed", reason=type(exc).__name__))
