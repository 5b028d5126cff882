"""What a student uploads: photo files and zips become a dataset, a .keras file becomes a generator.

Nothing here trusts a name, a size header or an extension; nothing is extracted; the only file ever
written is one the caller names inside its own session directory.
"""

from __future__ import annotations

import io
import unicodedata
import uuid
import zipfile
from dataclasses import dataclass
from pathlib import Path

from .datasets import MIN_TRAIN_IMAGES, Dataset, decode_photo_entries, iter_zip_members
from .i18n import GanError

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


def read_photo_upload(files: list[tuple[str, bytes]], name: str = "upload", size: int = 32, channels: int = 3,
                      progress=None) -> UploadResult:
    """files: (file name as the browser sent it, bytes). Zips are read in memory, member by member.
    Raises GanError for an upload that cannot become a dataset at all; skips (with reasons) single bad files."""
    if size not in (32, 64):
        raise GanError("error.unknown_choice", field="image_size", value=size, choices="32, 64")
    if not files:
        raise GanError("error.upload_empty")
    if len(files) > MAX_UPLOAD_FILES:
        raise GanError("error.upload_too_many_files", count=len(files), limit=MAX_UPLOAD_FILES)
    total = sum(len(data) for _, data in files)
    if total > MAX_UPLOAD_BYTES:
        raise GanError("error.upload_too_large", megabytes=total // 1_000_000, limit=MAX_UPLOAD_BYTES // 1_000_000)
    entries = []
    for file_name, data in files:
        shown = display_name(file_name)
        if _looks_like_zip(data):
            try:
                with zipfile.ZipFile(io.BytesIO(data)) as archive:
                    entries += [(display_name(member), content, reason)
                                for member, content, reason in iter_zip_members(archive)]
            except zipfile.BadZipFile:
                entries.append((shown, None, "corrupt"))
        else:
            entries.append((shown, data, None))
    dataset = decode_photo_entries(name, _strip_common_folder(entries), size, channels, progress)
    if len(dataset.images) < MIN_TRAIN_IMAGES:
        raise GanError("error.upload_no_images", details=dataset.skipped, count=len(dataset.images),
                       minimum=MIN_TRAIN_IMAGES, skipped=len(dataset.skipped))
    return UploadResult(dataset, dataset.skipped)


def display_name(name: str) -> str:
    """A file name safe to show (never used as a path): no control characters, bounded length."""
    cleaned = "".join(ch if unicodedata.category(ch)[0] != "C" else "?" for ch in str(name))
    cleaned = cleaned.replace("\\", "/")
    if len(cleaned) > MAX_NAME_CHARS:
        cleaned = cleaned[:MAX_NAME_CHARS // 2 - 1] + "…" + cleaned[-(MAX_NAME_CHARS // 2):]
    return cleaned or "?"


def _looks_like_zip(data: bytes) -> bool:
    return data[:4] in (b"PK\x03\x04", b"PK\x05\x06") and zipfile.is_zipfile(io.BytesIO(data))


def _strip_common_folder(entries):
    """`birds/eagle/1.jpg`, `birds/owl/2.jpg` -> `eagle/1.jpg`, `owl/2.jpg`: the zip's own top folder is no class."""
    names = [name.split("/") for name, _, reason in entries if reason is None]
    depth = 0
    while names and all(len(parts) > depth + 1 for parts in names) and len({parts[depth] for parts in names}) == 1:
        depth += 1
    if not depth:
        return entries
    return [("/".join(name.split("/")[depth:]), data, reason) if reason is None else (name, data, reason)
            for name, data, reason in entries]


def save_model_upload(file_name: str, data: bytes, session_dir: Path):
    """Check an uploaded generator and keep it in the session directory under a generated name.
    Returns a latent.GeneratorHandle; a file that fails any check is deleted and GanError raised."""
    from .latent import GeneratorHandle

    if not str(file_name).lower().endswith(".keras"):
        raise GanError("error.model_file", reason="solo se aceptan archivos .keras / only .keras files are accepted")
    if len(data) > MAX_MODEL_UPLOAD_BYTES:
        raise GanError("error.model_file", reason=f"> {MAX_MODEL_UPLOAD_BYTES // 1_000_000} MB")
    folder = Path(session_dir) / "models"
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"uploaded-{uuid.uuid4().hex[:16]}.keras"
    target.write_bytes(data)
    try:
        return GeneratorHandle.from_file(target)
    except GanError:
        target.unlink(missing_ok=True)
        raise
    except Exception as exc:  # noqa: BLE001 - whatever goes wrong, the file is refused
        target.unlink(missing_ok=True)
        raise GanError("error.model_file", reason=f"{type(exc).__name__}") from None
