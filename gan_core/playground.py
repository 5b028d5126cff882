"""The 2-D playground's engine: GAN Lab's distributions, tiny MLPs trained by the project's GAN, and a runner.

Everything is small on purpose: points live in the box [-1, 1]², the networks are MLPs of a few dozen units, and
one step costs a few milliseconds, so a class can watch every step. The runner (`Playground`) owns one background
thread that does all the TensorFlow work (building, steps, the view), takes a place in a training queue while it
plays, and publishes a `PlaygroundView` of small NumPy arrays that a page draws without touching a network.
"""

from __future__ import annotations

import collections
import csv
import dataclasses
import math
import threading
import time
from dataclasses import dataclass

import numpy as np

from .i18n import GanError, Message
from .training.config import (
    LOSSES,
    OPTIMIZERS,
    OptimizerConfig,
    TrainConfig,
    check_int,
    check_number,
)
from .training.run import RunState

DISTRIBUTIONS = ("line", "gaussians", "ring", "disjoint")
POINTS = "points"  # the data is a set of points the class drew or uploaded (a CSV)
ACTIVATIONS = ("relu", "leaky_relu", "tanh")
NOISE_KINDS = ("uniform", "gaussian")
BOX = 1.0  # points and views live in [-BOX, BOX]²
HEATMAP_SIZE = 30  # D's decision on a 30x30 grid, as GAN Lab
JS_BINS = 20  # the divergence compares histograms on a 20x20 grid
JS_SAMPLES = 2000  # real and fake points per histogram: the noise floor is a few hundredths of a bit
SHOWN_POINTS = 300  # real and fake points drawn, and arrows
MANIFOLD_LINES = 11  # G's manifold: an 11x11 grid of the noise space (one line for 1-D noise)
MANIFOLD_POINTS = 30  # points per manifold line
MAX_CSV_BYTES = 200_000
MAX_POINTS = 5000  # drawn or uploaded
MIN_POINTS = 10
POINT_JITTER = 0.02  # a drawn or uploaded point is sampled with this much Gaussian blur, so G has a density to fit
MAX_STEPS_PER_SECOND = 100  # a playground never takes a whole core: the class server has other students
VIEW_SECONDS = 0.15  # the view is recomputed at most this often while playing
STAGE_SECONDS = 1.25  # slow motion: one stage per 1.25 s while playing (GAN Lab's pace)
IDLE_PAUSE_SECONDS = 120.0  # nobody looked for this long (the tab closed): a playing playground pauses
HISTORY = 5000  # steps of loss history kept
STAGES = ("noise", "generate", "score", "loss", "gradient", "update")
PHASES = ("both", "d", "g")


@dataclass
class PlaygroundConfig:
    """One experiment. Changing an ARCHITECTURE field restarts it; the others apply at the next step."""

    data: str = "ring"  # one of DISTRIBUTIONS, or POINTS (drawn or uploaded)
    noise_dim: int = 2  # G's input: 1-D or 2-D noise
    noise: str = "uniform"  # uniform in [-1, 1] or standard Gaussian
    g_layers: int = 2  # hidden layers of G
    g_width: int = 32  # units per hidden layer of G
    d_layers: int = 2
    d_width: int = 32
    activation: str = "relu"  # of every hidden layer: relu, leaky_relu, tanh
    batch_size: int = 128
    seed: int = 0  # weights, data and noise
    loss: str = "bce_logits"  # one of config.LOSSES
    g_optimizer: str = "adam"  # adam, sgd, rmsprop
    g_lr: float = 0.002
    d_optimizer: str = "adam"
    d_lr: float = 0.002
    d_steps: int = 1  # D updates per G update
    # WGAN-GP's gradient penalty weight. The image recipes' 10 holds a critic on these small distances (the ring's
    # radius is 0.6) so flat that the fakes stay one blob through the middle of the ring; 1 lets them spread
    # (Gulrajani et al. used 0.1 for their 2-D data). Measured: tests/test_playground.py, the wgan_fix example.
    gp_weight: float = 1.0

    def validate(self) -> None:
        if self.data not in DISTRIBUTIONS + (POINTS,):
            raise GanError("error.unknown_choice", field="data", value=self.data,
                           choices=", ".join(DISTRIBUTIONS + (POINTS,)))
        check_int("noise_dim", self.noise_dim, 1, 2)
        _check_choice("noise", self.noise, NOISE_KINDS)
        check_int("g_layers", self.g_layers, 1, 4)
        check_int("g_width", self.g_width, 2, 128)
        check_int("d_layers", self.d_layers, 1, 4)
        check_int("d_width", self.d_width, 2, 128)
        _check_choice("activation", self.activation, ACTIVATIONS)
        check_int("batch_size", self.batch_size, 8, 512)
        check_int("seed", self.seed, 0, 2**31 - 1)
        _check_choice("loss", self.loss, LOSSES)
        _check_choice("g_optimizer", self.g_optimizer, OPTIMIZERS)
        _check_choice("d_optimizer", self.d_optimizer, OPTIMIZERS)
        check_number("g_lr", self.g_lr, 1e-6, 1.0)
        check_number("d_lr", self.d_lr, 1e-6, 1.0)
        check_int("d_steps", self.d_steps, 1, 10)
        check_number("gp_weight", self.gp_weight, 0.0, 100.0)

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


