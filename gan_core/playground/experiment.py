"""One 2-D experiment: tiny MLPs trained by the project's GAN (`PointGAN`), their steps (both, only D, only G, or
stage by stage in slow motion) and the arrays the page draws. Used by one thread at a time; Keras is imported on
first use, so a page that only reads a view stays light."""

from __future__ import annotations

import dataclasses
import functools
import math

import numpy as np

from ..training.config import OptimizerConfig, TrainConfig
from .config import PlaygroundConfig
from .data import sample_distribution
from .measures import HEATMAP_SIZE, decision_map, grid_points, js_divergence, manifold_latents

JS_SAMPLES = 2000  # real and fake points per histogram: the noise floor is a few hundredths of a bit
SHOWN_POINTS = 300  # real and fake points drawn, and arrows
STAGES = ("noise", "generate", "score", "loss", "gradient", "update")


def build_mlp(inputs: int, outputs: int, layers: int, width: int, activation: str, seed: int, name: str):
    """A Dense stack from (batch, inputs) to (batch, outputs), seeded layer by layer (files.mlp_weight_shapes gives
    its weights' shapes)."""
    import keras

    stack = [keras.Input((inputs,))]
    for index in range(layers):
        stack.append(keras.layers.Dense(width, activation=activation, name=f"{name}_dense_{index}",
                                        kernel_initializer=keras.initializers.GlorotUniform(seed=seed + index)))
    stack.append(keras.layers.Dense(outputs, name=f"{name}_out",
                                    kernel_initializer=keras.initializers.GlorotUniform(seed=seed + 100)))
    return keras.Sequential(stack, name=name)


@functools.cache
def _point_gan_class():
    """PointGAN is defined on first use (once) so importing this module does not import Keras (a page that only
    reads a view stays light)."""
    import keras
    from keras import ops

    from ..training.gan import GAN

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

    return PointGAN


class Experiment:
    """One PointGAN with its optimizers, compiled steps and fixed view inputs. Used by one thread at a time (the
    Playground's worker, or a test), never by a page."""

    def __init__(self, config: PlaygroundConfig, points: np.ndarray | None = None):
        from ..training.gan import make_optimizer

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
        """Start from saved weights (files.read_experiment checked their shapes against this config)."""
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
        from ..training.gan import compiled

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

        from ..training import losses
        from ..training.gan import input_gradient

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

        from ..training import losses
        from ..training.gan import input_gradient

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

