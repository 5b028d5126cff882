"""Engine overhead: images/s of the dcgan-tf recipe in a real Run vs a plain tf.function loop like TF's tutorial.

    python -m bench.throughput [--steps 10] [--rounds 2]

Five ways to train the same architecture (batch 256, Adam 1e-4, MNIST), each timed over `steps` batches
per segment, segments interleaved (A B C D E, then E D C B A, ...) so that load from other processes hits
them alike. Every variant is traced and warmed up before its first timed segment; a segment's clock runs
from the end of its first batch to the end of its last.

  A tutorial loop   the TF DCGAN tutorial's loop: one tape pair, one generator pass, D and G updated together
  B engine step     our GAN.train_step in a plain tf.function loop, with the dcgan-tf preset's `update`
                    (simultaneous, as the tutorial: one G pass, both updated; "alternating" costs about 2x)
  C fit             the same GAN trained by keras fit, no callbacks (only a timer)
  D Run             a real Run: its thread, RunCallback on every batch (logs, lock, pause/stop checks),
                    paused between segments
  E fit, tutorial   keras fit with a train_step that does the tutorial's math: fit's own cost at equal work
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import tensorflow as tf  # noqa: E402

from bench.common import header  # noqa: E402
from gan_core import Run, RunState, get_preset, load_dataset  # noqa: E402
from gan_core.server.scheduler import Scheduler  # noqa: E402
from gan_core.training.config import recipe
from gan_core.training.trainer import RunCallback, build_gan, make_tf_dataset  # noqa: E402

BATCH = 256
LATENT = 100


class TutorialStepGAN(keras.Model):
    """The tutorial's train_step inside a keras Model, so fit can run the very same work as loop A."""

    def __init__(self, generator, discriminator):
        super().__init__()
        self.generator, self.discriminator = generator, discriminator
        self.cross_entropy = keras.losses.BinaryCrossentropy(from_logits=True)

    def compile(self, g_optimizer, d_optimizer):
        super().compile()
        self.g_optimizer, self.d_optimizer = g_optimizer, d_optimizer

    def train_step(self, images):
        return tutorial_step(self.generator, self.discriminator, self.g_optimizer, self.d_optimizer,
                             self.cross_entropy, images)


def tutorial_step(generator, discriminator, g_optimizer, d_optimizer, cross_entropy, images):
    """Copied in shape from tensorflow.org/tutorials/generative/dcgan (images already in [-1, 1])."""
    noise = tf.random.normal([tf.shape(images)[0], LATENT])
    with tf.GradientTape() as gen_tape, tf.GradientTape() as disc_tape:
        generated_images = generator(noise, training=True)
        real_output = discriminator(images, training=True)
        fake_output = discriminator(generated_images, training=True)
        gen_loss = cross_entropy(tf.ones_like(fake_output), fake_output)
        disc_loss = (cross_entropy(tf.ones_like(real_output), real_output)
                     + cross_entropy(tf.zeros_like(fake_output), fake_output))
    g_grads = gen_tape.gradient(gen_loss, generator.trainable_variables)
    d_grads = disc_tape.gradient(disc_loss, discriminator.trainable_variables)
    g_optimizer.apply_gradients(zip(g_grads, generator.trainable_variables))
    d_optimizer.apply_gradients(zip(d_grads, discriminator.trainable_variables))
    return {"g_loss": gen_loss, "d_loss": disc_loss}


def tutorial_models(shape):
    preset = get_preset("dcgan-tf")
    return (preset.build_generator(shape, LATENT), preset.build_discriminator(shape),
            keras.optimizers.Adam(1e-4), keras.optimizers.Adam(1e-4))


def tutorial_loop_step(shape):
    """The tutorial's train_step over its own models, optimizers and loss, as a function of the batch."""
    generator, discriminator, g_optimizer, d_optimizer = tutorial_models(shape)
    cross_entropy = keras.losses.BinaryCrossentropy(from_logits=True)

    def step(images):
        return tutorial_step(generator, discriminator, g_optimizer, d_optimizer, cross_entropy, images)

    return step


def tutorial_dataset(images_uint8) -> tf.data.Dataset:
    """As in the tutorial: float32 images in [-1, 1], shuffle buffer 60000, batch 256, repeated."""
    images = (images_uint8.astype("float32") - 127.5) / 127.5
    return tf.data.Dataset.from_tensor_slices(images).shuffle(60000).batch(BATCH).repeat()


