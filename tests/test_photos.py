"""Photos (issue 13): the colour recipe, transfer learning from the bundled animals, the time budget, and the
memorisation check, on the real birds folder and CIFAR animals."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from gan_core import PRESETS, GanError, Run, RunState
from gan_core.data.datasets import load_dataset
from gan_core.explore.memorisation import nearest_training_images
from gan_core.training import transfer
from gan_core.training.config import recipe
from gan_core.training.pretrained import pretrained_dir
from gan_core.training.trainer import build_gan

BIRDS = Path(__file__).resolve().parents[2] / "shared" / "datasets" / "birds"
BASE = "pretrained/cifar-animals"


def finished(directory, config, scheduler, timeout=300):
    run = Run.create(directory, config)
    run.start(scheduler)
    assert run.wait(timeout), "training did not end in time"
    snap = run.snapshot()
    assert snap.state == RunState.FINISHED, (snap.message, snap.traceback)
    return run


def test_fast_rgb_generator_upsamples_instead_of_transposed_convolutions():
    # no stride-2 transposed convolution (their uneven overlaps print checkerboards); every D layer normalised
    for shape in ((32, 32, 3), (64, 64, 3)):
        generator = PRESETS["fast-rgb"].build_generator(shape, 128)
        kinds = [type(layer).__name__ for layer in generator.layers]
        assert "Conv2DTranspose" not in kinds and kinds.count("UpSampling2D") == {32: 3, 64: 4}[shape[0]]
        assert generator.output_shape[1:] == shape
        discriminator = PRESETS["fast-rgb"].build_discriminator(shape)
        weighted = [layer for layer in discriminator.layers if layer.weights]
        assert weighted and all(type(layer).__name__ == "SpectralNormalization" for layer in weighted)
    fast_rgb = recipe("fast-rgb")
    assert (fast_rgb.loss, fast_rgb.ema_decay, fast_rgb.diff_augment) == ("hinge", 0.999, None)


@pytest.mark.slow
def test_a_photo_folder_run_starts_from_the_bundled_animals_and_trains(tmp_path, scheduler):
    """--init-from auto on a folder: the bundled animals' G and D, folded to the class the birds look like."""
    config = recipe("fast-rgb", dataset=str(BIRDS), epochs=1, steps_per_epoch=3, batch_size=32,
                                        max_images=128)
    run = finished(tmp_path / "run", config, scheduler)
    assert run.config.init_from == BASE and run.config.diff_augment is True  # both decided for a small folder
    card = json.loads((run.directory / "card.json").read_text())
    started = card["started_from"]
    assert started["from"] == BASE and started["source_preset"] == "fast-rgb-cgan"
    assert started["class"] == "bird" and started["class_rule"] == "nearest"
    assert started["variables_copied"] > 40
    assert all(math.isfinite(v) for v in run.snapshot().steps["g_loss"])
    assert (run.directory / transfer.NETWORKS_FILE).is_file()  # it can seed another run in turn
    # The built-in datasets start from scratch unless asked.
    scratch = recipe("fast-rgb-cgan", dataset="cifar_animals", epochs=1)
    assert transfer.resolve(scratch.init_from, "fast-rgb-cgan", load_dataset("cifar_animals"), 128, builtin=True) == ""


def test_a_conditional_source_folded_to_one_class_draws_what_it_drew_for_that_class():
    """The unconditional copy of the conditional animals, folded to "bird", gives the very images the conditional
    generator gives when asked for birds (inference mode): the fold loses nothing."""
    folder = pretrained_dir() / "cifar-animals"
    card = transfer.source_card(folder)
    source_config = recipe(card["preset"], **{k: v for k, v in card["config"].items() if k != "preset"})
    conditional = build_gan(source_config, (32, 32, 3), card["num_classes"])
    with np.load(folder / transfer.NETWORKS_FILE) as data:
        for variable in conditional.generator.weights:
            variable.assign(data[f"generator/{variable.path}"])
    target = build_gan(recipe("fast-rgb"), (32, 32, 3), 0)
    birds = load_dataset(str(BIRDS)).images[:200]
    info = transfer.initialise(target, BASE, birds)
    bird = card["class_names"].index("bird")
    assert info["class"] == "bird"
    z = np.random.default_rng(0).standard_normal((16, 128)).astype(np.float32)
    want = np.asarray(conditional.generator([z, np.full((16, 1), bird, np.int32)], training=False))
    got = np.asarray(target.generator(z, training=False))
    assert np.abs(want - got).max() < 1e-4
    other = np.asarray(conditional.generator([z, np.full((16, 1), (bird + 1) % 6, np.int32)], training=False))
    assert np.abs(other - got).max() > 0.05  # and the class mattered: the test can fail


