"""The training engine on real data: every preset trains, stop/resume, NaN, crashes, bad input, saved generators."""

import json
import math
import time

import numpy as np
import pytest
from app_support import wait_until
from PIL import Image

from gan_core import PRESETS, GanError, Run, RunState, TrainConfig
from gan_core.explore.generators import Generator
from gan_core.server.scheduler import Scheduler
from gan_core.training import trainer
from gan_core.training.config import recipe
from gan_core.training.gan import make_optimizer
from gan_core.training.run_folder import load_generator_weights
from gan_core.training.trainer import build_gan


def finished_run(directory, config, scheduler, timeout=300):
    run = Run.create(directory, config)
    run.start(scheduler)
    assert run.wait(timeout), "training did not end in time"
    return run


# Steps each preset trains: every step's losses finite and G visibly moved (the grid's mean change: 1.5 for the
# slowest learner, dcgan-tf at Adam 1e-4, after 20 steps; 2.8 or more for the others). Its own steps_per_epoch too:
# the photo recipes' epochs are 50 batches whatever the data.
PRESET_STEPS = 30
# The photo recipes' steps cost several times a digit recipe's, and their grids move far more: after 10 steps by
# 12.8-13.4 (fast-rgb, fast-rgb-cgan, rgb32; 12-07), thirteen times the threshold. 10 steps will do for them.
PHOTO_PRESET_STEPS = {"fast-rgb": 10, "fast-rgb-cgan": 10, "rgb32": 10}


@pytest.mark.parametrize("preset", list(PRESETS))
@pytest.mark.slow
def test_every_preset_trains_on_real_data(preset, tmp_path, scheduler):
    dataset = "cifar_animals" if preset == "rgb32" else "mnist"
    steps = PHOTO_PRESET_STEPS.get(preset, PRESET_STEPS)
    config = recipe(preset, dataset=dataset, epochs=1, batch_size=32, max_images=32 * steps, steps_per_epoch=steps)
    run = finished_run(tmp_path / "run", config, scheduler)
    snap = run.snapshot()
    assert snap.state == RunState.FINISHED, (snap.message, snap.traceback)
    assert snap.step == steps and len(snap.steps["g_loss"]) == steps
    for name in ("g_loss", "d_loss", "d_acc_real", "d_acc_fake"):
        assert all(math.isfinite(v) for v in snap.steps[name]), name
    # The generator changed: the grid after training differs from the one before.
    before = np.asarray(Image.open(run.grid_path(0)), dtype=np.int16)
    after = np.asarray(Image.open(run.grid_path(1)), dtype=np.int16)
    assert np.abs(before - after).mean() > 1.0
    for artefact in ("config.json", "status.json", "metrics.jsonl", "generator.keras", "card.json",
                     "checkpoints/last.npz", "checkpoints/epoch_001.npz", "grids/epoch_000.png", "grids/epoch_001.png"):
        assert (run.directory / artefact).exists(), artefact
    card = json.loads((run.directory / "card.json").read_text())
    assert card["preset"] == preset and card["epochs"] == 1 and card["dataset"] == dataset
    assert card["image_shape"] == ([32, 32, 3] if preset == "rgb32" else [28, 28, 1])
    assert card["hardware"]
    assert list((run.directory / "tb").glob("events.out.tfevents.*"))


@pytest.mark.parametrize("loss", ["log", "lsgan", "hinge", "wgan_gp"])
@pytest.mark.slow
def test_every_loss_trains_with_finite_values(loss, tmp_path, scheduler):
    config = recipe("fast", epochs=1, batch_size=32, max_images=32 * 12, loss=loss, d_steps=2,
                                    update="alternating")
    snap = finished_run(tmp_path / "run", config, scheduler).snapshot()
    assert snap.state == RunState.FINISHED, (snap.message, snap.traceback)
    assert snap.step == 12 and all(math.isfinite(v) for v in snap.steps["d_loss"])


