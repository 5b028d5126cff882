"""Datasets: MNIST, Fashion-MNIST, CIFAR-10 animals and photo folders, as uint8 arrays in memory."""

from __future__ import annotations

import functools
import gzip
import os
import struct
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..i18n import GanError
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
    # pen strokes on a plain background (MNIST): self-conditioning deskews them before grouping (gan_core.training.clusters).
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
    beside_project = Path(__file__).resolve().parents[3] / "shared" / "datasets"
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

MAX_CENTRAL_DIRECTORY_BYTES = 4_000_000  # a zip's listing: about 800 bytes a member at the member cap
MAX_SKIPPED_KEPT = 200  # skipped files listed by name; beyond this only counted ("and N more")


class SkipList(list):
    """(file name, reason) pairs, at most MAX_SKIPPED_KEPT of them kept; `total` counts every one appended."""

    def __init__(self, items=()):
        super().__init__()
        self.more = 0
        for item in items:
            self.append(item)

    def append(self, item) -> None:
        if len(self) < MAX_SKIPPED_KEPT:
            super().append(item)
        else:
            self.more += 1

    @property
    def total(self) -> int:
        return len(self) + self.more


@dataclass
class UploadBudget:
    """One budget for everything read from one upload or folder, whatever number of zips it comes in: entries
    listed (directories included) and bytes unpacked. Photos are capped over the same whole by decode_photo_entries."""

    members: int = 0
    unpacked_bytes: int = 0

    def add_members(self, count: int) -> None:
        self.members += count
        if self.members > MAX_ARCHIVE_MEMBERS:
            raise GanError("error.upload_too_many_files", count=self.members, limit=MAX_ARCHIVE_MEMBERS)

    def add_bytes(self, count: int) -> None:
        self.unpacked_bytes += count
        if self.unpacked_bytes > MAX_ARCHIVE_TOTAL_BYTES:
            raise GanError("error.upload_bomb")


