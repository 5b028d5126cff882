"""Quality you can measure offline: a small shipped classifier per dataset scores generated images.

Four numbers, each printed beside two references that give it meaning (real train images vs the real test
set, and pixel noise):
- fd: Fréchet distance between the classifier's penultimate-layer features of the images and of the real
  test images (a classifier-based FID: lower is better; its scale is not Inception's).
- recognised: share of images the classifier puts in one class with probability >= 0.9.
- coverage: entropy of the predicted-class histogram divided by log(classes): 1 when every class is
  predicted equally often, 0 when all images fall in one class (mode collapse).
- class_accuracy (conditional models, and real labelled images): share of images predicted as the class
  that was asked for.
"""

from __future__ import annotations

import functools
import hashlib
import json
import math
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..data.datasets import load_dataset
from ..i18n import TEXTS, tr
from .generator_file import check_keras_archive

CLASSIFIER_DIR = Path(__file__).resolve().parent / "classifiers"
CLASSIFIER_DATASETS = ("mnist", "fashion_mnist", "cifar_animals")
FEATURE_LAYER = "features"
CONFIDENCE = 0.9  # a sample is "recognised" when its top class probability reaches this
DEFAULT_SAMPLES = 2000  # images per evaluation; the references use the same count (fd's bias depends on it)
BAR = {"recognised": 0.9, "coverage": 0.95}  # issue #5: "recognisable digits"
REFERENCE_SEED = 1234
_BATCH = 500


