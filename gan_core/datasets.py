"""Datasets: MNIST, Fashion-MNIST, CIFAR-10 animals and photo folders, as uint8 arrays in memory."""

from __future__ import annotations

import functools
import gzip
import os
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .i18n import GanError
from .images import ImageRejected, decode_image

DATA_DIR_ENV = "GAN_DATA_DIR"
BUILTIN_DATASETS = ("mnist", "fashion_mnist", "cifar_animals")
CIFAR_ANIMALS = ("bird", "cat", "deer", "dog", "frog", "horse")
MNIST_CLASSES = tuple(str(d) for d in range(10))
FASHION_CLASSES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot")
PHOTO_SUFFIXES = (".jpg", ".jpeg", ".png", ".gif", ".bmp", ".webp", ".tif", ".tiff")

# Limits for photo folders and archives (a class's folder is well under these).
MAX_PHOTOS = 2000
MAX_ARCHIVE_MEMBERS = 5000
MAX_ARCHIVE_TOTAL_BYTES = 1_000_000_000
MAX_MEMBER_BYTES = 50_000_000
MAX_COMPRESSION_RATIO = 200
MIN_TRAIN_IMAGES = 8


@dataclass
class Dataset:
    """Images held in memory. images: (n, h, w, c) uint8; labels: (n,) int32 or None."""

    name: str
    images: np.ndarray
    labels: np.ndarray | None = None
    class_names: tuple[str, ...] | None = None
    test_images: np.ndarray | None = None  # held-out real images (metrics references)
    test_labels: np.ndarray | None = None
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (file name, reason) for photo folders
    # pen strokes on a plain background (MNIST): self-conditioning deskews them before grouping (gan_core.clusters).
    # Not Fashion-MNIST: deskewed clothes group a little worse (bench/RESULTS.md)
    strokes: bool = False

    @property
    def shape(self) -> tuple[int, int, int]:
        return tuple(self.images.shape[1:])

    @property
    def num_classes(self) -> int:
        return len(self.class_names) if self.class_names else 0

    def class_counts(self) -> dict[str, int]:
        if self.labels is None or not self.class_names:
            return {}
        counts = np.bincount(self.labels, minlength=len(self.class_names))
        return {name: int(c) for name, c in zip(self.class_names, counts)}

    def subset(self, count: int) -> "Dataset":
        """The first `count` images (a quick run); the arrays are views, not copies."""
        if not count or count >= len(self.images):
            return self
        return Dataset(self.name, self.images[:count], None if self.labels is None else self.labels[:count],
                       self.class_names, self.test_images, self.test_labels, self.skipped, self.strokes)


def data_dir() -> Path | None:
    """Where offline copies live: $GAN_DATA_DIR, else ../shared/datasets beside the project."""
    configured = os.environ.get(DATA_DIR_ENV)
    if configured:
        return Path(configured)
    beside_project = Path(__file__).resolve().parents[2] / "shared" / "datasets"
    if beside_project.is_dir():
        return beside_project
    return None


def keras_cache_dir() -> Path:
    return Path(os.environ.get("KERAS_HOME", Path.home() / ".keras")) / "datasets"


def is_builtin(name: str) -> bool:
    return name.split(":", 1)[0] in BUILTIN_DATASETS


def load_dataset(name: str, image_size: int = 0) -> Dataset:
    """Load a built-in dataset by name (`cifar_animals:cat` for one class) or a photo folder/zip by path."""
    base, _, choice = name.partition(":")
    if base == "mnist":
        return _load_mnist_like("mnist")
    if base == "fashion_mnist":
        return _load_mnist_like("fashion_mnist")
    if base == "cifar_animals":
        dataset = _load_cifar_animals()
        if choice:
            if choice not in CIFAR_ANIMALS:
                raise GanError("error.unknown_dataset", value=name,
                               choices=", ".join(f"cifar_animals:{c}" for c in CIFAR_ANIMALS))
            index = CIFAR_ANIMALS.index(choice)
            keep = dataset.labels == index
            return Dataset(name, dataset.images[keep], None, None, None, None)
        return dataset
    path = Path(name).expanduser()
    if path.suffix == ".npz" and path.is_file():
        return load_saved_dataset(path)
    if path.exists():
        return load_photo_folder(path, image_size or 32)
    raise GanError("error.unknown_dataset", value=name, choices=", ".join(BUILTIN_DATASETS))


