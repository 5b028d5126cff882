"""What a student uploads: photo files and zips become a dataset; a .keras file's name and size are
checked here (the generator inside is checked and kept by gan_core.server.model_uploads).

Nothing here trusts a name, a size header or an extension; nothing is extracted; the only file ever
written is one the caller names inside its own session directory.
"""

from __future__ import annotations

import io
import unicodedata
import zipfile
from dataclasses import dataclass

from ..i18n import GanError
from .datasets import (
    MIN_TRAIN_IMAGES,
    Dataset,
    UploadBudget,
    count_photo_members,
    decode_photo_entries,
    is_photo_name,
    iter_zip_members,
    open_zip,
)

MAX_UPLOAD_BYTES = 400_000_000  # all files of one upload together
MAX_UPLOAD_FILES = 3000
MAX_MODEL_UPLOAD_BYTES = 50_000_000
MAX_NAME_CHARS = 120


@dataclass
class UploadResult:
    """The decoded dataset and every file left out, with the reason (a `skip.*` translation key suffix)."""

    dataset: Dataset
    skipped: list[tuple[str, str]]

    @property
    def count(self) -> int:
        return len(self.dataset.images)


def read_photo_upload(files: list, name: str = "upload", size: int = 32, channels: int = 3,
                      progress=None) -> UploadResult:
    """files: (file name as the browser sent it, bytes or a seekable binary file such as Streamlit's upload).
    Zips are read in memory, member by member, each photo decoded as it is read; one budget (entries, unpacked
    bytes; photos: MAX_PHOTOS) covers every file and zip of the upload together.
    Raises GanError for an upload that cannot become a dataset at all; skips (with reasons) single bad files."""
    if size not in (32, 64):
        raise GanError("error.unknown_choice", field="image_size", value=size, choices="32, 64")
    if not files:
        raise GanError("error.upload_empty")
    if len(files) > MAX_UPLOAD_FILES:
        raise GanError("error.upload_too_many_files", count=len(files), limit=MAX_UPLOAD_FILES)
    streams = [(display_name(file_name), _stream(data)) for file_name, data in files]
    total = sum(_length(stream) for _, stream in streams)
    if total > MAX_UPLOAD_BYTES:
        raise GanError("error.upload_too_large", megabytes=total // 1_000_000, limit=MAX_UPLOAD_BYTES // 1_000_000)
    budget = UploadBudget()
    archives, photos = {}, 0  # listings are read (and refused) before any member is
    for index, (shown, stream) in enumerate(streams):
        if _looks_like_zip(stream):
            try:
                archives[index] = open_zip(stream, budget)
                photos += count_photo_members(archives[index])
            except zipfile.BadZipFile:
                archives[index] = None
        else:
            photos += 1
    try:
        dataset = decode_photo_entries(name, _entries(streams, archives, budget), size, channels, progress,
                                       total=photos, strip_common_folder=True)
    finally:
        for archive in archives.values():
            if archive is not None:
                archive.close()
    if len(dataset.images) < MIN_TRAIN_IMAGES:
        raise GanError("error.upload_no_images", details=dataset.skipped, count=len(dataset.images),
                       minimum=MIN_TRAIN_IMAGES, skipped=dataset.skipped.total)
    return UploadResult(dataset, dataset.skipped)


def _entries(streams, archives, budget: UploadBudget):
    """(shown name, bytes or None, refusal) for every loose file and zip member, one at a time."""
    for index, (shown, stream) in enumerate(streams):
        if index not in archives:
            if not is_photo_name(shown):
                yield shown, None, "not_an_image"  # a loose file that is no photo: never read
                continue
            budget.add_bytes(_length(stream))
            yield shown, stream.read(), None
        elif archives[index] is None:
            yield shown, None, "corrupt"
        else:
            for member, content, reason in iter_zip_members(archives[index], budget):
                yield display_name(member), content, reason


def _stream(data):
    stream = io.BytesIO(data) if isinstance(data, (bytes, bytearray, memoryview)) else data
    stream.seek(0)
    return stream


def _length(stream) -> int:
    stream.seek(0, 2)
    length = stream.tell()
    stream.seek(0)
    return length


def display_name(name: str) -> str:
    """A file name safe to show (never used as a path): no control characters, bounded length."""
    cleaned = "".join(ch if unicodedata.category(ch)[0] != "C" else "?" for ch in str(name))
    cleaned = cleaned.replace("\\", "/")
    if len(cleaned) > MAX_NAME_CHARS:
        cleaned = cleaned[:MAX_NAME_CHARS // 2 - 1] + "…" + cleaned[-(MAX_NAME_CHARS // 2):]
    return cleaned or "?"


def _looks_like_zip(stream) -> bool:
    head = stream.read(4)
    stream.seek(0)
    found = head in (b"PK\x03\x04", b"PK\x05\x06") and zipfile.is_zipfile(stream)
    stream.seek(0)
    return found


def check_model_upload(file_name: str, data: bytes) -> None:
    """What an uploaded generator's bytes alone can tell: a .keras name and at most MAX_MODEL_UPLOAD_BYTES. The model
    inside is checked by whoever keeps it (gan_core.server.model_uploads.save_model_upload)."""
    if not str(file_name).lower().endswith(".keras"):
        raise GanError("error.model_file.not_keras")
    if len(data) > MAX_MODEL_UPLOAD_BYTES:
        raise GanError("error.model_file", reason=f"> {MAX_MODEL_UPLOAD_BYTES // 1_000_000} MB")
