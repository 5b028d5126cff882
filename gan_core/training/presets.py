"""Model presets from the tutorials (and our own `fast` recipe): architectures plus default hyper-parameters."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable

import keras
from keras import layers

from ..i18n import GanError

SUPPORTED_SHAPES = ((28, 28, 1), (28, 28, 3), (32, 32, 1), (32, 32, 3), (64, 64, 1), (64, 64, 3))


@dataclass(frozen=True)
class Preset:
    """A named recipe. Builders take (image_shape, latent_dim, num_classes) and return keras Models.

    Its one-line description for people is the text preset.<name> in gan_core/texts.toml."""

    name: str
    tutorial: str  # which seed tutorial it reproduces
    build_generator: Callable[..., keras.Model]
    build_discriminator: Callable[..., keras.Model]
    defaults: dict = field(default_factory=dict)  # TrainConfig fields this recipe sets
    conditional: bool = False
    # its builders take cluster_bounds (TrainConfig.clusters, gan_core.training.clusters)
    self_conditioning: bool = False


def upsampling_plan(side: int, base_choices=(7, 8, 4)) -> tuple[int, int]:
    """(base, n) such that base * 2**n == side, preferring the tutorials' bases."""
    for base in base_choices:
        n = round(math.log2(side / base)) if side >= base else -1
        if n >= 1 and base * 2**n == side:
            return base, n
    raise ValueError(side)


def check_shape(preset: str, shape) -> None:
    if tuple(shape) not in SUPPORTED_SHAPES:
        raise GanError("error.preset_shape", preset=preset, shape="x".join(map(str, shape)),
                       supported=", ".join("x".join(map(str, s)) for s in SUPPORTED_SHAPES))


def _latent_input(latent_dim):
    return keras.Input((latent_dim,), name="latent")


def _label_input():
    return keras.Input((1,), dtype="int32", name="label")


def _critic_model(image, features, num_classes, label=None):
    """A discriminator's head: one logit from its features; with a label, plus the projection of the label's
    embedding onto the features (Miyato & Koyama's projection discriminator: "real, and of this class")."""
    logit = layers.Dense(1)(features)
    if label is None:
        return keras.Model(image, logit, name="discriminator")
    class_vector = layers.Flatten()(layers.Embedding(num_classes, features.shape[-1])(label))
    projection = layers.Dot(axes=1)([features, class_vector])
    return keras.Model([image, label], layers.Add()([logit, projection]), name="discriminator")


def _generator_label(z, latent_dim, num_classes, cluster_bounds):
    """What a generator is conditioned on, and its inputs: a label input (a conditional GAN); the group its own
    latent vector draws (self-conditioning, see gan_core.training.clusters: still a z -> image model); or nothing."""
    if cluster_bounds is not None:
        first = layers.Flatten()(layers.Cropping1D((0, latent_dim - 1))(layers.Reshape((latent_dim, 1))(z)))
        return layers.Discretization(bin_boundaries=[float(b) for b in cluster_bounds], name="group")(first), z
    if num_classes:
        label = _label_input()
        return label, [z, label]
    return None, z


# --- 000: MLP GAN -------------------------------------------------------------------

def mlp_generator(shape, latent_dim, num_classes=0):
    z = _latent_input(latent_dim)
    x = z
    for units in (256, 512, 1024):
        x = layers.Dense(units)(x)
        x = layers.LeakyReLU(0.2)(x)
        x = layers.BatchNormalization(momentum=0.8)(x)
    x = layers.Dense(math.prod(shape), activation="tanh")(x)
    return keras.Model(z, layers.Reshape(shape)(x), name="generator")


def mlp_discriminator(shape, num_classes=0):
    image = keras.Input(shape, name="image")
    x = layers.Flatten()(image)
    for units in (512, 256):
        x = layers.Dense(units)(x)
        x = layers.LeakyReLU(0.2)(x)
    return keras.Model(image, layers.Dense(1)(x), name="discriminator")


# --- 001: TensorFlow's DCGAN tutorial -------------------------------------------------

