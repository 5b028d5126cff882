"""What the training thread does: build the GAN, restore a checkpoint, fit with callbacks that feed the Run."""

from __future__ import annotations

import math
import time

import keras
import numpy as np

from ..data import images as imaging
from ..i18n import Message
from . import clusters, device, metrics
from .gan import GAN, STEP_FIELDS, make_optimizer
from .generator_file import save_generator
from .presets import get_preset
from .run_folder import load_checkpoint, save_checkpoint
from .transfer import freeze_discriminator_layers, initialise, save_networks

DIVERGED_LOSS = 1e6  # no loss we offer reaches this while training is sane: treat it like NaN


def build_gan(config, image_shape, num_classes: int, cluster_bounds=None) -> GAN:
    """`cluster_bounds` (self-conditioning, config.clusters): from gan_core.training.clusters.latent_bounds of the groups."""
    preset = get_preset(config.preset)
    classes = num_classes if preset.conditional else 0
    extra = {}
    if config.clusters:
        if cluster_bounds is None:
            raise ValueError("config.clusters needs the cluster bounds (gan_core.training.clusters.latent_bounds)")
        classes, extra = len(cluster_bounds) + 1, {"cluster_bounds": cluster_bounds}
    generator = preset.build_generator(image_shape, config.latent_dim, classes, **extra)
    discriminator = preset.build_discriminator(image_shape, classes)
    if config.freeze_d:
        freeze_discriminator_layers(discriminator, config.freeze_d)
    gan = GAN(generator, discriminator, config, num_classes=classes, cluster_bounds=extra.get("cluster_bounds"))
    gan.compile(make_optimizer(config.generator_optimizer), make_optimizer(config.discriminator_optimizer))
    gan.g_optimizer.build(generator.trainable_variables)
    gan.d_optimizer.build(discriminator.trainable_variables)
    return gan


def fixed_inputs(config, num_classes: int, conditional: bool):
    """The fixed latent batch (and labels) every epoch grid is drawn from: one column per class when conditional."""
    rng = np.random.default_rng(config.seed + 1)
    if conditional:
        columns = min(num_classes, 16)
        count = columns * config.grid_size
        labels = (np.arange(count) % columns).astype(np.int32).reshape(-1, 1)
    else:
        columns, count, labels = config.grid_size, config.grid_size**2, None
    latents = rng.standard_normal((count, config.latent_dim)).astype(np.float32)
    return latents, labels, columns


def make_tf_dataset(dataset, config, conditional: bool, groups=None):
    """The whole dataset held in memory as uint8, shuffled each epoch, batches of equal size (a tf.data.Dataset);
    with its labels when conditional, with `groups` (self-conditioning) when given."""
    import tensorflow as tf

    if groups is not None:
        data = tf.data.Dataset.from_tensor_slices((dataset.images, groups))
    elif conditional:
        data = tf.data.Dataset.from_tensor_slices((dataset.images, dataset.labels))
    else:
        data = tf.data.Dataset.from_tensor_slices(dataset.images)
    data = data.shuffle(min(len(dataset.images), 60_000), seed=config.seed, reshuffle_each_iteration=True)
    return data.batch(config.batch_size, drop_remainder=True).prefetch(tf.data.AUTOTUNE)