@dataclass
class Classifier:
    """A loaded classifier. `model` maps images in [-1, 1], (n, h, w, c) float32, to (features, probabilities)."""

    dataset: str
    model: object
    image_shape: tuple[int, int, int]
    num_classes: int
    sha256: str
    lock: threading.Lock

    def features_and_probabilities(self, images: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """images: (n, h, w, c) uint8, or float in [-1, 1]. Returns features (n, d) float64, probabilities (n, K)."""
        images = as_unit_range(images)
        features, probabilities = [], []
        with self.lock:  # one Keras predict function shared by every training thread
            for start in range(0, len(images), _BATCH):
                f, p = self.model.predict_on_batch(images[start:start + _BATCH])
                features.append(np.asarray(f, np.float64))
                probabilities.append(np.asarray(p, np.float64))
        return np.concatenate(features), np.concatenate(probabilities)


def as_unit_range(images: np.ndarray) -> np.ndarray:
    """uint8 [0, 255] or float [-1, 1] images as float32 in [-1, 1], quantised like real pixels are."""
    images = np.asarray(images)
    if images.dtype != np.uint8:
        images = np.clip((images.astype(np.float32) + 1.0) * 127.5, 0, 255).round().astype(np.uint8)
    return images.astype(np.float32) / 127.5 - 1.0


def classifier_path(dataset_name: str) -> Path:
    return CLASSIFIER_DIR / f"{dataset_name}.keras"


def reference_path(dataset_name: str) -> Path:
    return CLASSIFIER_DIR / f"{dataset_name}.json"


def has_classifier(dataset_name: str, image_shape=None) -> bool:
    """True when a shipped classifier can score images of this dataset (and of this shape, if given)."""
    if dataset_name not in CLASSIFIER_DATASETS or not classifier_path(dataset_name).is_file():
        return False
    return image_shape is None or tuple(image_shape) == load_classifier(dataset_name).image_shape


_load_lock = threading.RLock()  # re-entrant: the test statistics load the classifier


@functools.lru_cache(maxsize=None)
def _load_cached(dataset_name: str) -> Classifier:
    import keras

    path = classifier_path(dataset_name)
    check_keras_archive(path)  # the same allow-list as a student's upload: no code in the file
    model = keras.saving.load_model(path, safe_mode=True, compile=False)
    two_heads = keras.Model(model.inputs, [model.get_layer(FEATURE_LAYER).output, model.outputs[0]])
    return Classifier(dataset_name, two_heads, tuple(int(d) for d in model.inputs[0].shape[1:]),
                      int(model.outputs[0].shape[-1]), _sha256(path), threading.Lock())


def load_classifier(dataset_name: str) -> Classifier:
    """The shipped classifier of a built-in dataset, loaded once per process with safe_mode=True."""
    with _load_lock:
        return _load_cached(dataset_name)


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# --- the statistics ---------------------------------------------------------------------------

def feature_statistics(features: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean (d,) and covariance (d, d) of features (n, d)."""
    features = np.asarray(features, np.float64)
    return features.mean(axis=0), np.cov(features, rowvar=False)


def frechet_distance(mean_a, cov_a, mean_b, cov_b) -> float:
    """||mu_a - mu_b||^2 + tr(A + B - 2 (A B)^(1/2)) between two Gaussians.

    tr((A B)^(1/2)) = tr((A^(1/2) B A^(1/2))^(1/2)), a symmetric matrix: two eigendecompositions, no scipy."""
    values, vectors = np.linalg.eigh(cov_a)
    root_a = (vectors * np.sqrt(np.clip(values, 0, None))) @ vectors.T
    middle = root_a @ cov_b @ root_a
    trace_root = np.sqrt(np.clip(np.linalg.eigvalsh((middle + middle.T) / 2), 0, None)).sum()
    distance = np.sum((mean_a - mean_b) ** 2) + np.trace(cov_a) + np.trace(cov_b) - 2.0 * trace_root
    return float(max(distance, 0.0))


def coverage(predicted: np.ndarray, num_classes: int) -> float:
    """Normalised entropy of the predicted-class histogram: 1 uniform, 0 a single class."""
    counts = np.bincount(np.asarray(predicted, np.int64), minlength=num_classes).astype(np.float64)
    shares = counts[counts > 0] / counts.sum()
    return float(-(shares * np.log(shares)).sum() / math.log(num_classes)) + 0.0  # + 0.0: never print -0.0


@functools.lru_cache(maxsize=None)
def _test_statistics(dataset_name: str) -> tuple[np.ndarray, np.ndarray]:
    dataset = load_dataset(dataset_name)
    features, _ = load_classifier(dataset_name).features_and_probabilities(dataset.test_images)
    return feature_statistics(features)


def test_statistics(dataset_name: str) -> tuple[np.ndarray, np.ndarray]:
    """Feature mean and covariance of the dataset's real test images: what every fd is measured against."""
    with _load_lock:  # computed once per process, even when two runs ask at the same moment
        return _test_statistics(dataset_name)


def score_images(images: np.ndarray, dataset_name: str, labels=None) -> dict:
    """Score images (n, h, w, c) (uint8, or float in [-1, 1]) with the dataset's classifier.

    labels: (n,) classes the images should show (a conditional model's requests, or real labels);
    adds class_accuracy. Returns {"fd", "recognised", "coverage", ["class_accuracy"], "samples"}."""
    classifier = load_classifier(dataset_name)
    features, probabilities = classifier.features_and_probabilities(images)
    predicted = probabilities.argmax(axis=1)
    test_mean, test_cov = test_statistics(dataset_name)
    scores = {
        "fd": frechet_distance(*feature_statistics(features), test_mean, test_cov),
        "recognised": float(np.mean(probabilities.max(axis=1) >= CONFIDENCE)),
        "coverage": coverage(predicted, classifier.num_classes),
    }
    if labels is not None:
        scores["class_accuracy"] = float(np.mean(predicted == np.asarray(labels).reshape(-1)))
    scores["samples"] = int(len(features))
    return scores


# --- references: real vs real, and noise ----------------------------------------------------------

def compute_references(dataset_name: str, samples: int = DEFAULT_SAMPLES) -> dict:
    """Scores of `samples` real training images and of `samples` uniform-noise images, both against the test set."""
    dataset = load_dataset(dataset_name)
    rng = np.random.default_rng(REFERENCE_SEED)
    pick = rng.choice(len(dataset.images), samples, replace=False)
    noise = rng.integers(0, 256, (samples, *dataset.shape), dtype=np.uint8)
    return {"real": score_images(dataset.images[pick], dataset_name, dataset.labels[pick]),
            "blurred": score_images(lightly_blurred(dataset.images[pick]), dataset_name, dataset.labels[pick]),
            "noise": score_images(noise, dataset_name)}


def lightly_blurred(images: np.ndarray) -> np.ndarray:
    """Real images as a good but imperfect generator might draw them: each pixel averaged with its 4 neighbours
    at a quarter weight each (a light blur), uint8. The bar for colour generators is a Fréchet distance within
    3x of these (issue 13)."""
    x = images.astype(np.float32)
    padded = np.pad(x, ((0, 0), (1, 1), (1, 1), (0, 0)), mode="edge")
    neighbours = padded[:, :-2, 1:-1] + padded[:, 2:, 1:-1] + padded[:, 1:-1, :-2] + padded[:, 1:-1, 2:]
    return np.clip(0.5 * x + 0.125 * neighbours, 0, 255).round().astype(np.uint8)


_references_lock = threading.Lock()
_references: dict[tuple[str, int], dict] = {}


def references(dataset_name: str, samples: int = DEFAULT_SAMPLES) -> dict:
    """{"real": scores, "noise": scores}: from the JSON shipped beside the classifier when it was made for this
    very classifier file and sample count, else computed once per process."""
    key = (dataset_name, samples)
    with _references_lock:
        if key not in _references:
            stored = _read_json(reference_path(dataset_name))
            if (stored and stored.get("classifier_sha256") == load_classifier(dataset_name).sha256
                    and stored.get("samples") == samples):
                _references[key] = {name: stored[name] for name in ("real", "blurred", "noise") if name in stored}
            else:
                _references[key] = compute_references(dataset_name, samples)
        return _references[key]


def _read_json(path: Path):
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


# --- generators ---------------------------------------------------------------------------------

def sample_inputs(samples: int, latent_dim: int, num_classes: int = 0, seed: int = 0):
    """Fixed latents (samples, latent_dim) and, when conditional, labels (samples, 1) cycling over the classes:
    the same inputs at every evaluation, so a change in the scores is a change in the generator."""
    latents = np.random.default_rng(seed).standard_normal((samples, latent_dim)).astype(np.float32)
    labels = (np.arange(samples) % num_classes).astype(np.int32).reshape(-1, 1) if num_classes else None
    return latents, labels


def evaluate_generator(generate, dataset_name: str, latent_dim: int, num_classes: int = 0,
                       samples: int = DEFAULT_SAMPLES, seed: int = 0) -> dict:
    """Score a generator. generate(latents, labels_or_None) -> images in [-1, 1] (n, h, w, c) NumPy.

    Returns the scores, plus "reference" (real and noise), "classifier" and "eval_seconds"."""
    started = time.time()
    latents, labels = sample_inputs(samples, latent_dim, num_classes, seed)
    chunks = []
    for start in range(0, samples, _BATCH):
        chunk_labels = None if labels is None else labels[start:start + _BATCH]
        chunks.append(np.asarray(generate(latents[start:start + _BATCH], chunk_labels)))
    scores = score_images(np.concatenate(chunks), dataset_name, labels)
    reference = references(dataset_name, samples)
    return {**scores, "classifier": dataset_name, "reference": reference,
            "eval_seconds": round(time.time() - started, 3)}


def quality_for_run(callback, dataset) -> dict:
    """The engine's default quality function (RunCallback._quality): the run's generator, scored now."""
    num_classes = dataset.num_classes if callback.conditional else 0
    return evaluate_generator(callback.generate, dataset.name, callback.run.config.latent_dim, num_classes,
                              seed=callback.run.config.seed + 2)


def run_has_classifier(dataset) -> bool:
    """Whether a run on `dataset` gets quality metrics by default."""
    return has_classifier(dataset.name, dataset.shape)


def meets_bar(scores: dict, bar: dict | None = None) -> bool:
    """True when every number in `bar` (default: BAR) is reached."""
    return all(scores.get(name, -1.0) >= value for name, value in (bar or BAR).items())


QUALITY_FIELDS = ("fd", "recognised", "coverage", "class_accuracy")


def format_value(name: str, value: float) -> str:
    if name == "fd":
        return f"{value:.2f}"
    if name == "coverage":
        return f"{value:.3f}"
    return f"{value:.0%}"


def describe(record: dict, lang: str = "es") -> list[str]:
    """One line per number in a quality record, each with its real and noise references, then (MNIST: the bar
    is about recognisable digits) the bar verdict."""
    reference = record.get("reference", {})
    lines = []
    for name in QUALITY_FIELDS:
        if name not in record:
            continue
        real, noise = reference.get("real", {}).get(name), reference.get("noise", {}).get(name)
        lines.append(tr("quality.line", lang, name=tr(f"quality.{name}", lang), value=format_value(name, record[name]),
                        real="—" if real is None else format_value(name, real),
                        noise="—" if noise is None else format_value(name, noise)))
    if record.get("classifier", "mnist") != "mnist":
        return lines
    verdict = "quality.bar_met" if meets_bar(record) else "quality.bar_not_met"
    lines.append(tr(verdict, lang, recognised=format_value("recognised", record.get("recognised", 0.0)),
                    coverage=format_value("coverage", record.get("coverage", 0.0))))
    return lines


def describe_seen(seen: dict, lang: str = "es") -> list[str]:
    """A generator trained on a photo folder has no classifier of its own to be measured by; its card keeps what the
    classifier of the set it started from sees in its samples (`as_seen_by`, written by pretrained-export) and in the
    real photos. The lines say that, the class most samples fall in beside the real photos' share, then the rest."""
    shares, real = seen.get("shares") or {}, (seen.get("real") or {}).get("shares") or {}
    if not shares:
        return []
    ranked = sorted(shares, key=shares.get, reverse=True)
    name = _class_name(ranked[0], lang)
    lines = [tr("quality.seen_intro", lang, dataset=tr(f"dataset.{seen['classifier']}", lang),
                samples=seen.get("samples", 0))]
    if ranked[0] in real:
        lines.append(tr("quality.seen_top_real", lang, name=name, share=format_value("recognised", shares[ranked[0]]),
                        real=format_value("recognised", real[ranked[0]])))
    else:
        lines.append(tr("quality.seen_top", lang, name=name, share=format_value("recognised", shares[ranked[0]])))
    rest = ", ".join(f"{_class_name(other, lang)} {format_value('recognised', shares[other])}" for other in ranked[1:])
    if rest:
        lines.append(tr("quality.seen_rest", lang, rest=rest))
    return lines


def _class_name(name: str, lang: str) -> str:
    return tr(f"class.{name}", lang) if f"class.{name}" in TEXTS else name