class LoopVariant:
    """A plain Python loop over a tf.function step."""

    def __init__(self, step, dataset):
        self.step = tf.function(step)
        self.iterator = iter(dataset)
        self.segment(2)  # trace and warm up

    def segment(self, steps: int) -> float:
        """Seconds per batch over steps-1 batches (the clock starts after the first)."""
        for index in range(steps):
            logs = self.step(next(self.iterator))
            if index == 0:
                float(logs["g_loss"])
                started = time.perf_counter()
        float(logs["g_loss"])
        return (time.perf_counter() - started) / max(steps - 1, 1)


class BatchTimer(keras.callbacks.Callback):
    """Records when each batch ends; reads nothing from the logs, so it never forces a sync of its own."""

    def on_train_begin(self, logs=None):
        self.ends = []

    def on_train_batch_end(self, batch, logs=None):
        self.ends.append(time.perf_counter())


class FitVariant:
    def __init__(self, model, dataset):
        self.model, self.dataset, self.timer = model, dataset, BatchTimer()
        self.segment(2)

    def segment(self, steps: int) -> float:
        self.model.fit(self.dataset, epochs=1, steps_per_epoch=steps, callbacks=[self.timer], verbose=0)
        ends = self.timer.ends
        return (ends[-1] - ends[0]) / max(len(ends) - 1, 1)


class CallbackClock:
    """Wall time spent inside RunCallback's batch and epoch hooks: the engine's own per-batch and per-epoch work."""

    def __init__(self):
        self.seconds = {"on_train_batch_end": [], "on_epoch_end": []}
        for name in self.seconds:
            original = getattr(RunCallback, name)

            def timed(callback, *args, _original=original, _name=name, **kwargs):
                started = time.perf_counter()
                try:
                    return _original(callback, *args, **kwargs)
                finally:
                    self.seconds[_name].append(time.perf_counter() - started)

            setattr(RunCallback, name, timed)