@pytest.mark.slow
def test_freeze_d_keeps_the_first_layers_and_bad_sources_are_refused(tmp_path, scheduler):
    config = recipe("fast-rgb", dataset=str(BIRDS), epochs=1, steps_per_epoch=3, batch_size=32,
                                        max_images=96, init_from=BASE, freeze_d=2)
    run = finished(tmp_path / "run", config, scheduler)
    with np.load(pretrained_dir() / "cifar-animals" / transfer.NETWORKS_FILE) as source, \
            np.load(run.directory / transfer.NETWORKS_FILE) as trained:
        first = "discriminator/sn_d_conv_in/d_conv_in/kernel"
        third = "discriminator/sn_d_conv1/d_conv1/kernel"
        # frozen: the optimizer leaves it (spectral normalisation only rescales it by a power iteration's change)
        assert np.allclose(source[first], trained[first], rtol=1e-4, atol=1e-6)
        assert np.abs(source[third] - trained[third]).max() > 1e-3  # trained
    for overrides, key in (({"init_from": "pretrained/nope"}, "error.init_from_missing"),
                           ({"init_from": BASE, "image_size": 64}, "error.init_from_incompatible"),
                           ({"init_from": "", "freeze_d": 1}, "error.freeze_without_init")):
        bad = recipe("fast-rgb", dataset=str(BIRDS), **overrides)
        with pytest.raises(GanError) as caught:
            Run.create(tmp_path / key, bad)
        assert caught.value.message.key == key
        assert caught.value.message.text("es") != caught.value.message.text("en")
        assert not (tmp_path / key).exists()


@pytest.mark.slow
def test_a_time_budget_ends_the_run_finished_after_its_epoch(tmp_path, scheduler):
    config = recipe("fast-rgb", dataset=str(BIRDS), epochs=50, steps_per_epoch=2, batch_size=32,
                                        max_images=64, init_from="", max_minutes=0.001)
    run = finished(tmp_path / "run", config, scheduler)
    snap = run.snapshot()
    assert snap.epoch == 1 and run.config.epochs == 1
    assert snap.message.key == "run.time_budget_reached"
    assert json.loads((run.directory / "config.json").read_text())["epochs"] == 1
    assert (run.directory / "generator.keras").is_file()


def test_the_memorisation_check_tells_copies_from_new_images():
    photos = load_dataset(str(BIRDS)).images[:200]
    copies = nearest_training_images(photos[:32], photos)
    assert copies.verdict == "copying" and copies.copy_share == 1.0
    assert np.array_equal(copies.index, np.arange(32))
    # Photos the check has not seen are as far from the rest as photos usually are: not copies.
    fresh = nearest_training_images(photos[150:182], photos[:150])
    assert fresh.verdict in ("new", "some_copies") and fresh.copy_share < 0.25
    noise = np.random.default_rng(0).integers(0, 256, (32, 32, 32, 3), dtype=np.uint8)
    assert nearest_training_images(noise, photos).verdict == "new"


@pytest.mark.slow
def test_pretrained_export_of_a_kept_epoch_writes_a_transfer_source(tmp_path, scheduler):
    """`pretrained-export RUN TARGET --epoch N`: the generator, G and D by name, and a card, from a kept epoch."""
    from gan_core.__main__ import main

    config = recipe("fast-rgb", dataset=str(BIRDS), epochs=2, steps_per_epoch=2, batch_size=32,
                                        max_images=64, init_from="")
    run = finished(tmp_path / "run", config, scheduler)
    assert main(["pretrained-export", str(run.directory), str(tmp_path / "bundle"), "--epoch", "1"]) == 0
    card = json.loads((tmp_path / "bundle" / "card.json").read_text())
    assert card["epochs"] == 1 and card["steps"] == 2
    with np.load(tmp_path / "bundle" / transfer.NETWORKS_FILE) as one, \
            np.load(run.directory / transfer.NETWORKS_FILE) as two:
        key = "generator/g_out/kernel"
        assert key in one.files and not np.array_equal(one[key], two[key])  # epoch 1, not the last
    assert (tmp_path / "bundle" / "generator.keras").is_file() and (tmp_path / "bundle" / "sample.png").is_file()