ARCHITECTURE = ("data", "noise_dim", "noise", "g_layers", "g_width", "d_layers", "d_width", "activation",
                "batch_size", "seed")
LIVE = ("loss", "g_optimizer", "g_lr", "d_optimizer", "d_lr", "d_steps", "gp_weight")

# One-click failures on purpose (and the fix): what to change from the defaults. The page says what to look at.
EXAMPLES: dict[str, dict] = {
    # Eight modes, a D that learns ten times faster with five updates per G update: G's points gather on a few
    # modes and hop between them as D chases them.
    "mode_collapse": dict(data="ring", noise_dim=1, d_layers=3, d_width=64, loss="bce_logits", d_lr=0.01,
                          g_lr=0.001, d_steps=5, g_optimizer="adam", d_optimizer="adam"),
    # The classic log loss against a ReLU D that learns twenty times faster than G, five updates per G update: D
    # becomes certain and flat around the fake points, G's gradient (the arrows) goes to zero and G freezes.
    "vanishing": dict(data="disjoint", noise_dim=2, d_layers=2, d_width=64, loss="log", d_lr=0.02, g_lr=0.001,
                      d_steps=5, g_optimizer="adam", d_optimizer="adam"),
    # The ring with WGAN-GP: the penalty holds the critic's slope near 1, so the arrows never vanish and the fake
    # points spread over all eight modes, with bridges between them (2-D noise, leaky ReLU, five critic steps, a
    # penalty weight of 1: with the images' 10 they stayed a blob through the middle, JS 0.7-0.9).
    "wgan_fix": dict(data="ring", noise_dim=2, activation="leaky_relu", g_layers=3, g_width=64, d_layers=3,
                     d_width=64, loss="wgan_gp", d_lr=0.0005, g_lr=0.0005, d_steps=5, batch_size=256,
                     g_optimizer="adam", d_optimizer="adam", gp_weight=1.0),
}


def _check_choice(field: str, value, choices) -> None:
    if value not in choices:
        raise GanError("error.unknown_choice", field=field, value=value, choices=", ".join(map(str, choices)))


# --- data --------------------------------------------------------------------------------------------------

def sample_distribution(name: str, count: int, rng: np.random.Generator, points: np.ndarray | None = None):
    """`count` points (count, 2) float32 from a named distribution, or from `points` blurred by POINT_JITTER."""
    if name == "line":
        t = rng.uniform(-0.75, 0.75, count)
        xy = np.stack([t, 0.6 * t + 0.1], axis=1) + rng.normal(0.0, 0.02, (count, 2))
    elif name == "gaussians":
        centres = np.array([[-0.5, -0.4], [0.5, -0.4], [0.0, 0.5]])
        xy = centres[rng.integers(0, len(centres), count)] + rng.normal(0.0, 0.09, (count, 2))
    elif name == "ring":  # eight Gaussians on a circle: the classic picture of mode collapse
        angles = 2 * np.pi * rng.integers(0, 8, count) / 8
        xy = 0.6 * np.stack([np.cos(angles), np.sin(angles)], axis=1) + rng.normal(0.0, 0.04, (count, 2))
    elif name == "disjoint":  # two separate regions of uniform density, far from where G starts
        left = rng.random(count) < 0.5
        xy = np.where(left[:, None],
                      np.stack([rng.uniform(-0.85, -0.45, count), rng.uniform(0.35, 0.85, count)], axis=1),
                      np.stack([rng.uniform(0.45, 0.85, count), rng.uniform(-0.85, -0.35, count)], axis=1))
    elif name == POINTS:
        if points is None or len(points) == 0:
            raise GanError("playground.no_points")
        xy = points[rng.integers(0, len(points), count)] + rng.normal(0.0, POINT_JITTER, (count, 2))
    else:
        raise GanError("error.unknown_choice", field="data", value=name, choices=", ".join(DISTRIBUTIONS))
    return np.clip(xy, -BOX, BOX).astype(np.float32)