class RunVariant:
    """A real Run on its own thread, paused between segments. Each step's end is stamped inside the run's own
    `progress.record_steps` (called by RunCallback after every batch), so timing it adds no thread and no polling: an
    earlier version watched the step counter from a second thread every 2 ms and called `snapshot()` (a deep copy
    of every metric and a diagnosis) 500 times a second, which took its share of the two cores from the run it
    timed."""

    def __init__(self, directory, dataset):
        config = recipe("dcgan-tf", epochs=1, dataset="mnist")
        self.run = Run.create(directory, config, dataset=dataset)
        self.times: dict[int, float] = {}
        record_steps = self.run.progress.record_steps

        def stamped(records, *args, **kwargs):
            record_steps(records, *args, **kwargs)
            if records:
                self.times.setdefault(records[-1]["step"], time.perf_counter())

        self.run.progress.record_steps = stamped
        self.run.start(Scheduler(1))
        self._wait_for_step(2)
        self._pause()

    def _wait_for_step(self, step: int, timeout: float = 600.0) -> None:
        deadline = time.time() + timeout
        while self.run.progress.step < step:
            if time.time() > deadline or self.run.state not in (RunState.QUEUED, RunState.RUNNING):
                raise RuntimeError(f"run stalled: {self.run.state} {self.run.message}")
            time.sleep(0.05)

    def _pause(self) -> None:
        """Pause, then wait until the batch in flight has ended (no new step for a while)."""
        self.run.pause()
        quiet_since, last = time.perf_counter(), self.run.progress.step
        while time.perf_counter() - quiet_since < 3.0:
            if self.run.progress.step != last:
                last, quiet_since = self.run.progress.step, time.perf_counter()
            time.sleep(0.01)

    def segment(self, steps: int) -> float:
        first = self.run.progress.step + 1
        self.run.resume()
        self._wait_for_step(first + steps - 2)
        self._pause()  # the run ends the batch in flight (maybe one more) before it waits
        last = self.run.progress.step
        return (self.times[last] - self.times[first]) / (last - first)

    def close(self) -> None:
        self.run.stop()
        self.run.resume()
        self.run.wait()


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=10, help="batches per timed segment")
    parser.add_argument("--rounds", type=int, default=2, help="interleaved rounds (each round runs every variant)")
    args = parser.parse_args(argv)
    header("Throughput: dcgan-tf, batch 256, MNIST — our engine vs a plain tf.function loop")

    dataset = load_dataset("mnist")
    shape = dataset.shape
    config = recipe("dcgan-tf", dataset="mnist")
    engine_data = make_tf_dataset(dataset, config, conditional=False).repeat()

    variants = {}
    variants["A tutorial loop"] = LoopVariant(tutorial_loop_step(shape), tutorial_dataset(dataset.images))
    variants["B engine step, plain loop"] = LoopVariant(build_gan(config, shape, 0).train_step, engine_data)
    variants["C fit, no callbacks"] = FitVariant(build_gan(config, shape, 0), engine_data)
    tmp = tempfile.TemporaryDirectory(prefix="bench-throughput-")
    variants["D Run (engine + callbacks)"] = RunVariant(os.path.join(tmp.name, "run"), dataset)
    generator, discriminator, g_opt, d_opt = tutorial_models(shape)
    tutorial_fit = TutorialStepGAN(generator, discriminator)
    tutorial_fit.compile(g_opt, d_opt)
    variants["E fit, tutorial step"] = FitVariant(tutorial_fit, tutorial_dataset(dataset.images))

    clock = CallbackClock()
    seconds = {name: [] for name in variants}
    names = list(variants)
    for round_index in range(args.rounds):
        for name in names if round_index % 2 == 0 else names[::-1]:
            seconds[name].append(variants[name].segment(args.steps))
            print(f"  round {round_index + 1} {name:28s} {BATCH / seconds[name][-1]:7.1f} images/s", flush=True)
    variants["D Run (engine + callbacks)"].close()
    batch_hook = statistics.median(clock.seconds["on_train_batch_end"])
    epoch_end = epoch_end_seconds(os.path.join(tmp.name, "epochs"), dataset, clock)
    tmp.cleanup()

    rate = {name: BATCH / statistics.median(values) for name, values in seconds.items()}
    print("\nvariant                          images/s   vs A")
    for name in names:
        print(f"{name:30s} {rate[name]:10.1f}   {rate[name] / rate[names[0]]:.3f}")
    a, b, c, d, e = (rate[name] for name in names)
    print("\nratios (1.00 = same speed; above 1 = left side faster)")
    print(f"  engine Run / tutorial loop (the bar, >= 1)      D/A = {d / a:.3f}")
    print(f"  engine step math / tutorial math, both plain    B/A = {b / a:.3f}")
    print(f"  keras fit / plain loop, engine step             C/B = {c / b:.3f}")
    print(f"  keras fit / plain loop, tutorial step           E/A = {e / a:.3f}")
    print(f"  Run with callbacks / bare fit                   D/C = {d / c:.3f}")
    step = BATCH / d
    full_epoch = len(dataset.images) // BATCH
    print(f"\nRunCallback.on_train_batch_end: {batch_hook * 1000:.2f} ms per batch "
          f"({batch_hook / step:.3%} of a {step:.2f} s step)")
    print(f"RunCallback.on_epoch_end (grid, checkpoint, export, TensorBoard): {epoch_end:.2f} s per epoch "
          f"({epoch_end / (full_epoch * step):.2%} of a {full_epoch}-batch MNIST epoch)")
    print(f"\nbar (engine >= plain tutorial loop): {'met' if d >= a else 'NOT met'}")
    return {"images_per_sec": rate, "ratios": {"D/A": d / a, "B/A": b / a, "C/B": c / b, "E/A": e / a, "D/C": d / c},
            "batch_hook_seconds": batch_hook, "epoch_end_seconds": epoch_end}


def epoch_end_seconds(directory, dataset, clock: CallbackClock) -> float:
    """A short real Run of two 2-batch epochs: the median time its epoch-end work takes."""
    before = len(clock.seconds["on_epoch_end"])
    config = recipe("dcgan-tf", epochs=2, dataset="mnist", max_images=2 * BATCH)
    run = Run.create(directory, config, dataset=dataset)
    run.start(Scheduler(1))
    run.wait()
    return statistics.median(clock.seconds["on_epoch_end"][before:])


if __name__ == "__main__":
    main()
