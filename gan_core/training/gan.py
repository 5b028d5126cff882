"""The GAN as a keras.Model with its own train_step, trained with fit (keras-io style)."""

from __future__ import annotations

import contextlib
import logging
import threading
import types
import warnings

import keras
import numpy as np
from keras import ops

from . import losses
from .augment import diff_augment
from .config import OptimizerConfig, TrainConfig

# What every training step reports: each network's loss and how often D is right on the real and the fake batch.
STEP_FIELDS = ("g_loss", "d_loss", "d_acc_real", "d_acc_fake")


def make_optimizer(config: OptimizerConfig) -> keras.optimizers.Optimizer:
    if config.name == "adam":
        optimizer = keras.optimizers.Adam(config.learning_rate, beta_1=config.beta1, beta_2=config.beta2)
    elif config.name == "sgd":
        optimizer = keras.optimizers.SGD(config.learning_rate, momentum=config.momentum)
    elif config.name == "rmsprop":
        optimizer = keras.optimizers.RMSprop(config.learning_rate, momentum=config.momentum)
    else:
        raise ValueError(config.name)
    if keras.backend.backend() == "tensorflow":  # the leak is TensorFlow's own (see below)
        if hasattr(optimizer, "_all_reduce_sum_gradients"):
            object.__setattr__(optimizer, "_all_reduce_sum_gradients",
                               types.MethodType(_all_reduce_only_when_distributed, optimizer))
        else:  # renamed in a newer Keras: training still works, but say that the leak fix no longer applies
            warnings.warn(f"Keras {keras.__version__} has no Optimizer._all_reduce_sum_gradients: gan_core's fix for "
                          "the per-run memory leak (see _all_reduce_only_when_distributed) is not applied",
                          RuntimeWarning, stacklevel=2)
    return optimizer


def _all_reduce_only_when_distributed(optimizer, grads_and_vars):
    """Keras' TensorFlow optimizer sums every step's gradients over the replicas even when no distribution strategy
    is in use, through a `tf.custom_gradient`. Traced into a train step, each such call registers a gradient
    function in TensorFlow's process-wide gradient registry that is never removed and holds that step's graph: every
    run left its whole traced train step in memory (about 20 MB per run), so a class server that trains run after
    run grew without bound. With a single replica the sum is the gradient itself."""
    import tensorflow as tf

    if tf.distribute.has_strategy():
        return type(optimizer)._all_reduce_sum_gradients(optimizer, grads_and_vars)
    return list(grads_and_vars)


# --- JAX: the step is a pure function of the variables' values (Keras' stateless pattern) ----------------------
# Under JAX a variable cannot be written inside a compiled step; Keras' answer is a StatelessScope, which maps each
# variable to a value and records what the code assigns instead of writing it. The GAN's step runs inside one scope
# that maps every variable it touches (GAN._make_jax_train_function); `gradients` and `input_gradient` open an inner scope over
# the outer one, with the variables they differentiate by as the function's arguments (jax.vjp / jax.grad), and
# hand what the inner code assigned (BatchNorm statistics, the seed, spectral norm's vectors) back to the outer one.
_jax_scopes = threading.local()  # each training thread its own stack of (scope, variables it maps)


@contextlib.contextmanager
def _jax_values(variables, values):
    """A StatelessScope in which `variables` read as `values`; what the code inside assigns is in the scope."""
    variables = list(variables)
    stack = _jax_scopes.__dict__.setdefault("stack", [])
    with keras.StatelessScope(state_mapping=list(zip(variables, values))) as scope:
        stack.append((scope, variables))
        try:
            yield scope
        finally:
            stack.pop()