@pytest.mark.slow
def test_conditional_run_draws_one_column_per_class(tmp_path, scheduler):
    config = recipe("cgan", epochs=1, batch_size=32, max_images=32 * 10, grid_size=3)
    run = finished_run(tmp_path / "run", config, scheduler)
    card = json.loads((run.directory / "card.json").read_text())
    assert card["num_classes"] == 10 and card["class_names"][3] == "3"
    handle = Generator.load(run.directory / "generator.keras")
    assert handle.conditional and handle.num_classes == 10
    latents = handle.sample_latents(4, seed=1)
    same = handle.generate(latents, [2, 2, 2, 2])
    other = handle.generate(latents, [7, 7, 7, 7])
    assert not np.allclose(same, other), "the label must change the image"


@pytest.mark.slow
def test_stop_mid_epoch_is_quick_and_resume_continues_metrics(tmp_path):
    scheduler = Scheduler(1)
    # The tutorial's DCGAN, 6 steps per epoch at a batch of 64 (its own 256 makes each step 4 times the work and
    # proves nothing more); stopped in the second (last) epoch, resumed to its end.
    config = recipe("dcgan-tf", epochs=2, batch_size=64, max_images=64 * 6)
    run = Run.create(tmp_path / "run", config)
    run.start(scheduler)
    deadline = time.time() + 240
    while run.snapshot().step < 8 and time.time() < deadline:  # into the second epoch
        time.sleep(0.05)
    assert run.snapshot().step >= 8
    asked = time.time()
    run.stop()
    assert run.wait(30)
    stop_seconds = time.time() - asked
    assert stop_seconds < 5.0, f"stop took {stop_seconds:.1f} s"
    snap = run.snapshot()
    assert snap.state == RunState.STOPPED and snap.epoch == 1 and 8 <= snap.step < 12
    stopped_at = snap.step
    assert not scheduler.jobs()["running"], "a stopped run frees its slot"

    reopened = Run.open(tmp_path / "run")  # as after a restart
    assert reopened.snapshot().step == stopped_at
    reopened.resume_training()
    reopened.start  # noqa: B018 - resume_training starts it
    assert reopened.wait(300)
    final = reopened.snapshot()
    assert final.state == RunState.FINISHED, (final.message, final.traceback)
    assert final.steps["step"] == list(range(1, final.step + 1)), "steps continue without gaps or repeats"
    assert final.step > stopped_at
    assert [e["epoch"] for e in final.epochs] == [1, 2]
    lines = [json.loads(line) for line in (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()]
    assert [r["step"] for r in lines if r["type"] == "step"] == final.steps["step"]
    assert final.grid_epochs == [0, 1, 2]
    # Files half-written when a server stopped (or being written as another registry opens the run) are no epochs.
    (tmp_path / "run" / "grids" / "epoch_003.tmp.png").write_bytes(b"")
    (tmp_path / "run" / "checkpoints" / "epoch_003.tmp.npz").write_bytes(b"")
    again = Run.open(tmp_path / "run")
    assert again.snapshot().grid_epochs == [0, 1, 2] and 3 not in again.kept_epochs()


@pytest.mark.slow
def test_resume_from_a_kept_epoch_drops_later_metrics(tmp_path, scheduler):
    config = recipe("fast", epochs=3, batch_size=32, max_images=32 * 5, keep_checkpoints=5)
    run = finished_run(tmp_path / "run", config, scheduler)
    assert run.kept_epochs() == [1, 2, 3]
    run.resume_training(from_epoch=1, scheduler=scheduler)
    assert run.wait(120)
    snap = run.snapshot()
    assert snap.state == RunState.FINISHED
    assert snap.steps["step"] == list(range(1, 16)) and [e["epoch"] for e in snap.epochs] == [1, 2, 3]
    # the resumed epochs still compare their samples with epoch 0's, read back from its grid
    assert all(-1.0 <= e["like_start"] <= 1.0 for e in snap.epochs), [e.get("like_start") for e in snap.epochs]
    # its progress GIF: one frame a grid, epoch 0's first, written into the run's folder
    gif = run.folder.write_progress_gif(run.progress.grid_epochs, run.shown_name)
    with Image.open(gif) as animation:
        assert gif == run.folder.progress_gif_path and animation.n_frames == len(snap.grid_epochs) == 4


def test_a_progress_gif_needs_a_grid_and_names_the_run(tmp_path):
    run = Run.create(tmp_path / "run", recipe("fast", epochs=1, max_images=64))
    with pytest.raises(GanError) as refused:
        run.folder.write_progress_gif(run.progress.grid_epochs, run.shown_name)
    assert refused.value.message.key == "error.no_checkpoint" and not run.folder.progress_gif_path.exists()


@pytest.mark.parametrize("shape, count, columns", [((28, 28, 1), 64, 8), ((64, 64, 3), 12, 6), ((32, 32, 3), 30, 6)])
def test_a_saved_grid_reads_back_as_the_images_it_was_made_from(shape, count, columns, tmp_path):
    """The trainer compares each epoch's samples with epoch 0's; after a resume those come from epoch 0's PNG."""
    from gan_core.data import images as imaging

    pictures = np.random.default_rng(0).integers(0, 256, (count, *shape), dtype=np.uint8)
    grid = imaging.make_grid(pictures, columns)
    imaging.save_png(grid, tmp_path / "grid.png", scale=imaging.grid_scale(shape[0]))
    again = imaging.read_grid(tmp_path / "grid.png", count, shape[0], shape[-1], columns)
    assert again.shape == pictures.shape and np.array_equal(again, pictures)


@pytest.mark.slow
def test_pause_holds_training_and_resume_continues(tmp_path, scheduler):
    config = recipe("fast", epochs=2, batch_size=32, max_images=32 * 40)
    run = Run.create(tmp_path / "run", config)
    run.start(scheduler)
    wait_until(lambda: run.snapshot().step >= 3, 120, "three steps", interval=0.05)
    run.pause()
    wait_until(lambda: run.parked, 120, "the trainer parked", interval=0.05)  # the batch in flight has ended
    held = run.snapshot().step
    assert run.snapshot().state == RunState.PAUSED and 3 <= held < 80
    assert run.parked and run.snapshot().step == held, "no step while paused"
    run.resume()
    assert run.wait(120)
    snap = run.snapshot()
    assert snap.state == RunState.FINISHED and snap.steps["step"] == list(range(1, 81))


@pytest.mark.parametrize("preset, loss", [("dcgan-tf", "bce_logits"), ("mlp", "bce_logits")])
def test_absurd_learning_rate_fails_with_a_nan_message(preset, loss, tmp_path, scheduler, monkeypatch):
    # A learning rate of 1000 diverges within a few steps. The settings' table refuses it before a run exists
    # (tests/test_settings.py), so the optimizers get it here, past the check, as a broken recipe would.
    def absurd_optimizer(config):
        optimizer = make_optimizer(config)
        optimizer.learning_rate = 1e3
        return optimizer

    monkeypatch.setattr(trainer, "make_optimizer", absurd_optimizer)
    config = recipe(preset, epochs=1, batch_size=32, max_images=32 * 100, loss=loss)
    run = finished_run(tmp_path / "run", config, scheduler, timeout=120)
    snap = run.snapshot()
    assert snap.state == RunState.FAILED
    assert snap.message.key == "error.nan_loss"
    assert "divergió" in snap.message.text("es") and "diverged" in snap.message.text("en")
    assert snap.step < 100, "the run ends at the first non-finite or exploding loss"
    assert all(math.isfinite(v) and abs(v) <= 1e6 for v in snap.steps["g_loss"]), "bad values are not recorded"
    assert not scheduler.jobs()["running"]
    assert json.loads((run.directory / "status.json").read_text())["state"] == "failed"


@pytest.mark.slow
def test_a_crash_in_the_thread_fails_the_run_keeps_the_traceback_and_frees_the_slot(tmp_path):
    scheduler = Scheduler(1)
    config = recipe("fast", epochs=2, batch_size=32, max_images=32 * 4, metrics_every=1)
    run = Run.create(tmp_path / "run", config)

    def broken_quality(*_):
        raise ZeroDivisionError("boom in a metric")

    run.quality_fn = broken_quality
    run.start(scheduler)
    assert run.wait(120)
    snap = run.snapshot()
    assert snap.state == RunState.FAILED
    assert "ZeroDivisionError" in snap.traceback and "boom in a metric" in snap.message.text("en")
    assert not scheduler.jobs()["running"]
    # The slot is free: the next run trains.
    other = finished_run(tmp_path / "next", recipe("fast", epochs=1, batch_size=32, max_images=64), scheduler)
    assert other.snapshot().state == RunState.FINISHED


@pytest.mark.parametrize("overrides, key", [
    ({"preset": "stylegan9"}, "error.unknown_preset"),
    ({"dataset": "imagenet"}, "error.unknown_dataset"),
    ({"epochs": 0}, "error.out_of_range"),
    ({"batch_size": -4}, "error.out_of_range"),
    ({"latent_dim": "big"}, "error.not_integer"),
    ({"loss": "magic"}, "error.unknown_choice"),
    ({"update": "sideways"}, "error.unknown_choice"),
    ({"update": "simultaneous", "d_steps": 2}, "error.simultaneous_d_steps"),
    ({"label_smoothing": float("nan")}, "error.not_number"),
    ({"batch_size": 4096, "max_images": 100}, "error.batch_larger_than_data"),
    ({"clusters": 1}, "error.out_of_range"),
    ({"clusters": 40, "preset": "cgan"}, "error.clusters_preset"),  # a conditional preset has real labels
    ({"clusters": 40, "preset": "dcgan-tf"}, "error.clusters_preset"),
])
def test_bad_input_is_refused_clearly_and_leaves_nothing_behind(overrides, key, tmp_path):
    config = TrainConfig.from_dict({**recipe("fast").to_dict(), **overrides})
    target = tmp_path / "run"
    with pytest.raises(GanError) as caught:
        Run.create(target, config)
    assert caught.value.message.key == key
    assert caught.value.text("es") != caught.value.text("en")
    assert not target.exists()
    assert list(tmp_path.iterdir()) == []


def test_bad_optimizer_values_are_refused(tmp_path):
    config = recipe("fast")
    config.discriminator_optimizer.beta1 = 1.5
    with pytest.raises(GanError) as caught:
        Run.create(tmp_path / "run", config)
    assert "discriminator.beta1" in caught.value.text("en")
    config = recipe("fast")
    config.generator_optimizer.beta2 = 0.1
    with pytest.raises(GanError) as caught:
        Run.create(tmp_path / "run", config)
    assert "generator.beta2" in caught.value.text("en")
    config = recipe("fast")
    config.generator_optimizer.name = "adamw2"
    with pytest.raises(GanError):
        Run.create(tmp_path / "run2", config)
    assert not any(tmp_path.iterdir())


def test_conditional_preset_needs_labels(tmp_path):
    with pytest.raises(GanError) as caught:
        Run.create(tmp_path / "run", recipe("cgan", dataset="cifar_animals:cat"))
    assert caught.value.message.key == "error.needs_labels"


@pytest.mark.slow
def test_saved_generator_loads_safely_and_matches_the_checkpoint(tmp_path, scheduler):
    config = recipe("dcgan-bn", epochs=1, batch_size=32, max_images=32 * 10)
    run = finished_run(tmp_path / "run", config, scheduler)
    handle = Generator.load(run.directory / "generator.keras")  # safe_mode=True inside
    latents = handle.sample_latents(16, seed=3)
    from_file = handle.generate(latents)
    gan = build_gan(config, (28, 28, 1), 10)
    load_generator_weights(gan.generator, run.directory / "checkpoints" / "last.npz")
    from_checkpoint = gan.generator(latents, training=False).numpy()
    np.testing.assert_allclose(from_file, from_checkpoint, atol=1e-5)
    np.testing.assert_allclose(handle.generate(latents), from_file)  # same latents, same images
    assert from_file.shape == (16, 28, 28, 1) and from_file.min() >= -1 and from_file.max() <= 1


def test_diff_augment_is_on_by_default_only_for_small_data(tmp_path):
    small = Run.create(tmp_path / "small", recipe("fast", max_images=500))
    assert small.config.diff_augment is True
    assert json.loads((tmp_path / "small" / "config.json").read_text())["diff_augment"] is True
    full = Run.create(tmp_path / "full", recipe("fast"))
    assert full.config.diff_augment is False
    chosen = Run.create(tmp_path / "chosen", recipe("fast", max_images=500, diff_augment=False))
    assert chosen.config.diff_augment is False


def test_moving_average_generator_is_what_gets_shown_and_saved(tmp_path, scheduler):
    config = recipe("fast", epochs=1, batch_size=32, max_images=32 * 10, ema_decay=0.9)
    run = finished_run(tmp_path / "run", config, scheduler)
    handle = Generator.load(run.directory / "generator.keras")
    with np.load(run.directory / "checkpoints" / "last.npz") as data:
        averaged = [data[f"generator_ema/{i:04d}"] for i in range(len(handle.model.weights))]
        raw = [data[f"generator/{i:04d}"] for i in range(len(handle.model.weights))]
    saved = [w.numpy() for w in handle.model.weights]
    assert all(np.allclose(a, s) for a, s in zip(averaged, saved))
    assert not all(np.allclose(r, s) for r, s in zip(raw, saved)), "the average differs from the raw weights"


def test_short_epochs_cut_an_endless_stream_and_the_recipe_reaches_the_optimizers(tmp_path, scheduler):
    # 100 images make one batch of 64 per pass; epochs of 3 batches keep drawing from a reshuffled stream.
    config = recipe("fast", epochs=2, max_images=100, steps_per_epoch=3, keep_checkpoints=0)
    run = finished_run(tmp_path / "run", config, scheduler)
    snap = run.snapshot()
    assert snap.state == RunState.FINISHED, (snap.message, snap.traceback)
    assert snap.step == 6 and snap.steps_per_epoch == 3 and [e["epoch"] for e in snap.epochs] == [1, 2]
    assert run.grid_path(2).exists()
    gan = build_gan(config, (28, 28, 1), 0, cluster_bounds=[-0.5, 0.5])
    assert float(gan.g_optimizer.beta_2) == 0.99 and float(gan.g_optimizer.beta_1) == 0.0
    assert float(gan.g_optimizer.learning_rate) == pytest.approx(2e-3)
    assert float(gan.d_optimizer.learning_rate) == pytest.approx(1e-3)


@pytest.mark.slow
def test_finished_runs_leave_no_traced_step_behind(tmp_path, scheduler):
    """A class server trains run after run in one process, so each run must free its traced train step when it
    ends. Keras' optimizer used to sum the gradients over replicas through a tf.custom_gradient even with no
    distribution strategy; each trace registered a gradient function in TensorFlow's global registry that held the
    step's graph forever (about 20 MB a run; found by bench/load_test.py)."""
    import gc

    from tensorflow.python.framework import ops as tf_ops

    def leftovers():
        gc.collect()
        custom = sum(name.startswith("CustomGradient") for name in tf_ops._gradient_registry.list())
        return custom, sum(type(o).__name__ == "FuncGraph" for o in gc.get_objects())

    config = recipe("fast", epochs=1, batch_size=32, max_images=32 * 3, keep_checkpoints=0)
    finished_run(tmp_path / "first", config, scheduler)  # one-off traces outside any run happen here
    custom_before, graphs_before = leftovers()
    for index in range(2):
        snap = finished_run(tmp_path / f"run{index}", config, scheduler).snapshot()
        assert snap.state == RunState.FINISHED, (snap.message, snap.traceback)
    custom_after, graphs_after = leftovers()
    assert custom_after == custom_before, "a run left gradient functions in TensorFlow's registry"
    assert graphs_after <= graphs_before, "a run left its traced graph in memory"


@pytest.mark.parametrize("loss", ["bce_logits", "wgan_gp"])
@pytest.mark.slow
def test_simultaneous_update_does_one_generator_pass_and_trains(loss, tmp_path, scheduler):
    # tutorial 001's update: G and D from one pass; dcgan-tf uses it, other recipes can ask for it
    assert recipe("dcgan-tf").update == "simultaneous"
    assert recipe("fast").update == "simultaneous" and recipe("dcgan-bn").update == "alternating"
    config = recipe("fast", epochs=1, batch_size=32, max_images=32 * 12, loss=loss, update="simultaneous")
    run = finished_run(tmp_path / "run", config, scheduler)
    snap = run.snapshot()
    assert snap.state == RunState.FINISHED, (snap.message, snap.traceback)
    assert snap.step == 12 and all(math.isfinite(v) for v in snap.steps["g_loss"] + snap.steps["d_loss"])
    gan = build_gan(config, (28, 28, 1), 0, cluster_bounds=[0.0])  # fast is self-conditioned: 2 groups here
    calls = []
    original = gan.generator.call
    gan.generator.call = lambda *args, **kwargs: calls.append(1) or original(*args, **kwargs)
    gan.train_step((np.zeros((8, 28, 28, 1), np.uint8), np.zeros((8,), np.int32)))
    assert len(calls) == 1  # the alternating update calls G twice
    assert gan.d_optimizer.iterations.numpy() == 1 and gan.g_optimizer.iterations.numpy() == 1


# --- latent tools (gan_core.explore.latent) -------------------------------------------------------------------------

def test_interpolations_run_from_a_to_b_linearly_or_along_the_prior_shell():
    from gan_core.explore.latent import interpolate

    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((2, 64)).astype(np.float32)
    for method in ("lerp", "slerp"):
        path = interpolate(a, b, 9, method)
        assert path.shape == (9, 64) and path.dtype == np.float32
        np.testing.assert_allclose(path[0], a, atol=1e-5)
        np.testing.assert_allclose(path[-1], b, atol=1e-5)
    linear, spherical = interpolate(a, b, 9, "lerp"), interpolate(a, b, 9, "slerp")
    np.testing.assert_allclose(linear[4], (a + b) / 2, atol=1e-6)
    # Two random 64-d Gaussians are nearly orthogonal: the straight line's middle sinks to ~1/sqrt(2) of the
    # shell's radius, where the generator has hardly ever been; the great circle keeps the norm.
    norms = np.linalg.norm(spherical, axis=1)
    assert norms.min() > 0.9 * min(np.linalg.norm(a), np.linalg.norm(b))
    assert np.linalg.norm(linear[4]) < 0.8 * norms[4]
    kept = interpolate(a, b, 9, "slerp", keep_group=True)  # self-conditioned: z[0] picks the group
    assert np.all(kept[:, 0] == a[0]) and np.array_equal(kept[:, 1:], spherical[:, 1:])


# --- self-conditioning (gan_core.training.clusters) -----------------------------------------------------------------

def group_of_latents(latents, bounds) -> np.ndarray:
    """A NumPy reference for the generator's own cut (Discretization): the group each latent vector draws."""
    return np.searchsorted(np.asarray(bounds), np.asarray(latents)[:, 0], side="right").astype(np.int32)


def test_kmeans_groups_real_digits_and_the_latent_cut_draws_them_as_often_as_the_data():
    from gan_core import load_dataset
    from gan_core.training import clusters

    mnist = load_dataset("mnist")
    images, digits = mnist.images[:3000], mnist.labels[:3000]
    groups = clusters.kmeans(images, 20, seed=0)
    counts = np.bincount(groups)
    assert groups.shape == (3000,) and counts.min() > 0 and list(counts) == sorted(counts, reverse=True)
    # Groups without labels still mostly hold one digit each: far above the 11% a random split would give.
    purity = sum(np.bincount(digits[groups == g]).max() for g in range(len(counts))) / len(groups)
    assert purity > 0.6, purity
    bounds = clusters.latent_bounds(groups)
    assert len(bounds) == len(counts) - 1 and bounds == sorted(bounds)
    latents = np.random.default_rng(1).standard_normal((40_000, 8))
    drawn = np.bincount(group_of_latents(latents, bounds), minlength=len(counts)) / len(latents)
    np.testing.assert_allclose(drawn, counts / counts.sum(), atol=0.01)
    assert np.array_equal(clusters.kmeans(images, 20, seed=0), groups)  # same seed, same groups


def ink_moments(images: np.ndarray):
    """Per image: ink mass, centre (row, col) and slant (row-col covariance over row variance)."""
    ink = images[..., 0].astype(np.float64)
    rows, cols = np.mgrid[:ink.shape[1], :ink.shape[2]]
    mass = ink.sum(axis=(1, 2))
    centre_row = (rows * ink).sum(axis=(1, 2)) / mass
    centre_col = (cols * ink).sum(axis=(1, 2)) / mass
    off_row, off_col = rows - centre_row[:, None, None], cols - centre_col[:, None, None]
    slant = (off_row * off_col * ink).sum(axis=(1, 2)) / (off_row ** 2 * ink).sum(axis=(1, 2))
    return mass, centre_row, centre_col, slant


def test_deskewed_digits_stand_upright_and_group_more_purely_than_raw_pixels():
    from gan_core import load_dataset
    from gan_core.training import clusters

    mnist = load_dataset("mnist")
    assert mnist.strokes and not load_dataset("fashion_mnist").strokes  # Fashion groups better as it is
    images, digits = mnist.images[:3000], mnist.labels[:3000]
    mass, _, _, slant = ink_moments(images)
    upright = clusters.deskew(images)
    assert upright.shape == images.shape and upright.dtype == np.uint8
    new_mass, centre_row, centre_col, new_slant = ink_moments(upright)
    assert np.abs(slant).mean() > 0.2 and np.abs(new_slant).mean() < 0.01  # slanted digits, then upright ones
    np.testing.assert_allclose(new_mass, mass, rtol=0.03)  # the ink is moved, not lost
    assert np.abs(centre_row - 14).max() < 0.5 and np.abs(centre_col - 14).max() < 0.5

    def purity(groups):
        return sum(np.bincount(digits[groups == g]).max() for g in range(groups.max() + 1)) / len(groups)

    raw, deskewed = clusters.kmeans(images, 20, seed=0), clusters.kmeans(images, 20, seed=0, strokes=True)
    assert purity(deskewed) > purity(raw) + 0.05, (purity(deskewed), purity(raw))  # 0.81 vs 0.70


@pytest.mark.slow
def test_self_conditioned_run_trains_on_groups_and_saves_an_unconditional_generator(tmp_path, scheduler):
    import keras

    from gan_core.training import clusters

    config = recipe("fast", epochs=2, batch_size=32, max_images=32 * 20, clusters=8)
    run = finished_run(tmp_path / "run", config, scheduler)
    snap = run.snapshot()
    assert snap.state == RunState.FINISHED, (snap.message, snap.traceback)
    with np.load(run.directory / "clusters.npz") as saved:
        groups = saved["groups"]
    assert groups.shape == (640,) and groups.max() == 7
    handle = Generator.load(run.directory / "generator.keras")  # safe_mode=True, allow-listed layers
    assert not handle.conditional and len(handle.model.inputs) == 1
    assert json.loads((run.directory / "card.json").read_text())["config"]["clusters"] == 8
    # Latent dimension 0 picks the group, exactly where the trainer told D it would.
    bounds = clusters.latent_bounds(groups)
    latents = handle.sample_latents(400, seed=2)
    cut = keras.Model(handle.model.inputs[0], handle.model.get_layer("group").output)
    np.testing.assert_array_equal(np.asarray(cut(latents)).ravel(), group_of_latents(latents, bounds))
    gan = build_gan(config, (28, 28, 1), 0, cluster_bounds=bounds)
    np.testing.assert_array_equal(np.asarray(gan._fake_labels(latents, None)).ravel(),
                                  group_of_latents(latents, bounds))
    # Moving only dimension 0 across a bound changes the group, and the image with it.
    a, b = latents[:1].copy(), latents[:1].copy()
    a[0, 0], b[0, 0] = bounds[0] - 0.3, bounds[-1] + 0.3
    assert np.abs(handle.generate(a) - handle.generate(b)).mean() > 0.01
    # Resumed, the run trains on the very same groups (kept in its folder, not recomputed).
    stamp = (run.directory / "clusters.npz").stat().st_mtime_ns
    run.resume_training(extra_epochs=1)
    assert run.wait(300) and run.snapshot().state == RunState.FINISHED and run.snapshot().epoch == 3
    assert (run.directory / "clusters.npz").stat().st_mtime_ns == stamp
