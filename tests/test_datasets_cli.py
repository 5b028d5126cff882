"""Dataset loading from the offline copies, the CLI end to end, and the diagnosis rules."""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from gan_core import GanError, Message
from gan_core.data import datasets
from gan_core.training.config import recipe
from gan_core.training.diagnosis import diagnose

ROOT = Path(__file__).resolve().parents[1]
BIRDS = datasets.data_dir() / "birds"


def test_builtin_datasets_load_from_the_data_dir():
    mnist = datasets.load_dataset("mnist")
    assert mnist.images.shape == (60000, 28, 28, 1) and mnist.images.dtype == np.uint8
    assert mnist.test_images.shape == (10000, 28, 28, 1)
    assert mnist.class_counts()["1"] == 6742  # the real MNIST count of ones
    fashion = datasets.load_dataset("fashion_mnist")
    assert set(fashion.class_counts().values()) == {6000}
    animals = datasets.load_dataset("cifar_animals")
    assert animals.shape == (32, 32, 3) and animals.class_names[1] == "cat"
    cats = datasets.load_dataset("cifar_animals:cat")
    assert len(cats.images) == 2700 and cats.labels is None
    with pytest.raises(GanError):
        datasets.load_dataset("cifar_animals:unicorn")


def test_missing_data_says_where_it_looked(tmp_path, monkeypatch):
    monkeypatch.setenv("GAN_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras_home"))
    monkeypatch.setenv("GAN_NO_DOWNLOAD", "1")
    datasets._load_mnist_like.cache_clear()
    try:
        with pytest.raises(GanError) as caught:
            datasets.load_dataset("mnist")
        text = caught.value.text("en")
        assert str(tmp_path / "keras" / "mnist.npz") in text and "GAN_DATA_DIR" in text
    finally:
        datasets._load_mnist_like.cache_clear()


def test_data_dir_env_points_the_loader_elsewhere(tmp_path, monkeypatch):
    (tmp_path / "keras").mkdir()
    real = datasets.data_dir() / "keras" / "mnist.npz"
    (tmp_path / "keras" / "mnist.npz").symlink_to(real)
    monkeypatch.setenv("GAN_DATA_DIR", str(tmp_path))
    assert datasets.data_dir() == tmp_path
    datasets._load_mnist_like.cache_clear()
    try:
        assert datasets.load_dataset("mnist").images.shape[0] == 60000
    finally:
        datasets._load_mnist_like.cache_clear()


def test_photo_folder_loads_real_birds_cropped_and_resized(tmp_path):
    birds = datasets.load_dataset(str(BIRDS), image_size=32)
    assert birds.images.shape == (416, 32, 32, 3) and not birds.skipped and birds.labels is None
    # Sub-folders become classes.
    for species in ("American_Crow", "Bobolink"):
        (tmp_path / species).mkdir()
        for photo in sorted(BIRDS.glob(f"{species}_*.jpg"))[:3]:
            (tmp_path / species / photo.name).write_bytes(photo.read_bytes())
    (tmp_path / "Bobolink" / "notes.jpg").write_text("not a photo")
    classed = datasets.load_photo_folder(tmp_path, size=64)
    assert classed.images.shape == (6, 64, 64, 3)
    assert classed.class_names == ("American_Crow", "Bobolink") and sorted(classed.labels.tolist()) == [0, 0, 0, 1, 1, 1]
    assert classed.skipped == [("Bobolink/notes.jpg", "not_an_image")]


def test_saved_dataset_round_trips(tmp_path):
    birds = datasets.load_photo_folder(BIRDS, size=32)
    datasets.save_dataset(birds, tmp_path / "birds.npz")
    again = datasets.load_dataset(str(tmp_path / "birds.npz"))
    np.testing.assert_array_equal(again.images, birds.images)