def _jax_pure(function, variables):
    """(pure, write_back): pure(values, *args) runs function(*args) where `variables` read as `values` (JAX
    arguments: what jax.vjp/jax.grad differentiate by) and every other variable as the current scope has it; it
    returns (function's outputs, the values it assigned). write_back(those values) assigns them in the current scope,
    after the transformation: a value assigned inside it must not leave it except as an output."""
    stack = getattr(_jax_scopes, "stack", None)
    if not stack:
        raise RuntimeError("under JAX, gan_core's GAN steps run inside the stateless scope of GAN._make_jax_train_function")
    outer, outer_variables = stack[-1]
    mapped = {id(variable) for variable in variables}
    others = [variable for variable in outer_variables if id(variable) not in mapped]
    every = others + list(variables)
    assigned: list = []

    def pure(values, *args):
        with _jax_values(every, [outer.get_current_value(v) for v in others] + list(values)) as scope:
            before = [scope.get_current_value(variable) for variable in every]
            outputs = function(*args)
            after = [scope.get_current_value(variable) for variable in every]
        assigned[:] = [variable for variable, old, new in zip(every, before, after) if new is not old]
        return outputs, [scope.get_current_value(variable) for variable in assigned]

    def write_back(new_values):
        for variable, value in zip(assigned, new_values):
            variable.assign(value)

    return pure, write_back


def _jax_gradients(compute, targets):
    """`gradients` under JAX: one forward pass (jax.vjp), one pull-back per target."""
    import jax
    import jax.numpy as jnp

    variables = [variable for _, target_variables in targets for variable in target_variables]
    pure, write_back = _jax_pure(compute, variables)
    values, pull_back, assigned = jax.vjp(lambda *current: pure(current), *[v.value for v in variables],
                                          has_aux=True)
    write_back(assigned)
    grads, start = [], 0
    for index, target_variables in targets:
        cotangent = [jnp.zeros_like(value) for value in values]
        cotangent[index] = jnp.ones_like(values[index])
        all_grads = pull_back(tuple(cotangent))
        grads.append(list(all_grads[start:start + len(target_variables)]))
        start += len(target_variables)
    return tuple(values), grads


def gradients(compute, *targets):
    """Run `compute()` (a tuple of tensors) recording it, and return (its values, one list of gradients per target).
    A target is (index of a loss in the values, variables). The one place that knows how the backend differentiates:
    TensorFlow's tape, PyTorch's autograd, or JAX's vjp inside the step's stateless scope."""
    backend = keras.backend.backend()
    if backend == "jax":
        return _jax_gradients(compute, targets)
    if backend == "tensorflow":
        import tensorflow as tf

        with tf.GradientTape(persistent=len(targets) > 1) as tape:
            values = compute()
        grads = [tape.gradient(values[index], variables) for index, variables in targets]
        del tape
        return values, grads
    if backend == "torch":
        import torch

        values = compute()
        grads = [list(torch.autograd.grad(values[index], [v.value for v in variables], retain_graph=True))
                 for index, variables in targets]
        return values, grads
    raise NotImplementedError(f"gan_core trains with the tensorflow, jax or torch backend, not {backend}")


def compiled(function):
    """`function` traced into a graph where the backend has one (TensorFlow's tf.function), else as it is. For
    callers that step a GAN themselves, many times a second, where fit's per-call set-up would dominate."""
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        return tf.function(function, reduce_retracing=True)
    return function


def _is_end_of_data(exc: Exception) -> bool:
    """The data stream ran out (fit's normal end of an epoch), not a failure to compile."""
    if isinstance(exc, StopIteration):
        return True
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        return isinstance(exc, tf.errors.OutOfRangeError)
    return False


def input_gradient(function, inputs):
    """d sum(function(inputs)) / d inputs, differentiable again (WGAN-GP's penalty is trained through it)."""
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        with tf.GradientTape() as tape:
            tape.watch(inputs)
            outputs = function(inputs)
        return tape.gradient(outputs, inputs)
    if backend == "torch":
        import torch

        inputs = inputs.detach().requires_grad_(True)
        outputs = function(inputs)
        return torch.autograd.grad(ops.sum(outputs), inputs, create_graph=True)[0]
    if backend == "jax":
        import jax

        pure, write_back = _jax_pure(lambda images: ops.sum(function(images)), [])
        grads, assigned = jax.grad(lambda images: pure([], images), has_aux=True)(inputs)
        write_back(assigned)
        return grads
    raise NotImplementedError(backend)