@functools.lru_cache(maxsize=4)
def _load_mnist_like(which: str) -> Dataset:
    places = _candidate_places(which)
    for place in places:
        if which == "mnist" and place.is_file():
            with np.load(place, allow_pickle=False) as f:
                return _freeze(Dataset("mnist", f["x_train"][..., None], f["y_train"].astype(np.int32), MNIST_CLASSES,
                                       f["x_test"][..., None], f["y_test"].astype(np.int32), strokes=True))
        if which == "fashion_mnist" and (place / "train-images-idx3-ubyte.gz").is_file():
            return _freeze(Dataset(
                "fashion_mnist",
                _read_idx(place / "train-images-idx3-ubyte.gz")[..., None],
                _read_idx(place / "train-labels-idx1-ubyte.gz").astype(np.int32),
                FASHION_CLASSES,
                _read_idx(place / "t10k-images-idx3-ubyte.gz")[..., None],
                _read_idx(place / "t10k-labels-idx1-ubyte.gz").astype(np.int32),
            ))
    downloaded = _try_keras_download(which)
    if downloaded is not None:
        (x_train, y_train), (x_test, y_test) = downloaded
        classes = MNIST_CLASSES if which == "mnist" else FASHION_CLASSES
        return _freeze(Dataset(which, x_train[..., None], y_train.astype(np.int32), classes,
                               x_test[..., None], y_test.astype(np.int32), strokes=which == "mnist"))
    raise GanError("error.dataset_not_found", dataset=which, places=", ".join(str(p) for p in places) + ", keras.datasets")


@functools.lru_cache(maxsize=1)
def _load_cifar_animals() -> Dataset:
    places = _candidate_places("cifar_animals")
    for place in places:
        if place.is_file():
            with np.load(place, allow_pickle=False) as f:
                images, labels = f["x"], f["y"].astype(np.int32)
            # Hold out the last 300 per class as real test images for the metrics' references.
            test_mask = np.zeros(len(labels), bool)
            for cls in range(len(CIFAR_ANIMALS)):
                test_mask[np.flatnonzero(labels == cls)[-300:]] = True
            return _freeze(Dataset("cifar_animals", images[~test_mask], labels[~test_mask], CIFAR_ANIMALS,
                                   images[test_mask], labels[test_mask]))
    downloaded = _try_keras_download("cifar10")
    if downloaded is not None:
        (x_train, y_train), (x_test, y_test) = downloaded
        y_train, y_test = y_train.ravel(), y_test.ravel()
        keep, keep_test = (y_train >= 2) & (y_train <= 7), (y_test >= 2) & (y_test <= 7)
        return _freeze(Dataset("cifar_animals", x_train[keep], (y_train[keep] - 2).astype(np.int32), CIFAR_ANIMALS,
                               x_test[keep_test], (y_test[keep_test] - 2).astype(np.int32)))
    raise GanError("error.dataset_not_found", dataset="cifar_animals",
                   places=", ".join(str(p) for p in places) + ", keras.datasets")


def _candidate_places(which: str) -> list[Path]:
    relative = {
        "mnist": Path("keras") / "mnist.npz",
        "fashion_mnist": Path("keras") / "fashion-mnist",
        "cifar_animals": Path("cifar10_animals.npz"),
    }[which]
    places = []
    root = data_dir()
    if root is not None:
        places += [root / relative, root / relative.name]
    places.append(keras_cache_dir() / relative.name)
    return places


def _try_keras_download(which: str):
    """Keras' own loader: it downloads where a network exists; offline it fails, and we say where we looked."""
    if os.environ.get("GAN_NO_DOWNLOAD"):
        return None
    try:
        import keras

        return getattr(keras.datasets, which).load_data()
    except Exception:  # noqa: BLE001 - any failure means "not available here"
        return None


def _read_idx(path: Path) -> np.ndarray:
    with gzip.open(path, "rb") as f:
        data = f.read()
    dims = data[3]
    shape = tuple(int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(dims))
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def save_dataset(dataset: Dataset, path: Path) -> None:
    """Keep a decoded dataset (a session's photo folder) as .npz, so runs can reload it after a restart."""
    arrays = {"images": dataset.images}
    if dataset.labels is not None:
        arrays["labels"] = dataset.labels
        arrays["class_names"] = np.array(dataset.class_names, dtype=str)
    tmp = Path(path).with_name(Path(path).stem + ".tmp.npz")
    np.savez(tmp, **arrays)
    tmp.replace(path)


def load_saved_dataset(path: Path) -> Dataset:
    with np.load(path, allow_pickle=False) as f:
        images = f["images"]
        labels = f["labels"].astype(np.int32) if "labels" in f else None
        class_names = tuple(str(c) for c in f["class_names"]) if "class_names" in f else None
    if images.ndim != 4 or images.dtype != np.uint8:
        raise GanError("error.unknown_dataset", value=str(path), choices=", ".join(BUILTIN_DATASETS))
    return Dataset(Path(path).stem, images, labels, class_names)