def cli(*args, cwd):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TF_CPP_MIN_LOG_LEVEL": "3"}
    return subprocess.run([sys.executable, "-m", "gan_core", "--lang", "en", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300)


def cli_here(*args, cwd, monkeypatch, capsys) -> tuple[int, str, str]:
    """The CLI's own entry point (what `python -m gan_core` calls) in this process: exit code, stdout, stderr. Each
    interpreter of its own costs a TensorFlow import (gan_core imports it, about 6 CPU-seconds): `cli` runs the
    program itself once, for the first training, and the commands after it come through here."""
    from gan_core.__main__ import main

    monkeypatch.chdir(cwd)
    capsys.readouterr()
    code = main(["--lang", "en", *args])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.slow
def test_cli_train_resume_sample_gif(tmp_path, monkeypatch, capsys):
    code, listed, _ = cli_here("presets", cwd=tmp_path, monkeypatch=monkeypatch, capsys=capsys)
    assert code == 0 and "dcgan-tf" in listed and "rgb32" in listed
    trained = cli("train", "--preset", "fast", "--dataset", "mnist", "--epochs", "2", "--batch", "32",
                  "--max-images", "320", "--out", "runs/x", cwd=tmp_path)
    assert trained.returncode == 0, trained.stderr[-2000:]
    assert "finished: epoch 2/2, step 20" in trained.stdout
    card = json.loads((tmp_path / "runs/x/card.json").read_text())
    assert card["command"].startswith("python -m gan_core --lang en train --preset fast") and card["epochs"] == 2
    # The same program's resume and sample, through its entry point in this process: the run `python -m gan_core`
    # trained above goes on from its checkpoint (a second interpreter would only import TensorFlow once more).
    code, resumed, err = cli_here("resume", "runs/x", "--extra-epochs", "1", cwd=tmp_path, monkeypatch=monkeypatch,
                                  capsys=capsys)
    assert code == 0, err[-2000:]
    assert "epoch 3/3, step 30" in resumed
    code, sampled, err = cli_here("sample", "runs/x/generator.keras", "-n", "16", "--out", "grid.png", cwd=tmp_path,
                                  monkeypatch=monkeypatch, capsys=capsys)
    assert code == 0 and sampled.strip() == "grid.png", err[-2000:]
    assert Image.open(tmp_path / "grid.png").size == (2 * (4 * 30 + 2),) * 2
    code, shown, _ = cli_here("gif", "runs/x", cwd=tmp_path, monkeypatch=monkeypatch, capsys=capsys)
    assert code == 0 and shown.strip().endswith("progress.gif")
    with Image.open(tmp_path / "runs/x/progress.gif") as animation:
        assert animation.n_frames == 4  # before training and after each of 3 epochs


def test_cli_refuses_bad_input_in_the_users_language(tmp_path, monkeypatch, capsys):
    code, _, err = cli_here("train", "--preset", "fast", "--batch", "0", "--out", "runs/y", cwd=tmp_path,
                            monkeypatch=monkeypatch, capsys=capsys)
    assert code == 2 and "batch_size must be between" in err
    assert not (tmp_path / "runs").exists()


def steps_of(g, d, acc_real, acc_fake):
    return {"g_loss": list(g), "d_loss": list(d), "d_acc_real": list(acc_real), "d_acc_fake": list(acc_fake)}


def test_diagnosis_names_a_discriminator_that_wins_early():
    n = 100
    steps = steps_of(np.linspace(1, 6, n), np.full(n, 0.05), np.full(n, 0.99), np.full(n, 0.99))
    keys = [m.key for m in diagnose(steps, [])]
    assert keys[0] == "diag.d_wins"
    assert "99%" in diagnose(steps, [])[0].text("es")


def test_diagnosis_names_mode_collapse_and_healthy_runs():
    rng = np.random.default_rng(0)
    n = 100
    healthy = steps_of(0.9 + 0.05 * rng.standard_normal(n), 1.2 + 0.05 * rng.standard_normal(n),
                       np.full(n, 0.7), np.full(n, 0.65))
    assert [m.key for m in diagnose(healthy, [{"diversity": 0.9}] * 3)] == ["diag.healthy"]
    collapsing = [{"diversity": 0.8}, {"diversity": 0.5}, {"diversity": 0.1}]
    assert "diag.mode_collapse" in [m.key for m in diagnose(healthy, collapsing)]
    early_grey = [{"diversity": 0.05}]  # the first epoch's uniform grey is not a collapse
    assert "diag.mode_collapse" not in [m.key for m in diagnose(healthy, early_grey)]
    assert [m.key for m in diagnose(steps_of([1.0] * 5, [1.0] * 5, [0.5] * 5, [0.5] * 5), [])] == ["diag.too_early"]
    swinging = steps_of(np.tile([0.1, 3.0], n // 2), np.full(n, 1.0), np.full(n, 0.7), np.full(n, 0.7))
    assert "diag.oscillation_beta1" in [m.key for m in diagnose(swinging, [])]  # TrainConfig's Adam: beta1 0.9


def test_diagnosis_advice_follows_the_recipe_and_the_loss_in_use():
    """#26 item 2: «beta1 = 0.5» only for a recipe whose Adam keeps a higher one; no oscillation finding from the
    swings of a loss that is D's raw score (hinge, WGAN-GP: it crosses 0 by design); D winning is not answered with
    the hinge loss it already uses; and samples still the pictures they started as are named as such, not «G is
    very good»."""
    n = 300
    swinging = steps_of(np.tile([0.1, 3.0], n // 2), np.full(n, 1.0), np.full(n, 0.7), np.full(n, 0.7))
    keys = {name: [m.key for m in diagnose(swinging, [], recipe(name).to_dict())]
            for name in ("dcgan-tf", "fast", "fast-rgb")}
    assert keys == {"dcgan-tf": ["diag.oscillation_beta1"], "fast": ["diag.oscillation"], "fast-rgb": ["diag.healthy"]}
    assert "beta1" not in diagnose(swinging, [], recipe("fast").to_dict())[0].text("es")

    winning = steps_of(np.linspace(1, 6, n), np.full(n, 0.05), np.full(n, 0.99), np.full(n, 0.99))
    hinge = diagnose(winning, [], recipe("fast-rgb").to_dict())[0]
    assert hinge.key == "diag.d_wins_margin" and "hinge" not in hinge.text("es")

    even = steps_of(np.full(n, 0.5) + 0.01 * np.sin(np.arange(n)), np.full(n, 2.0), np.full(n, 0.55), np.full(n, 0.45))
    moving = [{"epoch": e, "diversity": 1.0, "like_start": 0.9 - 0.3 * e} for e in (1, 2, 3)]
    still = [{"epoch": e, "diversity": 1.0, "like_start": 0.85} for e in (1, 2, 3)]
    recipe_of = recipe("fast-rgb").to_dict()
    assert [m.key for m in diagnose(even, moving, recipe_of)] == ["diag.g_wins"]
    stuck = diagnose(even, still, recipe_of)
    assert [m.key for m in stuck] == ["diag.not_moving"] and "85%" in stuck[0].text("es")
    assert [m.key for m in diagnose(even, still[:2], recipe_of)] == ["diag.g_wins"]  # two epochs: too soon to say
    # D calls nearly everything real (the bundled birds' last epoch: 99.75% of the real, 0.125% of the fakes)
    says_real = steps_of(np.full(n, 0.5) + 0.01 * np.sin(np.arange(n)), np.full(n, 2.0), np.full(n, 0.998),
                         np.full(n, 0.001))
    (finding,) = diagnose(says_real, moving, recipe_of)
    assert finding.key == "diag.d_says_real" and "muy bueno" not in finding.text("es")


def test_messages_render_in_both_languages():
    message = Message("error.out_of_range", field="epochs", value=0, low=1, high=10)
    assert message.text("es") == "epochs debe estar entre 1 y 10 (recibido: 0)."
    assert message.text("en") == "epochs must be between 1 and 10 (got: 0)."
    assert Message.from_dict(message.to_dict()).text("en") == message.text("en")


def test_one_function_turns_choices_into_a_config_for_the_form_the_cli_and_links():
    """from_choices is the one way: the CLI's options, the form's values and an exercise link's values, named alike,
    give the same validated TrainConfig; None keeps the recipe's value; a bad or unknown choice is a GanError."""
    from gan_core.__main__ import build_parser, choices_from_args
    from gan_core.training.config import from_choices, recipe

    args = build_parser().parse_args(["train", "--preset", "fast", "--out", "x", "--epochs", "3", "--lr", "1e-3",
                                      "--d-lr", "5e-4", "--optimizer", "sgd", "--no-diff-augment", "--init-from", "auto"])
    from_cli = from_choices("fast", choices_from_args(args))
    form_values = {"epochs": 3.0, "g_name": "sgd", "d_name": "sgd", "g_lr": 1e-3, "d_lr": 5e-4, "diff_augment": "off",
                   "init_from": "auto", "seed": None}
    from_form = from_choices("fast", form_values)
    assert from_cli == from_form
    assert from_form.epochs == 3 and isinstance(from_form.epochs, int)
    assert (from_form.generator_optimizer.name, from_form.generator_optimizer.learning_rate) == ("sgd", 1e-3)
    assert from_form.discriminator_optimizer.learning_rate == 5e-4
    assert from_form.diff_augment is False and from_form.init_from is None
    fast = recipe("fast")
    assert from_form.seed == fast.seed and from_form.generator_optimizer.beta2 == fast.generator_optimizer.beta2
    assert from_choices("fast", {"init_from": "", "freeze_d": 2}).freeze_d == 0  # from scratch nothing is frozen
    with pytest.raises(GanError) as unknown:
        from_choices("fast", {"learning_rate": 1e-3})
    assert "learning_rate" in unknown.value.text("en")
    with pytest.raises(GanError) as bad:
        from_choices("fast", {"g_lr": -1.0})
    assert bad.value.text("es") == "generator.learning_rate debe estar entre 1e-05 y 0.1 (recibido: -1.0)."