class GAN(keras.Model):
    """Generator and discriminator trained adversarially.

    Batches are uint8 images (n, h, w, c), or (images, labels) for a conditional GAN; a subclass that overrides
    `prepare_real` and `sample_latents` trains on other data with the same steps (gan_core.playground: 2-D points).
    Self-conditioned (`cluster_bounds`, see gan_core.training.clusters): batches are (images, groups); D sees the group of
    every image, G takes only latents and draws its group from latent dimension 0 at these bounds.
    The recipe (loss, updates, augmentation, moving average, seed) comes from one TrainConfig. As in keras-io's GAN
    examples, `metrics` holds a Mean tracker per value (STEP_FIELDS), so `fit` averages each epoch: a step returns the
    epoch's means so far under the plain names and that batch's own values as batch_<name>.
    """

    def __init__(self, generator, discriminator, config: TrainConfig, num_classes=0, cluster_bounds=None, **kwargs):
        super().__init__(**kwargs)
        self.generator = generator
        self.discriminator = discriminator
        self.latent_dim = config.latent_dim
        self.loss_name = config.loss
        self.num_classes = num_classes  # classes (or groups) D is told about; 0: none
        self.cluster_bounds = None if cluster_bounds is None else [float(b) for b in cluster_bounds]
        if self.cluster_bounds is not None and num_classes != len(self.cluster_bounds) + 1:
            raise ValueError("a self-conditioned GAN has one class per interval between its cluster bounds")
        self.d_steps = config.d_steps
        self.simultaneous = config.update == "simultaneous"
        self.label_smoothing = config.label_smoothing
        self.gp_weight = config.gp_weight
        self.use_diff_augment = bool(config.diff_augment)
        self.seed_generator = keras.random.SeedGenerator(config.seed)
        self.trackers = [keras.metrics.Mean(name=name) for name in STEP_FIELDS]
        # An exponential moving average of G's weights (Karras et al.; keras-io GAN guides): smoother samples.
        # The average is a second copy of the generator; it is what grids, metrics and exports use.
        self.ema_decay = float(config.ema_decay)
        self.generator_ema = None
        if self.ema_decay > 0:
            self.generator_ema = keras.models.clone_model(generator)
            self.generator_ema.set_weights(generator.get_weights())
            self.generator_ema.trainable = False
        # Without BatchNorm in D, real and fake go through D as one batch: one pass is cheaper, and a spectrally
        # normalised layer renormalises its kernel in place once per pass, which autograd allows once per step.
        self.joint_critic = not any(isinstance(layer, keras.layers.BatchNormalization)
                                    for layer in discriminator._flatten_layers())
        self.built = True  # both networks are built: fit must not trace `call` on a batch of images to build us

    @property
    def metrics(self):
        """fit resets these at each epoch's start: their results are the epoch's means so far."""
        return self.trackers

    @property
    def conditional(self) -> bool:
        """True when G takes a label: a conditional GAN (a self-conditioned G draws its own group)."""
        return self.num_classes > 0 and self.cluster_bounds is None

    def _fake_labels(self, latents, real_labels):
        """The class D is told each fake has: the real batch's labels (conditional), the group the latent draws
        (self-conditioned: the same cut as the generator's Discretization layer), or None."""
        if self.cluster_bounds is None:
            return real_labels
        bounds = ops.convert_to_tensor([self.cluster_bounds], dtype="float32")
        return ops.sum(ops.cast(latents[:, :1] >= bounds, "int32"), axis=1, keepdims=True)

    def compile(self, g_optimizer, d_optimizer, **kwargs):
        """jit_compile from GAN_COMPILE (gan_core.training.device.compile_mode) unless the caller names one."""
        from . import device

        kwargs.setdefault("jit_compile", device.jit_compile_setting())
        super().compile(**kwargs)
        self.g_optimizer = g_optimizer
        self.d_optimizer = d_optimizer
        self.compile_fallback = None  # why a compiled step failed and training went on without it (else None)
        self._optimizer_values = None  # JAX: the two optimizers' values while an epoch runs (jax_state_sync)

    def make_train_function(self, force=False):
        """fit's step, compiled (XLA) when jit_compile is on. If compiling fails on the first step (TensorFlow
        2.21 with the cuDNN of its [and-cuda] extra is reported to fail XLA's convolution autotuning on GPUs),
        training goes on without XLA: `compile_fallback` says why and a warning is logged. That first batch is
        skipped (it was already taken from the stream)."""
        self._make_backend_train_function(force)  # sets self.train_function
        function = self.train_function
        if not self.jit_compile or getattr(function, "_first_try", False):
            return function

        def first_try(*args):  # (iterator), or (state, iterator) under JAX
            try:
                logs = function(*args)
            except Exception as exc:  # any failure to compile; a real error fails again below
                if _is_end_of_data(exc):
                    raise
                self.compile_fallback = f"{type(exc).__name__}: {str(exc).strip().splitlines()[0][:300]}"
                logging.getLogger(__name__).warning("compiled step failed, training without XLA: %s",
                                                    self.compile_fallback)
                self.jit_compile = False
                self._make_backend_train_function(force=True)
                return self.train_function(*args)
            self.train_function = function  # compiled and working: no more checks
            return logs

        first_try._first_try = True
        self.train_function = first_try
        return first_try

    def _make_backend_train_function(self, force=False):
        """Keras' own train function, except under JAX (GAN._make_jax_train_function)."""
        if keras.backend.backend() == "jax":
            if self.train_function is None or force:
                self._make_jax_train_function()
        else:
            super().make_train_function(force)

    # --- JAX ------------------------------------------------------------------------------------------------
    # Keras' JAX fit hands the step the values of the model's variables and of its one optimizer, and takes them back
    # (the variables themselves are emptied while an epoch runs). The GAN has two optimizers of its own: their values
    # travel beside Keras' state (_optimizer_values) and go back into their variables in jax_state_sync, when Keras'
    # do (the end of each epoch, or a callback reading the model).

    def _optimizer_variables(self) -> list:
        return list(self.g_optimizer.variables) + list(self.d_optimizer.variables)

    def _make_jax_train_function(self):
        import jax

        def step(state, optimizer_values, data):
            trainable, non_trainable, keras_optimizer, metric_values = state  # Keras' own optimizer: unused
            variables = (self.trainable_variables + self.non_trainable_variables + self.metrics_variables
                         + self._optimizer_variables())
            values = [*trainable, *non_trainable, *metric_values, *optimizer_values]
            with _jax_values(variables, values) as scope:
                logs = self._train_step(data)
            new = [scope.get_current_value(variable) for variable in variables]
            counts = np.cumsum([len(trainable), len(non_trainable), len(metric_values)])
            state = (new[:counts[0]], new[counts[0]:counts[1]], keras_optimizer, new[counts[1]:counts[2]])
            return logs, state, new[counts[2]:]

        compiled_step = jax.jit(step) if self.jit_compile else step

        def train_function(state, iterator):
            if self._optimizer_values is None:
                self._optimizer_values = [variable.value for variable in self._optimizer_variables()]
            logs, state, optimizer_values = compiled_step(state, list(self._optimizer_values), next(iterator))
            self._optimizer_values = optimizer_values
            return logs, state

        self.train_function = train_function

    def jax_state_sync(self):
        """Keras' variables back from its JAX state, and the two optimizers' from theirs."""
        super().jax_state_sync()
        if getattr(self, "_optimizer_values", None) is not None:
            for variable, value in zip(self._optimizer_variables(), self._optimizer_values):
                variable.assign(value)
            self._optimizer_values = None

    @property
    def sampling_generator(self):
        """The generator to show and to save: the moving average when there is one."""
        return self.generator_ema if self.generator_ema is not None else self.generator

    def generate(self, latents, labels=None, training=False):
        inputs = [latents, labels] if self.conditional else latents
        return self.generator(inputs, training=training)

    def sample(self, latents, labels=None):
        """Images for people (grids, metrics): inference mode, averaged weights if any."""
        inputs = [latents, labels] if self.conditional else latents
        return self.sampling_generator(inputs, training=False)

    def _critic(self, images, labels, training=True):
        if self.use_diff_augment:
            images = diff_augment(images, self.seed_generator)
        inputs = [images, labels] if self.num_classes else images
        return self.discriminator(inputs, training=training)

    def _critic_real_and_fake(self, real, real_labels, fake, fake_labels):
        """D's logits on the real and the fake batch: separate passes when D has BatchNorm (its statistics must
        never mix the two batches), else one pass over both."""
        if not self.joint_critic:
            return self._critic(real, real_labels), self._critic(fake, fake_labels)
        both_labels = None if real_labels is None else ops.concatenate([real_labels, fake_labels], axis=0)
        logits = self._critic(ops.concatenate([real, fake], axis=0), both_labels)
        count = ops.shape(real)[0]
        return logits[:count], logits[count:]

    def prepare_real(self, data):
        """(real batch in the networks' range, labels or None) from what the dataset yields: uint8 images go to
        [-1, 1]. A GAN on other data (gan_core.playground's 2-D points) overrides this."""
        if self.num_classes:
            real_uint8, labels = data
            labels = ops.reshape(ops.cast(labels, "int32"), (-1, 1))
        else:
            real_uint8, labels = data, None
        return ops.cast(real_uint8, "float32") / 127.5 - 1.0, labels

    def sample_latents(self, batch):
        """G's input noise for one batch: standard normal (batch, latent_dim)."""
        return keras.random.normal((batch, self.latent_dim), seed=self.seed_generator)

    def train_step(self, *args):
        """fit's step: (data) under TensorFlow and PyTorch; (state, data) under JAX, which fit calls through the
        GAN's own JAX train function instead (_make_jax_train_function)."""
        if len(args) == 2:
            raise NotImplementedError("under JAX the GAN's step is GAN._make_jax_train_function's")
        return self._train_step(args[0])

    def _train_step(self, data):
        real, labels = self.prepare_real(data)
        batch = ops.shape(real)[0]
        if self.simultaneous:
            real_logits, fake_logits, g_loss, d_loss = self._simultaneous_step(real, labels, batch)
        else:
            for _ in range(self.d_steps):
                d_loss, real_logits, fake_logits = self.discriminator_update(real, labels, self.sample_latents(batch))
            g_loss = self.generator_update(self.sample_latents(batch), labels)
        values = self._step_values(real_logits, fake_logits, g_loss, d_loss)
        for tracker in self.trackers:
            tracker.update_state(values[tracker.name])
        return {**{tracker.name: tracker.result() for tracker in self.trackers},
                **{f"batch_{name}": value for name, value in values.items()}}

    def discriminator_update(self, real, labels, latents):
        """One optimizer step of D on a real batch against G(latents); returns (d_loss, real_logits, fake_logits)
        as they were before the step."""
        fake_labels = self._fake_labels(latents, labels)  # conditional: the real batch's classes
        d_weights = self.discriminator.trainable_weights

        def discriminator_pass():
            fake = self.generate(latents, fake_labels, training=True)
            real_logits, fake_logits = self._critic_real_and_fake(real, labels, fake, fake_labels)
            return self.discriminator_loss(real_logits, fake_logits, real, fake, fake_labels), real_logits, fake_logits

        values, (grads,) = gradients(discriminator_pass, (0, d_weights))
        self.d_optimizer.apply_gradients(zip(grads, d_weights))
        return values

    def generator_update(self, latents, labels=None):
        """One optimizer step of G from `latents` (and the moving average's update); returns G's loss before it."""
        fake_labels = self._fake_labels(latents, labels)
        g_weights = self.generator.trainable_weights

        def generator_pass():
            fake = self.generate(latents, fake_labels, training=True)
            return (losses.generator_loss(self.loss_name, self._critic(fake, fake_labels)),)

        (g_loss,), (grads,) = gradients(generator_pass, (0, g_weights))
        self.g_optimizer.apply_gradients(zip(grads, g_weights))
        self._update_average()
        return g_loss

    def _simultaneous_step(self, real, labels, batch):
        """TensorFlow's DCGAN tutorial: one generator pass; D's and G's gradients from the same logits, both
        applied at once. G's loss sees D before D's update, as in the tutorial."""
        latents = self.sample_latents(batch)
        fake_labels = self._fake_labels(latents, labels)
        g_weights, d_weights = self.generator.trainable_weights, self.discriminator.trainable_weights

        def both_passes():
            fake = self.generate(latents, fake_labels, training=True)
            real_logits, fake_logits = self._critic_real_and_fake(real, labels, fake, fake_labels)
            g_loss = losses.generator_loss(self.loss_name, fake_logits)
            d_loss = self.discriminator_loss(real_logits, fake_logits, real, fake, labels)
            return real_logits, fake_logits, g_loss, d_loss

        values, (g_grads, d_grads) = gradients(both_passes, (2, g_weights), (3, d_weights))
        self.g_optimizer.apply_gradients(zip(g_grads, g_weights))
        self.d_optimizer.apply_gradients(zip(d_grads, d_weights))
        self._update_average()
        return values

    def discriminator_loss(self, real_logits, fake_logits, real, fake, labels):
        """D's loss for these logits, with the gradient penalty when the loss is wgan_gp."""
        d_loss = losses.discriminator_loss(self.loss_name, real_logits, fake_logits, self.label_smoothing)
        if self.loss_name == "wgan_gp":
            d_loss = d_loss + self.gp_weight * self._gradient_penalty(real, fake, labels)
        return d_loss

    def _update_average(self):
        if self.generator_ema is not None:
            # Warm-up: early on the average must not hold on to the random initial weights.
            updates = ops.cast(self.g_optimizer.iterations, "float32")
            decay = ops.minimum(self.ema_decay, (1.0 + updates) / (10.0 + updates))
            for average, current in zip(self.generator_ema.weights, self.generator.weights):
                average.assign(decay * average + (1.0 - decay) * current)

    def _step_values(self, real_logits, fake_logits, g_loss, d_loss):
        if self.loss_name == "wgan_gp":  # a critic has no natural 0: split at the midpoint of its scores
            threshold = (ops.mean(real_logits) + ops.mean(fake_logits)) / 2.0
        else:
            threshold = 0.0
        return {
            "g_loss": g_loss,
            "d_loss": d_loss,
            "d_acc_real": ops.mean(ops.cast(real_logits > threshold, "float32")),
            "d_acc_fake": ops.mean(ops.cast(fake_logits < threshold, "float32")),
        }

    def _gradient_penalty(self, real, fake, labels):
        batch, rank = ops.shape(real)[0], len(real.shape)  # images (n, h, w, c) or points (n, 2)
        alpha = keras.random.uniform((batch,) + (1,) * (rank - 1), 0.0, 1.0, seed=self.seed_generator)  # in [0, 1]
        mixed = real + alpha * (fake - real)
        grads = input_gradient(lambda images: self._critic(images, labels), mixed)
        norms = ops.sqrt(ops.sum(ops.square(grads), axis=list(range(1, rank))) + 1e-12)
        return ops.mean(ops.square(norms - 1.0))

    def call(self, inputs, training=False):
        return self.generator(inputs, training=training)