def _freeze(dataset: Dataset) -> Dataset:
    """Cached datasets are shared by every run: make them read-only."""
    for array in (dataset.images, dataset.labels, dataset.test_images, dataset.test_labels):
        if array is not None:
            array.setflags(write=False)
    return dataset


# --- photo folders and archives -----------------------------------------------------------

def load_photo_folder(path: Path, size: int = 32, channels: int = 3, progress=None) -> Dataset:
    """A folder or .zip of photos as a dataset. Sub-folders become classes. Bad files are skipped,
    each with its reason. `progress(done, total)` is called while decoding."""
    path = Path(path)
    entries = list(_iter_zip(path) if zipfile.is_zipfile(path) else _iter_folder(path))
    return decode_photo_entries(path.stem, entries, size, channels, progress)


def decode_photo_entries(name: str, entries, size: int, channels: int = 3, progress=None) -> Dataset:
    """entries: list of (relative name, bytes or None, reason-if-refused)."""
    images, class_of, skipped = [], [], []
    candidates = []
    for relative, data, refusal in entries:
        if refusal:
            skipped.append((relative, refusal))
        elif not relative.lower().endswith(PHOTO_SUFFIXES):
            skipped.append((relative, "not_an_image"))
        else:
            candidates.append((relative, data))
    if len(candidates) > MAX_PHOTOS:
        skipped += [(relative, "too_many_files") for relative, _ in candidates[MAX_PHOTOS:]]
        candidates = candidates[:MAX_PHOTOS]
    for index, (relative, data) in enumerate(candidates):
        try:
            images.append(decode_image(data, size, channels))
            parts = relative.replace("\\", "/").split("/")
            class_of.append(parts[0] if len(parts) > 1 else "")  # the top sub-folder names the class
        except ImageRejected as exc:
            skipped.append((relative, exc.reason))
        if progress is not None:
            progress(index + 1, len(candidates))
    if not images:
        array = np.zeros((0, size, size, channels), np.uint8)
        return Dataset(name, array, skipped=skipped)
    array = np.stack(images)
    class_names = tuple(sorted(set(class_of)))
    labels = None
    if len(class_names) > 1 and "" not in class_names:
        labels = np.array([class_names.index(c) for c in class_of], np.int32)
    else:
        class_names = None
    return Dataset(name, array, labels, class_names, skipped=skipped)


def _iter_folder(root: Path):
    for file in sorted(root.rglob("*")):
        if file.is_symlink():
            yield str(file.relative_to(root)), None, "symlink"
        elif file.is_file():
            if file.stat().st_size > MAX_MEMBER_BYTES:
                yield str(file.relative_to(root)), None, "too_large"
            else:
                yield str(file.relative_to(root)), file.read_bytes(), None


def _iter_zip(path: Path):
    """Read an archive without extracting it: counts, sizes and ratios are checked first."""
    with zipfile.ZipFile(path) as archive:
        yield from iter_zip_members(archive)


def iter_zip_members(archive: zipfile.ZipFile):
    infos = [info for info in archive.infolist() if not info.is_dir()]
    if len(infos) > MAX_ARCHIVE_MEMBERS:
        raise GanError("error.upload_too_many_files", count=len(infos), limit=MAX_ARCHIVE_MEMBERS)
    if sum(info.file_size for info in infos) > MAX_ARCHIVE_TOTAL_BYTES:
        raise GanError("error.upload_bomb")
    for info in infos:
        name = info.filename
        mode = (info.external_attr >> 16) & 0o170000
        if mode == 0o120000:
            yield name, None, "symlink"
            continue
        if name.startswith(("/", "\\")) or ".." in name.replace("\\", "/").split("/") or ":" in name:
            yield name, None, "unsafe_path"
            continue
        if "__MACOSX" in name or name.rsplit("/", 1)[-1].startswith("."):
            continue
        if info.file_size > MAX_MEMBER_BYTES:
            yield name, None, "too_large"
            continue
        if info.compress_size and info.file_size / info.compress_size > MAX_COMPRESSION_RATIO:
            yield name, None, "bomb"
            continue
        data = _read_member(archive, info)
        if data is None:
            yield name, None, "too_large"
        else:
            yield name, data, None


def _read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes | None:
    """Stream a member, counting bytes: a lying header cannot make us read more than the limit."""
    chunks, total = [], 0
    try:
        with archive.open(info) as member:
            while True:
                chunk = member.read(1 << 20)
                if not chunk:
                    break
                total += len(chunk)
                if total > MAX_MEMBER_BYTES or total > max(info.file_size, 1) * 2:
                    return None
                chunks.append(chunk)
    except (zipfile.BadZipFile, OSError, EOFError, RuntimeError, NotImplementedError):
        return b""  # decoded later as corrupt
    return b"".join(chunks)
