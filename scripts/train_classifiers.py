"""Train the small offline classifiers gan_core.training.metrics scores generated images with, and their references.

    python -m scripts.train_classifiers                  # all three datasets, from the repository root
    python -m scripts.train_classifiers mnist --epochs 2

Writes gan_core/training/classifiers/<dataset>.keras (about 1 MB) and <dataset>.json (the real and noise
references at metrics.DEFAULT_SAMPLES images, tied to the .keras file by its sha256).

Besides the real images, each epoch shows the classifier "outliers" with a uniform target (outlier exposure,
Hendrycks et al. 2019): pixel noise, smooth blobs and flat images. Without them a small CNN is confidently
wrong about blobs and blank canvases, and "recognised" would praise a generator that has learnt nothing.
(Blends of two classes were tried too: they made the classifier stricter than a person on slightly sloppy
but clearly readable digits, so they were left out.)
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path

import keras
import numpy as np
from keras import layers

from gan_core.data.datasets import load_dataset
from gan_core.training import metrics

# Per dataset: conv widths, feature size, epochs, augmentation (shift in pixels, mirror).
SETTINGS = {
    "mnist": {"widths": (32, 64, 64), "features": 128, "epochs": 5, "shift": 2, "flip": False},
    "fashion_mnist": {"widths": (32, 64, 64), "features": 128, "epochs": 6, "shift": 2, "flip": True},
    "cifar_animals": {"widths": (32, 64, 96), "features": 96, "epochs": 25, "shift": 3, "flip": True},
}
OUTLIER_SHARE = 0.25  # outliers per real image in each epoch
OUTLIER_WEIGHT = 0.3
TRAINING_FIELDS = ("test_accuracy", "epochs", "settings", "trained", "train_seconds", "hardware")


def build_classifier(shape, num_classes: int, widths, features: int) -> keras.Model:
    """Five 3x3 convolutions (three with stride 2), a dense feature layer, softmax. Only layer classes that
    gan_core.explore.generators' allow-list accepts, so the file is checked like any uploaded model."""
    image = keras.Input(shape, name="image")
    x = image
    for filters, stride in ((widths[0], 1), (widths[0], 2), (widths[1], 1), (widths[1], 2), (widths[2], 2)):
        x = layers.Conv2D(filters, 3, strides=stride, padding="same", use_bias=False)(x)
        x = layers.BatchNormalization()(x)
        x = layers.ReLU()(x)
    x = layers.Flatten()(x)
    x = layers.Dropout(0.3)(x)
    x = layers.Dense(features, activation="relu", name=metrics.FEATURE_LAYER)(x)
    x = layers.Dropout(0.3)(x)
    x = layers.Dense(num_classes)(x)
    return keras.Model(image, layers.Activation("softmax")(x), name="classifier")


def shifted(images: np.ndarray, rng: np.random.Generator, shift: int, flip: bool) -> np.ndarray:
    """Each image moved by up to `shift` pixels (zero padding), and mirrored half the time if `flip`."""
    n, h, w, _ = images.shape
    padded = np.pad(images, ((0, 0), (shift, shift), (shift, shift), (0, 0)))
    dy, dx = rng.integers(0, 2 * shift + 1, n), rng.integers(0, 2 * shift + 1, n)
    out = np.empty_like(images)
    for oy in range(2 * shift + 1):
        for ox in range(2 * shift + 1):
            pick = (dy == oy) & (dx == ox)
            out[pick] = padded[pick, oy:oy + h, ox:ox + w]
    if flip:
        mirror = rng.random(n) < 0.5
        out[mirror] = out[mirror, :, ::-1]
    return out