def train(run) -> None:
    """Train `run` until its epochs are done, it is stopped, or it fails. Runs in the run's thread."""
    config = run.config
    run.set_device(device.configure()["description"])
    dataset = run.dataset()
    preset = get_preset(config.preset)
    conditional = preset.conditional
    groups, bounds = self_conditioning_groups(run, dataset) if config.clusters else (None, None)
    gan = build_gan(config, dataset.shape, dataset.num_classes, bounds)
    run.folder.make_folders()

    start_epoch = 0
    resume_from = run.resume_checkpoint
    if resume_from is not None:
        meta = load_checkpoint(gan, resume_from)
        start_epoch = meta["epoch"]
        run.progress.rewind(start_epoch, meta["step"])
    steps_per_epoch = config.steps_per_epoch or len(dataset.images) // config.batch_size
    run.progress.begin_epochs(steps_per_epoch)

    if resume_from is None and config.init_from:
        run.started_from = initialise(gan, config.init_from, dataset.images)
    callback = RunCallback(run, gan, dataset, conditional)
    if resume_from is None:
        callback.save_grid(0)
    if start_epoch >= config.epochs:
        callback.export_generator()
        _save_transfer_source(gan, run)
        return
    batches = make_tf_dataset(dataset, config, conditional, groups)
    if config.steps_per_epoch:  # epochs of N batches: one endless shuffled stream, cut every N batches
        batches = batches.repeat()
    gan.fit(batches, epochs=config.epochs, initial_epoch=start_epoch,
            steps_per_epoch=steps_per_epoch, callbacks=[callback], verbose=0, shuffle=False)
    callback.flush()
    if run.failed:
        return
    if run.stop_requested and callback.steps_since_checkpoint:
        save_checkpoint(gan, run.folder.checkpoint_path(), run.progress.epoch, run.progress.step)
    callback.export_generator()
    _save_transfer_source(gan, run)


def _save_transfer_source(gan, run) -> None:
    """G and D by name (gan_core.training.transfer): a finished run can seed another (`init_from` = its folder)."""
    save_networks(gan, run.folder.networks_path)


def self_conditioning_groups(run, dataset) -> tuple[np.ndarray, list[float]]:
    """The run's k-means groups (gan_core.training.clusters) and their latent bounds: computed once (a few seconds for
    MNIST), kept in the run's folder so a resumed run trains on the very same groups."""
    path = run.folder.clusters_path
    groups = None
    if path.exists():
        with np.load(path) as saved:
            groups = saved["groups"]
    if groups is None or len(groups) != len(dataset.images):
        count = clusters.group_count(run.config.clusters, len(dataset.images))
        groups = clusters.kmeans(dataset.images, count, seed=run.config.seed, strokes=dataset.strokes)
        np.savez(path, groups=groups)
    return groups, clusters.latent_bounds(groups)


