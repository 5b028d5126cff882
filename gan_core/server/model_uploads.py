"""A student's own generator: the uploaded .keras file checked (its bytes in gan_core.data.uploads, its archive,
build and one batch in gan_core.explore.generators) and kept in the session's folder within its disk quota
(gan_core.server.housekeeping). It lives on the server's layer because it needs both the explorer's checks and the
session's quota; the layers below it only check what they own."""

from __future__ import annotations

import uuid
from pathlib import Path

from ..data.uploads import check_model_upload
from ..explore.generators import Generator, check_in_child, check_keras_archive
from ..i18n import GanError
from . import housekeeping


def save_model_upload(file_name: str, data: bytes, session_dir: Path, quota_bytes: int | None = None) -> Generator:
    """Check an uploaded generator and keep it in the session directory under a generated name, in place of the
    session's previous upload (one kept: the newest). The file counts against the session's disk quota; it is
    built and run first in a memory- and time-limited child process (generators.check_in_child).
    Returns a generators.Generator; a file that fails any check is deleted and GanError raised."""
    check_model_upload(file_name, data)
    folder = Path(session_dir) / "models"
    previous = sorted(folder.glob("uploaded-*.keras")) if folder.is_dir() else []
    replaced = sum(path.stat().st_size for path in previous)
    housekeeping.check_quota(session_dir, len(data) - replaced,
                             housekeeping.DEFAULT_QUOTA_BYTES if quota_bytes is None else quota_bytes)
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"uploaded-{uuid.uuid4().hex[:16]}.keras"
    target.write_bytes(data)
    try:
        check_keras_archive(target)  # members, classes and declared size: cheap, before any process starts
        check_in_child(target)
        handle = Generator.load(target)
    except GanError:
        target.unlink(missing_ok=True)
        raise
    except Exception as exc:  # noqa: BLE001 - whatever goes wrong, the file is refused
        target.unlink(missing_ok=True)
        raise GanError("error.model_file", reason=f"{type(exc).__name__}") from None
    for path in previous:
        path.unlink(missing_ok=True)
    return handle