def outliers(shape, count: int, rng: np.random.Generator) -> np.ndarray:
    """uint8 images (count, *shape) that belong to no class: pixel noise, smooth blobs, and flat images (one
    grey level, faint noise): what a generator draws before it has learnt anything."""
    h, w, c = shape
    per_kind = count // 3
    noise = rng.integers(0, 256, (per_kind, h, w, c)).astype(np.uint8)
    small = rng.random((per_kind, h // 4 + 1, w // 4 + 1, c)) ** 2  # mostly dark, like a digit's background
    blobs = (np.kron(small, np.ones((1, 4, 4, 1)))[:, :h, :w] * 255).astype(np.uint8)
    level = rng.random((per_kind, 1, 1, c)) ** 2 * 255
    flat = np.clip(level + rng.normal(0, 8, (per_kind, h, w, c)), 0, 255).astype(np.uint8)
    return np.concatenate([noise, blobs, flat])


def train_one(name: str, epochs: int | None, seed: int = 0) -> dict:
    """Train and save one classifier; returns what to remember about its training."""
    settings = SETTINGS[name]
    epochs = epochs or settings["epochs"]
    dataset = load_dataset(name)
    k = dataset.num_classes
    rng = np.random.default_rng(seed)
    keras.utils.set_random_seed(seed)
    model = build_classifier(dataset.shape, k, settings["widths"], settings["features"])
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="categorical_crossentropy")
    started = time.time()
    for epoch in range(epochs):
        real = shifted(dataset.images, rng, settings["shift"], settings["flip"])
        extra = outliers(dataset.shape, int(len(real) * OUTLIER_SHARE), rng)
        x = np.concatenate([real, extra]).astype(np.float32) / 127.5 - 1.0
        y = np.concatenate([np.eye(k, dtype=np.float32)[dataset.labels], np.full((len(extra), k), 1.0 / k, np.float32)])
        weights = np.concatenate([np.ones(len(real), np.float32), np.full(len(extra), OUTLIER_WEIGHT, np.float32)])
        if epoch == epochs - 1:
            model.optimizer.learning_rate.assign(2e-4)  # a short low-rate finish
        history = model.fit(x, y, sample_weight=weights, batch_size=128, epochs=1, shuffle=True, verbose=0)
        test = model.predict(dataset.test_images.astype(np.float32) / 127.5 - 1.0, batch_size=500, verbose=0)
        accuracy = float(np.mean(test.argmax(1) == dataset.test_labels))
        print(f"{name} epoch {epoch + 1}/{epochs}: loss {history.history['loss'][-1]:.4f}, "
              f"test accuracy {accuracy:.4f} ({time.time() - started:.0f} s)", flush=True)
    path = metrics.classifier_path(name)
    path.parent.mkdir(parents=True, exist_ok=True)
    save_without_optimizer(model, path, dataset, settings)
    return {"test_accuracy": accuracy, "epochs": epochs, "settings": settings,
            "trained": time.strftime("%Y-%m-%d"), "train_seconds": round(time.time() - started),
            "hardware": f"{_cpu_name()} x{os.cpu_count()}"}


def write_references(name: str, training: dict) -> dict:
    """Score real and noise images with the classifier file as shipped, and store them beside it."""
    metrics._load_cached.cache_clear()  # the file just written, loaded as every user will load it
    metrics._test_statistics.cache_clear()
    metrics._references.clear()
    references = metrics.compute_references(name)
    path = metrics.classifier_path(name)
    record = {"dataset": name, "classifier_sha256": metrics.load_classifier(name).sha256,
              "samples": metrics.DEFAULT_SAMPLES, "size_bytes": path.stat().st_size, **training,
              "real": references["real"], "blurred": references["blurred"], "noise": references["noise"]}
    metrics.reference_path(name).write_text(json.dumps(record, indent=2) + "\n")
    print(json.dumps({k: record[k] for k in ("dataset", "test_accuracy", "size_bytes", "real", "noise")
                      if k in record}, indent=1))
    return record


def save_without_optimizer(model, path: Path, dataset, settings) -> None:
    """Only the weights travel: an uncompiled copy keeps the file small and free of optimizer objects."""
    clean = build_classifier(dataset.shape, dataset.num_classes, settings["widths"], settings["features"])
    clean.set_weights(model.get_weights())
    clean.save(path)


def _cpu_name() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines() if Path("/proc/cpuinfo").exists() else []:
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.machine()


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("datasets", nargs="*", default=list(SETTINGS), choices=list(SETTINGS))
    parser.add_argument("--epochs", type=int, default=None, help="override every dataset's epoch count")
    parser.add_argument("--references-only", action="store_true",
                        help="keep the shipped classifier, only recompute its references")
    args = parser.parse_args(argv)
    for name in args.datasets:
        if args.references_only:
            previous = metrics._read_json(metrics.reference_path(name)) or {}
            training = {k: v for k, v in previous.items() if k in TRAINING_FIELDS}
        else:
            training = train_one(name, args.epochs)
        write_references(name, training)


if __name__ == "__main__":
    main()