def parse_points_csv(data: bytes) -> np.ndarray:
    """A small CSV of 2-D points (x, y per row; an optional header; comma, semicolon or tab; a decimal comma with
    semicolons) as (n, 2) float32, fitted into the box. Everything wrong is a GanError a student can act on."""
    if len(data) > MAX_CSV_BYTES:
        raise GanError("playground.csv_too_big", size_kb=math.ceil(len(data) / 1000), limit_kb=MAX_CSV_BYTES // 1000)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise GanError("playground.csv_not_text") from None
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines:
        raise GanError("playground.csv_too_few", count=0, minimum=MIN_POINTS)
    delimiter = next((d for d in ("\t", ";", ",") if d in lines[0]), None)
    if delimiter is None:
        raise GanError("playground.csv_columns", line=1, count=1)
    rows = []
    for number, row in enumerate(csv.reader(lines, delimiter=delimiter), start=1):
        cells = [cell.strip() for cell in row]
        while cells and cells[-1] == "":  # a trailing separator
            cells.pop()
        if len(cells) != 2:
            raise GanError("playground.csv_columns", line=number, count=len(cells))
        if delimiter != ",":
            cells = [cell.replace(",", ".") for cell in cells]
        try:
            values = [float(cell) for cell in cells]
        except ValueError:
            if number == 1 and not rows:
                continue  # a header such as "x,y"
            raise GanError("playground.csv_number", line=number, value=row[0] if len(row) else "") from None
        if not all(math.isfinite(v) for v in values):
            raise GanError("playground.csv_number", line=number, value=",".join(cells))
        rows.append(values)
        if len(rows) > MAX_POINTS:
            raise GanError("playground.csv_too_many", limit=MAX_POINTS)
    if len(rows) < MIN_POINTS:
        raise GanError("playground.csv_too_few", count=len(rows), minimum=MIN_POINTS)
    return fit_to_box(np.asarray(rows, dtype=np.float64))


def fit_to_box(points: np.ndarray, margin: float = 0.8) -> np.ndarray:
    """Centre and scale (one factor for both axes, so shapes keep their proportions) into [-margin, margin]²."""
    low, high = points.min(axis=0), points.max(axis=0)
    extent = float((high - low).max())
    if extent <= 0:
        raise GanError("playground.csv_one_point")
    return ((points - (low + high) / 2) * (2 * margin / extent)).astype(np.float32)


# --- measures ------------------------------------------------------------------------------------------------

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


# --- models ----------------------------------------------------------------------------------------------------

def build_mlp(inputs: int, outputs: int, layers: int, width: int, activation: str, seed: int, name: str):
    import keras

    stack = [keras.Input((inputs,))]
    for index in range(layers):
        stack.append(keras.layers.Dense(width, activation=activation, name=f"{name}_dense_{index}",
                                        kernel_initializer=keras.initializers.GlorotUniform(seed=seed + index)))
    stack.append(keras.layers.Dense(outputs, name=f"{name}_out",
                                    kernel_initializer=keras.initializers.GlorotUniform(seed=seed + 100)))
    return keras.Sequential(stack, name=name)


def _point_gan_class():
    """PointGAN is defined on first use so importing this module does not import Keras (a page that only reads a
    view stays light)."""
    global _PointGAN
    if _PointGAN is not None:
        return _PointGAN
    import keras
    from keras import ops

    from .training.gan import GAN

    class PointGAN(GAN):
        """The project's GAN on 2-D points: real batches are float points as they are, and the noise is 1-D or
        2-D, uniform in [-1, 1] or standard Gaussian. Steps, losses and the gradient penalty are GAN's own."""

        def __init__(self, generator, discriminator, config: PlaygroundConfig):
            super().__init__(generator, discriminator, TrainConfig(latent_dim=config.noise_dim, loss=config.loss,
                                                                   d_steps=config.d_steps, seed=config.seed,
                                                                   gp_weight=config.gp_weight))
            self.noise = config.noise

        def prepare_real(self, data):
            return ops.cast(data, "float32"), None

        def sample_latents(self, batch):
            if self.noise == "uniform":
                return keras.random.uniform((batch, self.latent_dim), -1.0, 1.0, seed=self.seed_generator)
            return keras.random.normal((batch, self.latent_dim), seed=self.seed_generator)

    _PointGAN = PointGAN
    return PointGAN


_PointGAN = None


class Experiment:
    """One PointGAN with its optimizers, compiled steps and fixed view inputs. Used by one thread at a time (the
    Playground's worker, or a test), never by a page."""

    def __init__(self, config: PlaygroundConfig, points: np.ndarray | None = None):
        from .training.gan import make_optimizer

        config.validate()
        self.config = dataclasses.replace(config)
        self.points = points
        self.rng = np.random.default_rng(config.seed)
        self.real_pool = sample_distribution(config.data, 20_000, self.rng, points)  # real batches come from here
        self.real_js = sample_distribution(config.data, JS_SAMPLES, np.random.default_rng(config.seed + 1), points)
        self.real_shown = self.real_js[:SHOWN_POINTS]
        noise_rng = np.random.default_rng(config.seed + 2)  # a fixed noise batch: the view changes only as G does
        self.js_latents = self._noise(noise_rng, JS_SAMPLES)
        self.shown_latents = self.js_latents[:SHOWN_POINTS]
        self.manifold_latents = manifold_latents(config.noise_dim, config.noise)
        self.heatmap_axis, self.heatmap_points = grid_points()
        generator = build_mlp(config.noise_dim, 2, config.g_layers, config.g_width, config.activation, config.seed,
                              "generator")
        discriminator = build_mlp(2, 1, config.d_layers, config.d_width, config.activation, config.seed + 1000,
                                  "discriminator")
        self.gan = _point_gan_class()(generator, discriminator, config)
        self._make_optimizer = make_optimizer
        self.gan.compile(self._optimizer(config.g_optimizer, config.g_lr, generator),
                         self._optimizer(config.d_optimizer, config.d_lr, discriminator))
        self._functions: dict = {}

    def set_weights(self, generator_weights: list, discriminator_weights: list) -> None:
        """Start from saved weights (playground_files checked their shapes against this config)."""
        self.gan.generator.set_weights(generator_weights)
        self.gan.discriminator.set_weights(discriminator_weights)

    def _noise(self, rng, count):
        shape = (count, self.config.noise_dim)
        if self.config.noise == "uniform":
            return rng.uniform(-1.0, 1.0, shape).astype(np.float32)
        return rng.normal(0.0, 1.0, shape).astype(np.float32)

    def _optimizer(self, name: str, learning_rate: float, network):
        # Adam's beta1 0.5: the Keras GAN guides' stable choice, as the image presets
        optimizer = self._make_optimizer(OptimizerConfig(name, float(learning_rate), beta1=0.5))
        optimizer.build(network.trainable_weights)  # now, not inside a traced step
        return optimizer

    def apply_live(self, changes: dict) -> None:
        """Learning rates, optimizers, loss, D steps and the penalty weight from the next step on; the networks keep
        their weights."""
        config = dataclasses.replace(self.config, **changes)
        config.validate()
        retrace = False
        for who, network in (("g", self.gan.generator), ("d", self.gan.discriminator)):
            name, learning_rate = getattr(config, f"{who}_optimizer"), getattr(config, f"{who}_lr")
            if name != getattr(self.config, f"{who}_optimizer"):  # a new optimizer starts with fresh moments
                setattr(self.gan, f"{who}_optimizer", self._optimizer(name, learning_rate, network))
                retrace = True
            else:  # a variable the compiled steps read: no retrace
                getattr(self.gan, f"{who}_optimizer").learning_rate.assign(float(learning_rate))
        self.config = config
        if (self.gan.loss_name, self.gan.d_steps, self.gan.gp_weight) != (config.loss, config.d_steps,
                                                                           config.gp_weight):
            # a constant of the compiled steps: they are traced again
            self.gan.loss_name, self.gan.d_steps, self.gan.gp_weight = config.loss, config.d_steps, config.gp_weight
            retrace = True
        if retrace:
            self._functions.clear()

    def real_batch(self) -> np.ndarray:
        return self.real_pool[self.rng.integers(0, len(self.real_pool), self.config.batch_size)]

    def _function(self, name: str):
        from .training.gan import compiled

        function = self._functions.get(name)
        if function is None:
            gan = self.gan
            if name == "both":
                function = compiled(gan.train_step)
            elif name == "d":
                def d_steps(real):
                    for _ in range(gan.d_steps):
                        d_loss, _, _ = gan.discriminator_update(real, None, gan.sample_latents(real.shape[0]))
                    return d_loss
                function = compiled(d_steps)
            elif name == "g":
                function = compiled(lambda real: gan.generator_update(gan.sample_latents(real.shape[0])))
            elif name == "d_with":  # slow motion: the update with the noise the class just saw
                function = compiled(lambda real, latents: gan.discriminator_update(real, None, latents)[0])
            elif name == "g_with":
                function = compiled(lambda latents: gan.generator_update(latents))
            elif name == "view":
                function = compiled(self._view_tensors)
            else:
                raise ValueError(name)
            self._functions[name] = function
        return function

    def train(self, phase: str = "both") -> dict:
        """One step: D's updates and G's (phase "both", GAN.train_step itself), or only D's or only G's.
        Returns the losses computed ({"d_loss", "g_loss"}, NaN for a network that did not move)."""
        real = self.real_batch()
        if phase == "both":
            values = self._function("both")(real)
            return {"d_loss": float(values["batch_d_loss"]), "g_loss": float(values["batch_g_loss"])}
        if phase == "d":
            return {"d_loss": float(self._function("d")(real)), "g_loss": math.nan}
        if phase == "g":
            return {"d_loss": math.nan, "g_loss": float(self._function("g")(real))}
        raise ValueError(phase)

    def _view_tensors(self, shown_latents, js_latents, manifold_latents, heatmap_points):
        from keras import ops

        from .training import losses
        from .training.gan import input_gradient

        gan = self.gan
        fake = gan.generator(shown_latents, training=False)
        # -dL_G/dx per point: where G's loss pushes each fake point (scaled by the batch so it is per point)
        gradient = input_gradient(lambda x: losses.generator_loss(gan.loss_name, gan.discriminator(x)), fake)
        count = ops.cast(ops.shape(fake)[0], "float32")
        lines = ops.reshape(manifold_latents, (-1, ops.shape(manifold_latents)[-1]))
        return (fake, -gradient * count, gan.generator(js_latents, training=False),
                gan.generator(lines, training=False), gan.discriminator(heatmap_points, training=False))

    def view_arrays(self) -> dict:
        """What the page draws, as NumPy: fake points, their arrows, G's manifold lines, D's heatmap, the JS."""
        fake, arrows, fake_js, manifold, scores = (np.asarray(t) for t in self._function("view")(
            self.shown_latents, self.js_latents, self.manifold_latents, self.heatmap_points))
        return {
            "fake": fake,
            "arrows": arrows,
            "arrow_length": float(np.mean(np.linalg.norm(arrows, axis=1))),
            "manifold": manifold.reshape(self.manifold_latents.shape[:2] + (2,)),
            "heatmap": decision_map(self.config.loss, scores.reshape(HEATMAP_SIZE, HEATMAP_SIZE)),
            "js": js_divergence(self.real_js, fake_js),
        }

    # --- slow motion: one update, stage by stage, with the arrays each stage shows ---------------------------

    def slow_stages(self, phase: str):
        """Yield (stage, arrays) for one update of D ("d") or G ("g"); the last stage applies the update, with
        the same noise and real batch the earlier stages showed."""
        from keras import ops

        from .training import losses
        from .training.gan import input_gradient

        gan = self.gan
        real = self.real_batch() if phase == "d" else None
        latents = np.asarray(gan.sample_latents(self.config.batch_size))
        yield "noise", {"latents": latents, "real": real}
        fake = np.asarray(gan.generator(latents, training=False))
        yield "generate", {"latents": latents, "real": real, "fake": fake}
        fake_scores = np.asarray(gan.discriminator(fake, training=False))[:, 0]
        real_scores = None if real is None else np.asarray(gan.discriminator(real, training=False))[:, 0]
        scored = {"real": real, "fake": fake, "fake_scores": fake_scores, "real_scores": real_scores}
        yield "score", scored
        if phase == "d":
            loss = float(gan.discriminator_loss(ops.convert_to_tensor(real_scores[:, None]),
                                                 ops.convert_to_tensor(fake_scores[:, None]), real, fake, None))
        else:
            loss = float(losses.generator_loss(gan.loss_name, ops.convert_to_tensor(fake_scores[:, None])))
        yield "loss", {**scored, "loss": loss}
        if phase == "g":
            gradient = -np.asarray(input_gradient(
                lambda x: losses.generator_loss(gan.loss_name, gan.discriminator(x)), ops.convert_to_tensor(fake)))
            yield "gradient", {**scored, "loss": loss, "arrows": gradient * len(fake)}
        else:
            yield "gradient", {**scored, "loss": loss}
        if phase == "d":
            self._function("d_with")(real, latents)
        else:
            self._function("g_with")(latents)
        yield "update", {**scored, "loss": loss}


# --- the runner --------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class PlaygroundView:
    """A consistent copy of a playground for a page: small arrays and numbers, no tensors."""

    version: int  # changes whenever anything shown changes: a page can skip redrawing an unchanged view
    state: RunState  # QUEUED (waiting for a slot to play), RUNNING (playing), PAUSED (not playing)
    step: int
    config: dict
    slow: bool
    building: bool
    real: np.ndarray | None  # (SHOWN_POINTS, 2)
    fake: np.ndarray | None  # (SHOWN_POINTS, 2)
    arrows: np.ndarray | None  # (SHOWN_POINTS, 2): where G's loss pushes each fake point
    arrow_length: float
    manifold: np.ndarray | None  # (lines, MANIFOLD_POINTS, 2)
    heatmap: np.ndarray | None  # (HEATMAP_SIZE, HEATMAP_SIZE) in [0, 1], rows along y
    heatmap_axis: np.ndarray | None
    history: dict  # step, d_loss, g_loss (NaN where that network did not move), js_step, js
    stage: dict | None  # slow motion: {"phase", "stage", "index", "count", arrays...}
    commands_waiting: bool  # a press (a step, a restart, a load) the worker has not finished yet: the page looks again
    applied: list  # [(field, value, step)] the live changes and the step they took effect at
    pending: dict  # live changes made that the next step will apply
    message: Message | None
    queue_position: int | None


class Playground:
    """A 2-D experiment a page controls: play, pause, one step (both, only D, only G), slow motion, live changes,
    restarts. Every method is safe from any thread and returns at once; one worker thread does the work and exits
    when there is none, so a paused playground costs nothing."""

    def __init__(self, config: PlaygroundConfig | None = None, points: np.ndarray | None = None,
                 scheduler=None, owner: str = "local", run_id: str | None = None):
        config = config or PlaygroundConfig()
        config.validate()
        self.owner = owner
        self.run_id = run_id or f"playground-{id(self):x}"
        self._scheduler = scheduler
        self._lock = threading.Condition()
        self._config = dataclasses.replace(config)
        self._points = points
        self._commands: collections.deque = collections.deque()
        self._worker: threading.Thread | None = None
        self._playing = False
        self._cancel_queue = threading.Event()
        self._holds_slot = False
        self._state = RunState.PAUSED
        self._slow = False
        self._stage_sequence = None  # slow motion: the generator of the step under way
        self._stage_phases: list[str] = []
        self._stage: dict | None = None
        self._stage_at = 0.0  # when the stage on show was reached (monotonic): slow play waits STAGE_SECONDS from it
        self._in_command = False
        self._pending: dict = {}  # live changes the worker has not applied yet
        self._applied: list = []
        self._message: Message | None = None
        self._version = 0
        self._step = 0
        self._view: dict = {}
        self._history = _empty_history()
        self._last_touch = time.monotonic()
        self._experiment: Experiment | None = None
        self._building = True
        self._submit(("build", self._config, points, None))

    # --- control (any thread) -----------------------------------------------------------------------------

    def configure(self, **changes) -> bool:
        """Change settings. Architecture fields (and the data) restart the experiment; learning rates, optimizers,
        loss and D steps apply at the next step. Returns True when it restarts. A bad value raises GanError."""
        with self._lock:
            candidate = dataclasses.replace(self._config, **changes)
            candidate.validate()
            restart = any(getattr(candidate, name) != getattr(self._config, name) for name in ARCHITECTURE)
            live = {name: getattr(candidate, name) for name in LIVE if getattr(candidate, name) != getattr(self._config, name)}
            self._config = candidate
            if restart:
                self._restart_locked()
            elif live:
                self._pending.update(live)
                self._touch_version()
                self._lock.notify_all()
            return restart

    def set_points(self, points: np.ndarray) -> None:
        """Train on these points (drawn or uploaded, already in the box): restarts with data = POINTS."""
        points = np.asarray(points, dtype=np.float32).reshape(-1, 2)[:MAX_POINTS]
        if len(points) == 0:
            raise GanError("playground.no_points")
        with self._lock:
            self._points = points
            self._config = dataclasses.replace(self._config, data=POINTS)
            self._restart_locked()

    def example(self, name: str) -> None:
        """One of EXAMPLES from the default settings: a restart."""
        with self._lock:
            self._config = dataclasses.replace(PlaygroundConfig(seed=self._config.seed), **EXAMPLES[name])
            self._restart_locked()

    def restart(self) -> None:
        with self._lock:
            self._restart_locked()

    def load(self, saved) -> None:
        """Continue from a saved experiment (a playground_files.SavedExperiment, already checked): its settings,
        points, weights and step; a restart, so optimizers start afresh."""
        with self._lock:
            self._config = dataclasses.replace(saved.config)
            self._points = saved.points
            self._restart_locked(saved)

    def export(self, write, timeout: float = 60.0) -> bytes:
        """The experiment as it is now, as bytes: the worker calls `write(generator, discriminator, config, step,
        points, js)` between two steps, so G, D and the step agree (playground_files.export_experiment)."""
        done = {"event": threading.Event()}
        self._submit(("export", write, done))
        if not done["event"].wait(timeout):
            raise GanError("error.crashed", error="export timed out")
        if "error" in done:
            raise done["error"]
        return done["data"]

    def play(self) -> None:
        with self._lock:
            self._last_touch = time.monotonic()
            if not self._playing:
                self._playing = True
                self._cancel_queue.clear()
                self._message = None
                if self._state == RunState.PAUSED:  # at once, so the page that pressed Play draws Pause
                    self._state = RunState.QUEUED
                self._ensure_worker()
                self._touch_version()

    def pause(self) -> None:
        with self._lock:
            self._playing = False
            if not self._holds_slot:  # nothing to give back: paused at once (else the worker does it)
                self._state = RunState.PAUSED
            self._cancel_queue.set()
            self._lock.notify_all()
            self._touch_version()
        if self._scheduler is not None:
            self._scheduler.wake()  # a wait for a slot ends now

    def step(self, phase: str = "both") -> None:
        """One step of both networks, only D or only G; in slow motion, the next stage of such a step."""
        if phase not in PHASES:
            raise ValueError(phase)
        self._submit(("step", phase))

    def set_slow(self, slow: bool) -> None:
        with self._lock:
            if self._slow != bool(slow):
                self._slow = bool(slow)
                self._stage_sequence, self._stage, self._stage_phases = None, None, []
                self._touch_version()
                self._lock.notify_all()

    def touch(self) -> None:
        """Someone is looking (a page redraw): a playing playground keeps playing."""
        self._last_touch = time.monotonic()

    def close(self) -> None:
        self.pause()
        with self._lock:
            self._commands.clear()

    def settle(self, timeout: float) -> bool:
        """Until every command submitted so far is done (a press of one step, say), however long play goes on; True
        if they were. A page waits a moment for its press, so the rerun the press caused draws what it did."""
        with self._lock:
            return self._lock.wait_for(lambda: not self._commands and not self._in_command, timeout)

    def wait_idle(self, timeout: float = 60.0) -> bool:
        """Until every submitted command is done (tests, benchmarks); True if it got there."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while self._commands or self._busy:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._lock.wait(min(remaining, 0.05))
        return True

    # --- reading (any thread) -------------------------------------------------------------------------------

    @property
    def config(self) -> PlaygroundConfig:
        with self._lock:
            return dataclasses.replace(self._config)

    def view(self) -> PlaygroundView:
        with self._lock:
            position = None
            if self._state == RunState.QUEUED and self._scheduler is not None:
                position = self._scheduler.position(self.run_id)
            experiment, view = self._experiment, self._view
            return PlaygroundView(
                version=self._version, state=self._state, step=self._step, config=self._config.to_dict(),
                slow=self._slow, building=self._building,
                real=None if experiment is None else experiment.real_shown,
                fake=view.get("fake"), arrows=view.get("arrows"), arrow_length=view.get("arrow_length", math.nan),
                manifold=view.get("manifold"), heatmap=view.get("heatmap"),
                heatmap_axis=None if experiment is None else experiment.heatmap_axis,
                history={k: list(v) for k, v in self._history.items()}, stage=self._stage,
                commands_waiting=bool(self._commands) or self._in_command,
                applied=list(self._applied[-6:]), pending=dict(self._pending), message=self._message, queue_position=position)

    # --- internals ---------------------------------------------------------------------------------------------

    _busy = False

    def _touch_version(self) -> None:
        self._version += 1

    def _restart_locked(self, saved=None) -> None:
        self._commands = collections.deque(c for c in self._commands if c[0] != "build")
        self._commands.append(("build", dataclasses.replace(self._config), self._points, saved))
        self._building = True
        self._stage_sequence, self._stage, self._stage_phases = None, None, []
        self._pending.clear()
        self._touch_version()
        self._ensure_worker()
        self._lock.notify_all()

    def _submit(self, command) -> None:
        with self._lock:
            self._commands.append(command)
            self._ensure_worker()
            self._lock.notify_all()

    def _ensure_worker(self) -> None:
        if self._worker is None or not self._worker.is_alive():
            self._worker = threading.Thread(target=self._work, name=f"playground-{self.run_id}", daemon=True)
            self._worker.start()

    def _work(self) -> None:
        me = threading.current_thread()
        try:
            while True:
                with self._lock:
                    if self._worker is not me:
                        return
                    if self._playing and time.monotonic() - self._last_touch > IDLE_PAUSE_SECONDS:
                        self._playing = False
                        self._message = Message("playground.idle_paused")
                        self._touch_version()
                    command = self._commands.popleft() if self._commands else None
                    self._in_command = command is not None
                    if command is None and not self._playing:
                        self._release_slot_locked()
                        self._state = RunState.PAUSED
                        self._worker = None
                        self._lock.notify_all()
                        return
                    self._busy = True
                try:
                    if command is not None:
                        self._run_command(command)
                    elif self._acquire_slot():
                        self._play_a_little()
                finally:
                    with self._lock:
                        self._busy = self._in_command = False
                        self._lock.notify_all()
        except BaseException as exc:  # noqa: BLE001 - a failure pauses this playground, never the server
            with self._lock:
                self._playing = self._in_command = False
                self._message = Message("error.crashed", error=f"{type(exc).__name__}: {exc}")
                self._release_slot_locked()
                self._state = RunState.PAUSED
                self._worker = None
                self._building = False
                self._touch_version()
                self._lock.notify_all()

    def _acquire_slot(self) -> bool:
        """A place in the training queue while playing (single steps need none: they are a few milliseconds)."""
        if self._holds_slot or self._scheduler is None:
            with self._lock:
                if self._state != RunState.RUNNING:
                    self._state = RunState.RUNNING
                    self._touch_version()
            return True
        with self._lock:
            self._state = RunState.QUEUED
            self._touch_version()
        acquired = self._scheduler.acquire(self.run_id, self.owner, self._cancel_queue)
        with self._lock:
            if acquired and not self._playing:  # paused while the slot came free
                self._scheduler.release(self.run_id)
                acquired = False
            self._holds_slot = acquired
            self._state = RunState.RUNNING if acquired else RunState.PAUSED
            self._touch_version()
        return acquired

    def _release_slot_locked(self) -> None:
        if self._holds_slot and self._scheduler is not None:
            self._scheduler.release(self.run_id)
        self._holds_slot = False

    def _run_command(self, command) -> None:
        kind = command[0]
        if kind == "build":
            experiment, saved = Experiment(command[1], command[2]), command[3]
            if saved is not None:
                experiment.set_weights(saved.generator_weights, saved.discriminator_weights)
            view = experiment.view_arrays()
            with self._lock:
                if self._commands and self._commands[0][0] == "build":
                    return  # a newer restart is waiting: this one is already stale
                self._experiment, self._view = experiment, view
                self._step = 0 if saved is None else saved.step
                self._history = _empty_history()
                self._history["js_step"].append(self._step)
                self._history["js"].append(view["js"])
                self._applied, self._building, self._stage, self._stage_sequence = [], False, None, None
                self._touch_version()
        elif kind == "export":
            write, done = command[1], command[2]
            try:
                experiment = self._experiment
                if experiment is None:
                    raise GanError("playground.no_points")
                with self._lock:  # changes made since the last step are the settings it goes on with
                    step, history = self._step, self._history["js"]
                    config = dataclasses.replace(experiment.config, **self._pending)
                done["data"] = write(experiment.gan.generator, experiment.gan.discriminator, config, step,
                                     experiment.points, history[-1] if history else None)
            except Exception as exc:  # noqa: BLE001 - handed to the caller, never the worker's end
                done["error"] = exc
            finally:
                done["event"].set()
        elif kind == "step":
            if self._experiment is None:
                return
            if self._slow:
                self._advance_stage(command[1])
            else:
                self._train_steps(command[1], 1)

    def _apply_pending(self) -> None:
        with self._lock:
            pending, self._pending = self._pending, {}
        if pending:
            self._experiment.apply_live(pending)
            with self._lock:
                self._applied.extend((name, value, self._step + 1) for name, value in pending.items())
                self._touch_version()

    def _train_steps(self, phase: str, count: int) -> None:
        self._apply_pending()
        records = [self._experiment.train(phase) for _ in range(count)]
        with self._lock:
            for record in records:
                self._step += 1
                self._record_losses_locked(record)
            self._touch_version()

    def _record_losses_locked(self, record: dict) -> None:
        history = self._history
        history["step"].append(self._step)
        history["d_loss"].append(record["d_loss"])
        history["g_loss"].append(record["g_loss"])
        if len(history["step"]) > HISTORY:
            for name in ("step", "d_loss", "g_loss"):
                del history[name][: len(history[name]) - HISTORY]

    def _refresh_view(self) -> None:
        view = self._experiment.view_arrays()
        with self._lock:
            self._view = view
            if not self._history["js_step"] or self._history["js_step"][-1] != self._step:
                self._history["js_step"].append(self._step)
                self._history["js"].append(view["js"])
            self._touch_version()

    def _play_a_little(self) -> None:
        """About VIEW_SECONDS of play: steps at up to MAX_STEPS_PER_SECOND, then a fresh view; in slow motion,
        the next stage once STAGE_SECONDS have passed since the last one, a pressed step's included (so a press while
        it plays shows its own stage for as long as any other, and never two stages at once); a command or a pause
        cuts the wait."""
        if self._experiment is None:
            return
        if self._slow:
            with self._lock:
                due = self._stage_at + STAGE_SECONDS
                self._lock.wait_for(lambda: self._commands or not self._playing or not self._slow,
                                    max(0.0, due - time.monotonic()))
                if self._commands or not self._playing or not self._slow or time.monotonic() < due:
                    return
            self._advance_stage("both")
            return
        started = time.monotonic()
        budget = int(MAX_STEPS_PER_SECOND * VIEW_SECONDS)
        done = 0
        while done < budget:
            self._train_steps("both", 1)
            done += 1
            with self._lock:
                if self._commands or not self._playing or self._slow:
                    break
        self._refresh_view()
        spare = done / MAX_STEPS_PER_SECOND - (time.monotonic() - started)
        if spare > 0:
            with self._lock:
                self._lock.wait_for(lambda: self._commands or not self._playing, spare)

    def _advance_stage(self, phase: str) -> None:
        """Slow motion: the next stage of the step under way, or the first stage of a new one (D's update and
        then G's for "both")."""
        if self._stage_sequence is None:
            self._apply_pending()
            self._stage_phases = ["d", "g"] if phase == "both" else [phase]
            self._stage_sequence = self._stages(list(self._stage_phases))
        try:
            stage = next(self._stage_sequence)
        except StopIteration:
            self._stage_sequence = None
            return self._advance_stage(phase)
        with self._lock:
            self._stage, self._stage_at = stage, time.monotonic()
            self._touch_version()
        if stage["stage"] == "update":
            self._refresh_view()

    def _stages(self, phases: list[str]):
        count = len(phases) * len(STAGES)
        index = 0
        record = {"d_loss": math.nan, "g_loss": math.nan}
        for phase in phases:
            for stage, arrays in self._experiment.slow_stages(phase):
                index += 1
                if stage == "update":
                    record[f"{phase}_loss"] = arrays["loss"]
                    if phase == phases[-1]:
                        with self._lock:
                            self._step += 1
                            self._record_losses_locked(record)
                yield {"phase": phase, "stage": stage, "index": index, "count": count, **arrays}


def _empty_history() -> dict:
    return {"step": [], "d_loss": [], "g_loss": [], "js_step": [], "js": []}


def playground_slots() -> int:
    """How many playgrounds play at once, server-wide: GAN_PLAYGROUND_CONCURRENT, else two per core (each is
    capped at MAX_STEPS_PER_SECOND of a few-millisecond step, a small share of a core)."""
    import os

    configured = int(os.environ.get("GAN_PLAYGROUND_CONCURRENT", "0") or 0)
    return configured if configured > 0 else 2 * (os.cpu_count() or 1)


_scheduler = None
_scheduler_lock = threading.Lock()


def playground_scheduler():
    """The playgrounds' own queue: the same Scheduler class as image runs (FIFO, one per session, positions
    shown), with its own slots, so a class's 2-D experiments never wait behind an hour of CIFAR training."""
    global _scheduler
    from .server.scheduler import Scheduler

    with _scheduler_lock:
        if _scheduler is None:
            _scheduler = Scheduler(playground_slots())
        return _scheduler