def dcgan_tf_generator(shape, latent_dim, num_classes=0):
    base, n_up = upsampling_plan(shape[0])
    z = _latent_input(latent_dim)
    x = layers.Dense(base * base * 256, use_bias=False)(z)
    x = layers.BatchNormalization()(x)
    x = layers.LeakyReLU()(x)
    x = layers.Reshape((base, base, 256))(x)
    x = layers.Conv2DTranspose(128, 5, strides=1, padding="same", use_bias=False)(x)
    x = layers.BatchNormalization()(x)
    x = layers.LeakyReLU()(x)
    filters = 64
    for _ in range(n_up - 1):
        x = layers.Conv2DTranspose(filters, 5, strides=2, padding="same", use_bias=False)(x)
        x = layers.BatchNormalization()(x)
        x = layers.LeakyReLU()(x)
        filters = max(filters // 2, 32)
    x = layers.Conv2DTranspose(shape[2], 5, strides=2, padding="same", use_bias=False, activation="tanh")(x)
    return keras.Model(z, x, name="generator")


def dcgan_tf_discriminator(shape, num_classes=0):
    image = keras.Input(shape, name="image")
    x = image
    for filters in (64, 128) + ((256,) if shape[0] >= 64 else ()):
        x = layers.Conv2D(filters, 5, strides=2, padding="same")(x)
        x = layers.LeakyReLU()(x)
        x = layers.Dropout(0.3)(x)
    x = layers.Flatten()(x)
    return keras.Model(image, layers.Dense(1)(x), name="discriminator")


# --- 002: Rivera's DCGAN (latent 20, Adam 1e-5) ----------------------------------------

def rivera_generator(shape, latent_dim, num_classes=0):
    base, n_up = upsampling_plan(shape[0])
    z = _latent_input(latent_dim)
    x = layers.Dense(256 * base * base)(z)
    x = layers.Reshape((base, base, 256))(x)
    x = layers.Conv2DTranspose(128, 3, strides=2, padding="same")(x)
    x = layers.BatchNormalization()(x)
    x = layers.LeakyReLU(0.01)(x)
    for _ in range(n_up - 2):
        x = layers.Conv2DTranspose(128, 3, strides=2, padding="same")(x)
        x = layers.BatchNormalization()(x)
        x = layers.LeakyReLU(0.01)(x)
    x = layers.Conv2DTranspose(64, 3, strides=1, padding="same")(x)
    x = layers.BatchNormalization()(x)
    x = layers.LeakyReLU(0.01)(x)
    x = layers.Conv2DTranspose(shape[2], 3, strides=2, padding="same", activation="tanh")(x)
    return keras.Model(z, x, name="generator")


def rivera_discriminator(shape, num_classes=0):
    image = keras.Input(shape, name="image")
    x = layers.Conv2D(32, 3, strides=2, padding="same")(image)
    x = layers.LeakyReLU(0.01)(x)
    for filters in (64, 128):
        x = layers.Conv2D(filters, 3, strides=2, padding="same")(x)
        x = layers.BatchNormalization()(x)
        x = layers.LeakyReLU(0.01)(x)
    x = layers.Flatten()(x)
    return keras.Model(image, layers.Dense(1)(x), name="discriminator")


# --- 003: the BatchNorm DCGAN (Adam 2e-4, beta1 0.5) and the conditional GAN -------------

def dcgan_bn_generator(shape, latent_dim, num_classes=0):
    base, n_up = upsampling_plan(shape[0])
    z = _latent_input(latent_dim)
    x = layers.Dense(64 * base * base)(z)
    x = layers.BatchNormalization()(x)
    x = layers.LeakyReLU(0.2)(x)
    x = layers.Reshape((base, base, 64))(x)
    for _ in range(n_up):
        x = layers.Conv2DTranspose(64, 3, strides=2, padding="same")(x)
        x = layers.BatchNormalization()(x)
        x = layers.LeakyReLU(0.2)(x)
    x = layers.Conv2D(shape[2], 3, padding="same", activation="tanh")(x)
    return keras.Model(z, x, name="generator")


def dcgan_bn_discriminator(shape, num_classes=0):
    image = keras.Input(shape, name="image")
    x = image
    for _ in range(2 if shape[0] < 64 else 3):
        x = layers.Conv2D(64, 3, strides=2, padding="same")(x)
        x = layers.BatchNormalization()(x)
        x = layers.LeakyReLU(0.2)(x)
    x = layers.Flatten()(x)
    return keras.Model(image, layers.Dense(1)(x), name="discriminator")


def dcgan_generator(shape, latent_dim, num_classes=0, cluster_bounds=None):
    """Tutorial 003's generator (64 filters, BatchNorm). With classes (the `cgan` preset) it is conditioned on the
    label: the label's embedding joins the latent vector (Mirza & Osindero) and also becomes one extra feature map at
    the first resolution. With `cluster_bounds` the label is the group the latent vector draws (self-conditioning)."""
    base, n_up = upsampling_plan(shape[0])
    z = _latent_input(latent_dim)
    label, inputs = _generator_label(z, latent_dim, num_classes, cluster_bounds)
    if num_classes:
        embedded = layers.Flatten()(layers.Embedding(num_classes, 50)(label))
        y = layers.Dense(base * base)(embedded)
        y = layers.Reshape((base, base, 1))(y)
        x = layers.Dense(64 * base * base)(layers.Concatenate()([z, embedded]))
    else:
        x = layers.Dense(64 * base * base)(z)
    x = layers.BatchNormalization()(x)
    x = layers.LeakyReLU(0.2)(x)
    x = layers.Reshape((base, base, 64))(x)
    if num_classes:
        x = layers.Concatenate()([x, y])
    for _ in range(n_up):
        x = layers.Conv2DTranspose(64, 3, strides=2, padding="same")(x)
        x = layers.BatchNormalization()(x)
        x = layers.LeakyReLU(0.2)(x)
    x = layers.Conv2D(shape[2], 3, padding="same", activation="tanh")(x)
    return keras.Model(inputs, x, name="generator")


def dcgan_discriminator(shape, num_classes=0):
    """A discriminator without BatchNorm (real and fake batches never share statistics): 64 and 128 filters,
    Dropout 0.4, a 256-unit layer. With classes (the `cgan` preset) the label's embedding is one extra input channel
    beside the image, and it is projected onto D's features (Miyato & Koyama's projection discriminator): D scores
    "real, and of this class"."""
    image = keras.Input(shape, name="image")
    x = image
    if num_classes:
        label = _label_input()
        y = layers.Embedding(num_classes, 50)(label)
        y = layers.Dense(shape[0] * shape[1])(y)
        y = layers.Reshape((shape[0], shape[1], 1))(y)
        x = layers.Concatenate()([image, y])
    for filters in (64, 128) + ((128,) if shape[0] >= 64 else ()):
        x = layers.Conv2D(filters, 3, strides=2, padding="same")(x)
        x = layers.LeakyReLU(0.2)(x)
    x = layers.Flatten()(x)
    x = layers.Dropout(0.4)(x)
    features = layers.LeakyReLU(0.2)(layers.Dense(256)(x))
    return _critic_model(image, features, num_classes, label if num_classes else None)


# --- 004: the 32x32 RGB animal generator -------------------------------------------------

def rgb32_generator(shape, latent_dim, num_classes=0):
    base, n_up = upsampling_plan(shape[0], base_choices=(4, 7))
    z = _latent_input(latent_dim)
    x = layers.Dense(256 * base * base)(z)
    x = layers.LeakyReLU(0.2)(x)
    x = layers.Reshape((base, base, 256))(x)
    for _ in range(n_up):
        x = layers.Conv2DTranspose(128, 3, strides=2, padding="same")(x)
        x = layers.LeakyReLU(0.2)(x)
    x = layers.Conv2D(shape[2], 3, padding="same", activation="tanh")(x)
    return keras.Model(z, x, name="generator")


def rgb32_discriminator(shape, num_classes=0):
    image = keras.Input(shape, name="image")
    x = layers.Conv2D(64, 3, padding="same")(image)
    x = layers.LeakyReLU(0.2)(x)
    for filters in (128, 128, 256):
        x = layers.Conv2D(filters, 3, strides=2, padding="same")(x)
        x = layers.LeakyReLU(0.2)(x)
    x = layers.Flatten()(x)
    x = layers.Dropout(0.4)(x)
    return keras.Model(image, layers.Dense(1)(x), name="discriminator")


# --- fast: our recipe for digits in about a minute on two CPU cores --------------------------
# On a CPU a GAN step costs what its convolutions cost, and the tutorials' step is already near the
# arithmetic limit. So: small networks (G 7x7x64 -> 14x14x32 -> image, D with 16 and 32 filters; about a
# fifth of the 001 tutorial's work per image), large steps (Adam 2e-3 for G, 1e-3 for D, beta1 0, beta2 0.99)
# and a short moving average of G (0.99) that smooths out the noise those large steps make; G and D updated
# from one generator pass (tutorial 001's simultaneous update: 1.3x the images per second). And
# self-conditioning (gan_core.training.clusters): G and D see which of 80 k-means groups of the images a sample belongs
# to, so G stops drawing in-between digits. Without it every unconditional recipe we tried stalled near 62-72%
# recognised; with it `fast` passes 90% within a minute (bench/RESULTS.md).

def fast_generator(shape, latent_dim, num_classes=0, cluster_bounds=None):
    base, n_up = upsampling_plan(shape[0])
    z = _latent_input(latent_dim)
    label, inputs = _generator_label(z, latent_dim, num_classes, cluster_bounds)
    x = z
    if label is not None:
        x = layers.Concatenate()([z, layers.Flatten()(layers.Embedding(num_classes, 16)(label))])
    x = layers.Dense(base * base * 64, use_bias=False)(x)
    x = layers.BatchNormalization()(x)
    x = layers.ReLU()(x)
    x = layers.Reshape((base, base, 64))(x)
    for _ in range(n_up - 1):
        x = layers.Conv2DTranspose(32, 4, strides=2, padding="same", use_bias=False)(x)
        x = layers.BatchNormalization()(x)
        x = layers.ReLU()(x)
    x = layers.Conv2DTranspose(shape[2], 4, strides=2, padding="same", activation="tanh")(x)
    return keras.Model(inputs, x, name="generator")


def fast_discriminator(shape, num_classes=0):
    """With classes (labels or self-conditioning groups), a projection discriminator (Miyato & Koyama)."""
    image = keras.Input(shape, name="image")
    x = image
    for filters in (16, 32) + ((64,) if shape[0] >= 64 else ()):
        x = layers.Conv2D(filters, 4, strides=2, padding="same")(x)
        x = layers.LeakyReLU(0.2)(x)
    x = layers.Flatten()(x)
    return _critic_model(image, x, num_classes, _label_input() if num_classes else None)


# --- fast-rgb: our recipe for colour photos, a small folder of them included ---------------------
# What makes a few hundred photos train into something recognisable on two CPU cores, each measured in
# bench/RESULTS.md: a generator that upsamples (nearest neighbour, then a 3x3 convolution) instead of stride-2
# transposed convolutions, whose uneven overlaps print a checkerboard on colour images; a discriminator whose
# every layer is spectrally normalised (Miyato et al. 2018), which keeps it from memorising a small folder and
# costs one power iteration per layer and step (R1's second backward pass would cost about as much as the
# step itself); the hinge loss; a moving average of G; DiffAugment (on by itself under 2000 images); and
# Adam with beta1 0 (SNGAN's and StyleGAN's setting). Widths halve as the resolution doubles, so each layer
# costs about the same: about a quarter of tutorial 004's work per image.
# The layers are named, so a run can start from another run's networks (gan_core.training.transfer).

FAST_RGB_WIDTHS = (256, 128, 64, 32, 32)  # G's channels at 4x4 (or 7x7), then after each upsampling


def fast_rgb_generator(shape, latent_dim, num_classes=0, cluster_bounds=None):
    base, n_up = upsampling_plan(shape[0], base_choices=(4, 7))
    z = _latent_input(latent_dim)
    label, inputs = _generator_label(z, latent_dim, num_classes, cluster_bounds)
    x = z
    if label is not None:
        embedded = layers.Flatten()(layers.Embedding(num_classes, 32, name="g_class_embedding")(label))
        x = layers.Concatenate(name="g_condition")([z, embedded])
    x = layers.Dense(base * base * FAST_RGB_WIDTHS[0], use_bias=False, name="g_dense")(x)
    x = layers.BatchNormalization(name="g_dense_bn")(x)
    x = layers.ReLU()(x)
    x = layers.Reshape((base, base, FAST_RGB_WIDTHS[0]))(x)
    for index in range(n_up):
        x = layers.UpSampling2D(2, interpolation="nearest")(x)
        x = layers.Conv2D(FAST_RGB_WIDTHS[index + 1], 3, padding="same", use_bias=False, name=f"g_conv{index}")(x)
        x = layers.BatchNormalization(name=f"g_bn{index}")(x)
        x = layers.ReLU()(x)
    x = layers.Conv2D(shape[2], 3, padding="same", activation="tanh", name="g_out")(x)
    return keras.Model(inputs, x, name="generator")


def fast_rgb_discriminator(shape, num_classes=0):
    """Spectrally normalised convolutions 32 -> 64 -> 128 -> 256 (-> 256 at 64x64) down to 4x4, then one logit;
    with classes, plus the projection of the class embedding (Miyato & Koyama)."""
    def normalised(layer):
        return layers.SpectralNormalization(layer, name=f"sn_{layer.name}")

    image = keras.Input(shape, name="image")
    x = normalised(layers.Conv2D(32, 3, padding="same", name="d_conv_in"))(image)
    x = layers.LeakyReLU(0.2)(x)
    side, filters, index = shape[0], 64, 0
    while side > 4:
        x = normalised(layers.Conv2D(filters, 4, strides=2, padding="same", name=f"d_conv{index}"))(x)
        x = layers.LeakyReLU(0.2)(x)
        side, filters, index = side // 2, min(filters * 2, 256), index + 1
    features = layers.Flatten()(x)
    logit = normalised(layers.Dense(1, name="d_logit"))(features)
    if not num_classes:
        return keras.Model(image, logit, name="discriminator")
    label = _label_input()
    class_vector = layers.Flatten()(layers.Embedding(num_classes, features.shape[-1], name="d_class_embedding")(label))
    projection = layers.Dot(axes=1)([features, class_vector])
    return keras.Model([image, label], layers.Add()([logit, projection]), name="discriminator")


def _adam(lr, beta1=0.9, beta2=0.999):
    return {"name": "adam", "learning_rate": lr, "beta1": beta1, "beta2": beta2}


# Sized by steps and time, not by passes: 300 photos are 4 batches, so an epoch is 50 batches (a grid every ~10 s
# on two cores) and the run ends after 9 minutes unless asked otherwise (--minutes 0 for none).
FAST_RGB_DEFAULTS = {"latent_dim": 128, "batch_size": 64, "loss": "hinge", "ema_decay": 0.999, "epochs": 100,
                     "steps_per_epoch": 50, "max_minutes": 9.0,
                     "generator_optimizer": _adam(2e-4, 0.0, 0.99), "discriminator_optimizer": _adam(4e-4, 0.0, 0.99)}

PRESETS: dict[str, Preset] = {
    preset.name: preset
    for preset in (
        Preset("mlp", "000", mlp_generator, mlp_discriminator,
               {"latent_dim": 100, "batch_size": 32, "loss": "log",
                "generator_optimizer": {"name": "sgd", "learning_rate": 0.01},
                "discriminator_optimizer": {"name": "sgd", "learning_rate": 0.01}}),
        Preset("dcgan-tf", "001", dcgan_tf_generator, dcgan_tf_discriminator,
               {"latent_dim": 100, "batch_size": 256, "loss": "bce_logits", "update": "simultaneous",
                "generator_optimizer": _adam(1e-4), "discriminator_optimizer": _adam(1e-4)}),
        Preset("dcgan-rivera", "002", rivera_generator, rivera_discriminator,
               {"latent_dim": 20, "batch_size": 256, "loss": "log",
                "generator_optimizer": _adam(1e-5), "discriminator_optimizer": _adam(1e-5)}),
        Preset("dcgan-bn", "003", dcgan_bn_generator, dcgan_bn_discriminator,
               {"latent_dim": 100, "batch_size": 64, "loss": "bce_logits",
                "generator_optimizer": _adam(2e-4, 0.5), "discriminator_optimizer": _adam(2e-4, 0.5)}),
        Preset("dcgan", "003", dcgan_generator, dcgan_discriminator,
               {"latent_dim": 100, "batch_size": 64, "loss": "bce_logits", "ema_decay": 0.999,
                "generator_optimizer": _adam(2e-4, 0.5), "discriminator_optimizer": _adam(2e-4, 0.5)},
               self_conditioning=True),
        Preset("cgan", "003", dcgan_generator, dcgan_discriminator,
               {"latent_dim": 100, "batch_size": 64, "loss": "bce_logits",
                "generator_optimizer": _adam(2e-4, 0.5), "discriminator_optimizer": _adam(2e-4, 0.5)},
               conditional=True),
        Preset("rgb32", "004", rgb32_generator, rgb32_discriminator,
               {"latent_dim": 100, "batch_size": 128, "loss": "bce_logits", "dataset": "cifar_animals",
                "generator_optimizer": _adam(2e-4, 0.5), "discriminator_optimizer": _adam(2e-4, 0.5)}),
        Preset("fast", "ours", fast_generator, fast_discriminator,
               {"latent_dim": 64, "batch_size": 64, "loss": "bce_logits", "ema_decay": 0.99, "clusters": 80,
                "update": "simultaneous",
                "generator_optimizer": _adam(2e-3, 0.0, 0.99), "discriminator_optimizer": _adam(1e-3, 0.0, 0.99)},
               self_conditioning=True),
        Preset("fast-rgb", "ours", fast_rgb_generator, fast_rgb_discriminator, FAST_RGB_DEFAULTS,
               self_conditioning=True),
        Preset("fast-rgb-cgan", "ours", fast_rgb_generator, fast_rgb_discriminator,
               {**FAST_RGB_DEFAULTS, "dataset": "cifar_animals"}, conditional=True),
    )
}


def get_preset(name: str) -> Preset:
    if name not in PRESETS:
        raise GanError("error.unknown_preset", value=name, choices=", ".join(PRESETS))
    return PRESETS[name]
