"""Quality metrics on real data: the shipped classifiers, their references, and the engine's quality records."""

import json

import numpy as np
import pytest

from gan_core import Run, load_dataset
from gan_core.training import metrics
from gan_core.training.config import recipe
from gan_core.training.generator_file import check_keras_archive

SAMPLES = metrics.DEFAULT_SAMPLES


@pytest.fixture(scope="module")
def mnist():
    return load_dataset("mnist")


@pytest.fixture(scope="module")
def mnist_references():
    return metrics.references("mnist")


@pytest.mark.parametrize("name", metrics.CLASSIFIER_DATASETS)
def test_shipped_classifier_is_small_safe_and_matches_its_references(name):
    path = metrics.classifier_path(name)
    assert path.stat().st_size < 1_500_000
    check_keras_archive(path)  # only allow-listed layer classes: nothing that can carry code
    classifier = metrics.load_classifier(name)
    dataset = load_dataset(name)
    assert classifier.image_shape == dataset.shape
    assert classifier.num_classes == dataset.num_classes
    stored = json.loads(metrics.reference_path(name).read_text())
    assert stored["classifier_sha256"] == classifier.sha256, "retrained without `--references-only`?"
    assert stored["samples"] == SAMPLES
    real, noise = stored["real"], stored["noise"]
    assert real["fd"] * 10 < noise["fd"]
    assert real["recognised"] > noise["recognised"] + 0.2  # CIFAR animals: few real photos reach 0.9 either
    assert real["class_accuracy"] > 0.7 and real["coverage"] > 0.95


def test_frechet_distance_of_known_gaussians():
    rng = np.random.default_rng(0)
    a = rng.standard_normal((500, 6))
    cov = np.cov(a, rowvar=False)
    mean = a.mean(0)
    assert metrics.frechet_distance(mean, cov, mean, cov) == pytest.approx(0.0, abs=1e-6)
    shift = np.arange(6.0)
    assert metrics.frechet_distance(mean, cov, mean + shift, cov) == pytest.approx(float(shift @ shift), rel=1e-6)
    # diagonal covariances: the trace term is sum((sqrt(a) - sqrt(b))^2)
    var_a, var_b = np.array([1.0, 4.0, 9.0]), np.array([4.0, 1.0, 9.0])
    assert metrics.frechet_distance(np.zeros(3), np.diag(var_a), np.zeros(3), np.diag(var_b)) == pytest.approx(2.0)


def test_coverage_is_normalised_entropy():
    assert metrics.coverage(np.arange(1000) % 10, 10) == pytest.approx(1.0)
    assert metrics.coverage(np.full(1000, 3), 10) == pytest.approx(0.0)
    assert metrics.coverage(np.arange(1000) % 5, 10) == pytest.approx(np.log(5) / np.log(10))


def test_real_test_images_score_near_the_real_reference(mnist, mnist_references):
    scores = metrics.score_images(mnist.test_images[:SAMPLES], "mnist")
    real, noise = mnist_references["real"], mnist_references["noise"]
    assert scores["fd"] < 3 * real["fd"] + 1.0
    assert scores["fd"] < 0.02 * noise["fd"]
    assert abs(scores["recognised"] - real["recognised"]) < 0.03
    assert scores["recognised"] >= metrics.BAR["recognised"]
    assert scores["coverage"] >= metrics.BAR["coverage"]
    assert metrics.meets_bar(scores)


def test_noise_scores_far_from_real(mnist_references):
    rng = np.random.default_rng(7)
    real = mnist_references["real"]
    for noise in (rng.integers(0, 256, (SAMPLES, 28, 28, 1), dtype=np.uint8),
                  rng.uniform(-1, 1, (SAMPLES, 28, 28, 1)).astype(np.float32),  # a generator's range
                  np.clip(rng.normal(-1, 0.5, (SAMPLES, 28, 28, 1)), -1, 1).astype(np.float32)):  # dark speckle
        scores = metrics.score_images(noise, "mnist")
        assert scores["fd"] > 20 * real["fd"]
        assert scores["recognised"] < 0.1
        assert not metrics.meets_bar(scores)