def open_zip(source, budget: UploadBudget | None = None) -> zipfile.ZipFile:
    """A ZipFile, opened only once the end record says its listing is small: zipfile reads the whole central
    directory into objects first, so 500,000 listed entries would cost hundreds of MB before any check.
    `source`: a path or a seekable binary file. Raises GanError, or zipfile.BadZipFile for a broken archive."""
    entries, directory_bytes = zip_listing_size(source)
    (budget or UploadBudget()).add_members(entries)
    if directory_bytes > MAX_CENTRAL_DIRECTORY_BYTES:
        raise GanError("error.zip_listing", megabytes=round(directory_bytes / 1e6, 1),
                       limit=MAX_CENTRAL_DIRECTORY_BYTES // 1_000_000)
    return zipfile.ZipFile(source)


def zip_listing_size(source) -> tuple[int, int]:
    """(entries, central directory bytes) from a zip's end record (zip64 too), reading only the file's tail."""
    own = isinstance(source, (str, Path))
    stream = open(source, "rb") if own else source
    try:
        stream.seek(0, 2)
        size = stream.tell()
        tail_start = max(0, size - (22 + 0xFFFF + 20))
        stream.seek(tail_start)
        tail = stream.read()
        at = tail.rfind(b"PK\x05\x06")
        if at < 0 or len(tail) - at < 22:
            raise zipfile.BadZipFile("no end of central directory")
        entries, directory_bytes = struct.unpack("<HL", tail[at + 10:at + 16])
        locator = tail[at - 20:at] if at >= 20 else b""
        if locator[:4] == b"PK\x06\x07":  # zip64: the real counts are in the zip64 end record
            (record_offset,) = struct.unpack("<Q", locator[8:16])
            if 0 <= record_offset <= size - 56:
                stream.seek(record_offset)
                record = stream.read(56)
                if record[:4] == b"PK\x06\x06":
                    entries, directory_bytes = struct.unpack("<QQ", record[32:48])
        return int(entries), int(directory_bytes)
    finally:
        if own:
            stream.close()
        else:
            stream.seek(0)


def is_photo_name(name: str) -> bool:
    return name.lower().endswith(PHOTO_SUFFIXES)


def load_photo_folder(path: Path, size: int = 32, channels: int = 3, progress=None) -> Dataset:
    """A folder or .zip of photos as a dataset. Sub-folders become classes. Bad files are skipped,
    each with its reason. `progress(done, total)` is called while decoding."""
    path = Path(path)
    budget = UploadBudget()
    if zipfile.is_zipfile(path):
        with open_zip(path, budget) as archive:
            return decode_photo_entries(path.stem, iter_zip_members(archive, budget), size, channels, progress,
                                        total=count_photo_members(archive))
    files = sorted(file for file in path.rglob("*") if file.is_file() or file.is_symlink())
    budget.add_members(len(files))
    return decode_photo_entries(path.stem, _iter_folder(path, files, budget), size, channels, progress,
                                total=sum(is_photo_name(file.name) for file in files))


def decode_photo_entries(name: str, entries, size: int, channels: int = 3, progress=None, total: int = 0,
                         strip_common_folder: bool = False) -> Dataset:
    """entries: an iterable of (relative name, bytes or None, reason-if-refused), consumed one at a time: each
    photo is decoded as it comes and its bytes dropped, so memory holds one encoded photo and the small decoded
    ones. `total` (the number of photo-named entries, if known) sizes the progress. The top sub-folder names the
    class; with strip_common_folder a folder every photo shares (a zip's own top folder) is not a class."""
    images, names, skipped = [], [], SkipList()
    done = 0
    for relative, data, refusal in entries:
        if refusal:
            skipped.append((relative, refusal))
            continue
        if not is_photo_name(relative):
            skipped.append((relative, "not_an_image"))
            continue
        if len(images) >= MAX_PHOTOS:
            skipped.append((relative, "too_many_files"))
            continue
        try:
            images.append(decode_image(data, size, channels))
            names.append(relative.replace("\\", "/"))
        except ImageRejected as exc:
            skipped.append((relative, exc.reason))
        done += 1
        if progress is not None:
            progress(done, max(total, done))
    if strip_common_folder:
        common = _common_folder(names)
        names = [name[len(common):] for name in names]
        kept = SkipList((name[len(common):] if common and name.startswith(common) else name, reason)
                        for name, reason in skipped)
        kept.more += skipped.more
        skipped = kept
    if not images:
        array = np.zeros((0, size, size, channels), np.uint8)
        return Dataset(name, array, skipped=skipped)
    array = np.stack(images)
    class_of = [parts[0] if len(parts) > 1 else "" for parts in (relative.split("/") for relative in names)]
    class_names = tuple(sorted(set(class_of)))
    labels = None
    if len(class_names) > 1 and "" not in class_names:
        labels = np.array([class_names.index(c) for c in class_of], np.int32)
    else:
        class_names = None
    return Dataset(name, array, labels, class_names, skipped=skipped)


def _common_folder(names: list[str]) -> str:
    """`birds/eagle/1.jpg`, `birds/owl/2.jpg` -> "birds/": the zip's own top folder is no class ("" if none)."""
    split = [name.split("/") for name in names]
    depth = 0
    while split and all(len(parts) > depth + 1 for parts in split) and len({parts[depth] for parts in split}) == 1:
        depth += 1
    return "".join(part + "/" for part in split[0][:depth]) if depth else ""


def _iter_folder(root: Path, files: list[Path], budget: UploadBudget):
    for file in files:
        relative = str(file.relative_to(root))
        if file.is_symlink():
            yield relative, None, "symlink"
        elif not is_photo_name(file.name):
            yield relative, None, "not_an_image"  # never read
        elif file.stat().st_size > MAX_MEMBER_BYTES:
            yield relative, None, "too_large"
        else:
            budget.add_bytes(file.stat().st_size)
            yield relative, file.read_bytes(), None


def count_photo_members(archive: zipfile.ZipFile) -> int:
    return sum(1 for info in archive.infolist() if not info.is_dir() and is_photo_name(info.filename))


def iter_zip_members(archive: zipfile.ZipFile, budget: UploadBudget | None = None):
    """(name, bytes or None, refusal) for each file in the archive, read one at a time; names that cannot be photos
    are refused before their bytes are read. Declared sizes count against the budget before anything is read."""
    budget = budget or UploadBudget()
    infos = [info for info in archive.infolist() if not info.is_dir()]
    budget.add_bytes(sum(info.file_size for info in infos))
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
        if not is_photo_name(name):
            yield name, None, "not_an_image"
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