class RunCallback(keras.callbacks.Callback):
    """Feeds the Run: every step's values, every epoch's means, grid, checkpoint and TensorBoard scalars.
    Also the place where pause, stop and NaN act, between two batches."""

    def __init__(self, run, gan: GAN, dataset, conditional: bool):
        super().__init__()
        self.run = run
        self.gan = gan
        self.dataset = dataset
        self.conditional = conditional
        config = run.config
        self.fixed_latents, self.fixed_labels, self.grid_columns = fixed_inputs(config, dataset.num_classes, conditional)
        self.pending: list[dict] = []
        self.epoch_records: list[dict] = []
        self.steps_since_checkpoint = 0
        self.epoch_started = time.time()
        self.epoch_paused = 0.0
        import tensorflow as tf  # here, not at the top: build_gan and the checkpoints serve any Keras backend

        self.summary = tf.summary
        self.writer = tf.summary.create_file_writer(str(run.folder.tensorboard))
        sample = dataset.images[np.random.default_rng(config.seed).choice(len(dataset.images),
                                                                             min(64, len(dataset.images)), replace=False)]
        self.real_diversity = batch_diversity(sample.astype(np.float32) / 127.5 - 1.0)
        self.start_samples: np.ndarray | None = None  # the grid's samples before training (epoch 0), in [-1, 1]
        self.metrics_file = run.folder.append_metrics()
        run.clock.begin_budget()  # while it trains, the page draws the finish line a time bound sets

    # --- batches ---------------------------------------------------------------------------

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch_started = time.time()
        self.epoch_paused = 0.0
        self.epoch_records = []
        self.run.progress.begin_epoch()

    def on_train_batch_end(self, batch, logs=None):
        run = self.run
        values = {name: float(logs[f"batch_{name}"]) for name in STEP_FIELDS}  # this batch's own (GAN.train_step)
        step = run.progress.step + 1
        for which in ("g_loss", "d_loss"):
            if not math.isfinite(values[which]) or abs(values[which]) > DIVERGED_LOSS:
                run.fail(Message("error.nan_loss", which="G" if which == "g_loss" else "D",
                                 value=values[which], step=step))
                self.model.stop_training = True
                return
        record = {"type": "step", "step": step, "epoch": run.progress.epoch + 1, **values}
        if self.gan.compile_fallback and run.message is None:  # the compiled step failed: the run says it goes on without
            run.message = Message("run.compile_fallback", error=self.gan.compile_fallback)
            self.pending.append({"type": "note", "step": step, "message": run.message.to_dict()})
        self.pending.append(record)
        self.epoch_records.append(record)
        self.steps_since_checkpoint += 1
        elapsed = time.time() - self.epoch_started - self.epoch_paused
        run.progress.record_steps([record], step_in_epoch=batch + 1,
                         images_per_sec=(batch + 1) * run.config.batch_size / elapsed if elapsed > 0 else None)
        if len(self.pending) >= 50:
            self.flush()
        if run.pause_requested:
            paused_at = time.time()
            run.wait_while_paused()
            self.epoch_paused += time.time() - paused_at
        self._take_turn_break()
        if run.stop_requested:
            self.model.stop_training = True

    def _take_turn_break(self) -> None:
        """Someone waits and this run's turn is over: queue at the back (the waiting time is not training time)."""
        waited_from = time.time()
        # what the run did this turn goes to disk before someone else trains
        if not self.run.take_turn_break(before_break=self.flush):
            self.model.stop_training = True
        self.epoch_paused += time.time() - waited_from

    # --- epochs -----------------------------------------------------------------------------

    def on_epoch_end(self, epoch, logs=None):
        run = self.run
        if run.failed or not self.epoch_records:
            return
        if run.stop_requested and len(self.epoch_records) < run.progress.steps_per_epoch:
            return  # a partial epoch: the trainer saves `last` and no epoch grid
        run.check_disk()  # over the quota: the run fails here, before this epoch's grid and checkpoint
        number = epoch + 1
        seconds = time.time() - self.epoch_started - self.epoch_paused
        grid_images = self.save_grid(number)
        means = {name: float(logs[name]) for name in STEP_FIELDS}  # the epoch's means: GAN.metrics, kept by fit
        record = {"type": "epoch", "epoch": number, "step": run.progress.step, **means, "seconds": seconds,
                  "images_per_sec": len(self.epoch_records) * run.config.batch_size / max(seconds, 1e-9),
                  "diversity": batch_diversity(grid_images) / max(self.real_diversity, 1e-9),
                  "like_start": self.like_start(grid_images)}
        self.pending.append(record)
        run.progress.record_epoch(record)
        self._quality(number)
        self.flush()
        self._tensorboard(record, grid_images)
        run.folder.save_epoch_checkpoint(self.gan, number, run.progress.step, run.config.keep_checkpoints)
        self.steps_since_checkpoint = 0
        self.export_generator()
        run.save_status()
        self._end_if_out_of_time(number)
        if not self.model.stop_training and number < run.config.epochs:
            self._take_turn_break()  # a turn of whole epochs ends here, its grid and checkpoint saved

    def _end_if_out_of_time(self, epoch: int) -> None:
        """Past the class's bound on the run's training time or its own budget (RunClock.over_time): the run ends here,
        finished, its epochs cut to the ones it trained."""
        run = self.run
        if epoch >= run.config.epochs:
            return
        reason = run.clock.over_time()
        if reason is not None:
            run.end_early(epoch, reason)
            self.model.stop_training = True

    def _quality(self, epoch: int) -> None:
        """Every `metrics_every` epochs: run.quality_fn if one was set, else the dataset's shipped classifier
        (gan_core.training.metrics) when there is one. Records carry the real and noise references beside the scores."""
        run = self.run
        every = run.config.metrics_every
        if not every or epoch % every:
            return
        quality_fn = run.quality_fn
        if quality_fn is None:
            if not metrics.run_has_classifier(self.dataset):
                return
            quality_fn = metrics.quality_for_run
        scores = quality_fn(self, self.dataset)
        record = {"type": "quality", "epoch": epoch, "step": run.progress.step, **scores}
        self.pending.append(record)
        run.progress.record_quality(record)

    def _tensorboard(self, record: dict, grid_images: np.ndarray) -> None:
        with self.writer.as_default(step=record["epoch"]):
            for name in (*STEP_FIELDS, "images_per_sec", "diversity"):
                self.summary.scalar(f"epoch/{name}", record[name])
            grid = imaging.make_grid(imaging.to_uint8(grid_images), self.grid_columns)
            self.summary.image("fixed_latent_grid", grid[None], max_outputs=1)
        with self.writer.as_default():
            for step_record in self.epoch_records:
                for name in STEP_FIELDS:
                    self.summary.scalar(f"step/{name}", step_record[name], step=step_record["step"])
        self.writer.flush()

    # --- artefacts ------------------------------------------------------------------------

    def generate(self, latents, labels=None) -> np.ndarray:
        """Generator output in [-1, 1] as NumPy, inference mode."""
        return keras.ops.convert_to_numpy(self.gan.sample(latents, labels))

    def save_grid(self, epoch: int) -> np.ndarray:
        generated = self.generate(self.fixed_latents, self.fixed_labels)
        grid = imaging.make_grid(imaging.to_uint8(generated), self.grid_columns)
        imaging.save_png(grid, self.run.grid_path(epoch), scale=imaging.grid_scale(generated.shape[1]))
        self.run.progress.add_grid(epoch)
        if epoch == 0:
            self.start_samples = imaging.to_uint8(generated).astype(np.float32) / 127.5 - 1.0  # as the grid shows it
        return generated

    def like_start(self, generated: np.ndarray) -> float | None:
        """How much the grid's samples are still the pictures they started as (epoch 0's grid, read back from its
        PNG after a resume): the median over samples of the correlation of each with its start, 1 for the same
        picture (brighter or sharper, too), near 0 for another. None without a start grid. A transferred start only
        sharpened keeps about 0.8; digits drawn from the first blur fall under 0.1 within a few epochs
        (gan_core.training.diagnosis says when it stays high)."""
        if self.start_samples is None:
            path = self.run.grid_path(0)
            if not path.is_file():
                return None
            side, channels = generated.shape[1], generated.shape[-1]
            cells = imaging.read_grid(path, len(generated), side, channels, self.grid_columns)
            self.start_samples = cells.astype(np.float32) / 127.5 - 1.0
        now = (imaging.to_uint8(generated).astype(np.float32) / 127.5 - 1.0).reshape(len(generated), -1)  # as shown
        start = self.start_samples.reshape(len(generated), -1)
        now, start = now - now.mean(axis=1, keepdims=True), start - start.mean(axis=1, keepdims=True)
        spread = np.sqrt(np.sum(now**2, axis=1) * np.sum(start**2, axis=1))
        correlation = np.sum(now * start, axis=1) / np.maximum(spread, 1e-9)  # 0 for a flat sample
        return float(np.median(correlation))

    def export_generator(self) -> None:
        run = self.run
        dataset = self.dataset
        save_generator(
            self.gan.sampling_generator, run.folder.generator_path,
            card={
                "preset": run.config.preset, "dataset": run.config.dataset, "epochs": run.progress.epoch,
                "steps": run.progress.step, "latent_dim": run.config.latent_dim,
                "num_classes": dataset.num_classes if self.conditional else 0,
                "class_names": list(dataset.class_names) if self.conditional and dataset.class_names else [],
                "image_shape": list(dataset.shape), "training_seconds": round(run.clock.elapsed(), 1),
                "hardware": run.device, "command": run.command,
                "metrics": {k: v for k, v in (run.progress.epochs[-1] if run.progress.epochs else {}).items() if k != "type"},
                "quality": {k: v for k, v in (run.progress.quality[-1] if run.progress.quality else {}).items() if k != "type"},
                "config": run.config.to_dict(),
                "started_from": run.started_from,
            },
        )

    def flush(self) -> None:
        self.metrics_file.write(self.pending)
        self.pending = []

    def on_train_end(self, logs=None):
        self.run.clock.end_budget()
        self.flush()
        self.metrics_file.close()
        self.writer.close()


def batch_diversity(images: np.ndarray) -> float:
    """Mean per-pixel standard deviation across a batch: near 0 when every image is the same."""
    return float(np.mean(np.std(np.asarray(images, np.float32), axis=0)))
