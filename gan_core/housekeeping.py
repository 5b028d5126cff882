"""Per-session disk space: usage, quota, last-seen markers, and removal of idle sessions' files."""

from __future__ import annotations

import os
import re
import shutil
import time
from pathlib import Path

from .i18n import GanError

SESSION_ID_RE = re.compile(r"[0-9a-f]{32}")
LAST_SEEN = ".last_seen"
DEFAULT_QUOTA_BYTES = int(float(os.environ.get("GAN_SESSION_QUOTA_MB", "500")) * 1_000_000)
DEFAULT_IDLE_SECONDS = float(os.environ.get("GAN_SESSION_IDLE_SECONDS", str(60 * 60)))


def directory_bytes(path: Path) -> int:
    """Bytes of every regular file under path (links are not followed)."""
    total = 0
    for root, _, files in os.walk(path, followlinks=False):
        for name in files:
            try:
                stat = os.lstat(os.path.join(root, name))
            except OSError:
                continue
            total += stat.st_size
    return total


def check_quota(session_dir: Path, incoming_bytes: int = 0, quota_bytes: int = DEFAULT_QUOTA_BYTES) -> None:
    """Raise GanError('error.quota') when the session's files plus what is about to be written exceed the quota."""
    used = directory_bytes(session_dir) if Path(session_dir).exists() else 0
    if used + incoming_bytes > quota_bytes:
        raise GanError("error.quota", used=round((used + incoming_bytes) / 1e6), limit=round(quota_bytes / 1e6))


def touch_session(session_dir: Path) -> None:
    """Mark the session as seen now (called on every page run: one small file write)."""
    session_dir = Path(session_dir)
    session_dir.mkdir(parents=True, exist_ok=True)
    (session_dir / LAST_SEEN).touch()


def last_seen(session_dir: Path) -> float:
    marker = Path(session_dir) / LAST_SEEN
    try:
        return marker.stat().st_mtime
    except OSError:
        try:
            return Path(session_dir).stat().st_mtime
        except OSError:
            return 0.0


def cleanup_idle_sessions(root: Path, busy_sessions: set[str], max_idle_seconds: float = DEFAULT_IDLE_SECONDS,
                          now: float | None = None) -> list[str]:
    """Delete the folders of sessions not seen for max_idle_seconds and with no active run. Only folders named
    like a session id directly under root are considered. Returns the ids removed."""
    root = Path(root)
    now = time.time() if now is None else now
    removed = []
    if not root.is_dir():
        return removed
    for folder in root.iterdir():
        if not SESSION_ID_RE.fullmatch(folder.name) or folder.is_symlink() or not folder.is_dir():
            continue
        if folder.name in busy_sessions:
            continue
        if now - last_seen(folder) > max_idle_seconds:
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder.name)
    return removed