def test_collapsed_generator_scores_low_coverage(mnist):
    one_digit = mnist.test_images[0].astype(np.float32) / 127.5 - 1.0

    def collapsed(latents, labels):  # always the same (real, well-drawn) image
        return np.repeat(one_digit[None], len(latents), axis=0)

    scores = metrics.evaluate_generator(collapsed, "mnist", latent_dim=8)
    assert scores["recognised"] > 0.9  # each image on its own is fine...
    assert scores["coverage"] < 0.05  # ...but they are all one class
    assert not metrics.meets_bar(scores)
    assert scores["fd"] > 10 * scores["reference"]["real"]["fd"]


def test_class_accuracy_of_real_labelled_images(mnist):
    by_class = [mnist.test_images[mnist.test_labels == k] for k in range(10)]

    def lookup(latents, labels):  # a "conditional generator" that returns real test images of the asked class
        index = np.abs(latents[:, 0] * 1000).astype(int)
        return np.stack([by_class[k][i % len(by_class[k])] for k, i in zip(labels.ravel(), index)]) / 127.5 - 1.0

    scores = metrics.evaluate_generator(lookup, "mnist", latent_dim=4, num_classes=10)
    assert scores["class_accuracy"] > 0.97
    assert scores["coverage"] > 0.99
    wrong = metrics.score_images(mnist.test_images[:SAMPLES], "mnist", (mnist.test_labels[:SAMPLES] + 1) % 10)
    assert wrong["class_accuracy"] < 0.05


@pytest.mark.parametrize("name", ["fashion_mnist", "cifar_animals"])
def test_other_datasets_real_test_images_near_reference(name):
    dataset = load_dataset(name)
    count = min(SAMPLES, len(dataset.test_images))
    scores = metrics.score_images(dataset.test_images[:count], name, dataset.test_labels[:count])
    references = metrics.references(name)
    assert scores["fd"] < 0.1 * references["noise"]["fd"]
    assert abs(scores["recognised"] - references["real"]["recognised"]) < 0.1
    assert scores["class_accuracy"] > 0.6


def test_describe_puts_references_beside_every_number(mnist):
    record = metrics.evaluate_generator(lambda z, y: mnist.test_images[:len(z)] / 127.5 - 1.0, "mnist", 4)
    for lang in ("es", "en"):
        lines = metrics.describe(record, lang)
        assert len(lines) == 4  # fd, recognised, coverage, verdict
        assert all("{" not in line for line in lines)
    assert "ruido" in metrics.describe(record, "es")[0] and "noise" in metrics.describe(record, "en")[0]
    # the bar is about recognisable digits: other datasets get their numbers and references, no verdict
    assert len(metrics.describe(dict(record, classifier="fashion_mnist"), "en")) == 3


@pytest.mark.slow
def test_a_run_records_quality_every_epoch(tmp_path, scheduler, mnist):
    config = recipe("fast", dataset="mnist", epochs=2, max_images=1024, metrics_every=1,
                                       keep_checkpoints=0)
    run = Run.create(tmp_path / "run", config, dataset=mnist)
    run.start(scheduler)
    assert run.wait(300)
    snapshot = run.snapshot()
    assert snapshot.state.value == "finished", snapshot.message
    assert [record["epoch"] for record in snapshot.quality] == [1, 2]
    record = snapshot.quality[-1]
    for name in ("fd", "recognised", "coverage", "samples", "reference", "eval_seconds"):
        assert name in record
    assert record["reference"]["real"]["recognised"] > 0.9
    lines = (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()
    written = [json.loads(line) for line in lines if json.loads(line)["type"] == "quality"]
    assert [r["epoch"] for r in written] == [1, 2]
    assert Run.open(tmp_path / "run").progress.quality[-1]["fd"] == pytest.approx(record["fd"])
