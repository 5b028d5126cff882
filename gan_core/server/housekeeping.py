"""Per-session disk space: usage, quota, the disk's free-space reserve, last-seen markers, and removal of idle
sessions' files. What the server keeps as a whole (retention, the disk budget) is gan_core.server.retention."""

from __future__ import annotations

import functools
import hashlib
import hmac
import os
import re
import secrets
import shutil
import time
import uuid
from pathlib import Path

from ..i18n import GanError

SESSION_ID_RE = re.compile(r"[0-9a-f]{32}")
LAST_SEEN = ".last_seen"
SECRET_FILE = ".session_secret"  # in the sessions folder (never in the repository); GAN_SESSION_SECRET overrides it
SECRET_ENV = "GAN_SESSION_SECRET"
TOKEN_RE = re.compile(r"([0-9a-f]{32})\.([0-9a-f]{32})")
DEFAULT_QUOTA_BYTES = int(float(os.environ.get("GAN_SESSION_QUOTA_MB", "500")) * 1_000_000)
# A session's files are kept this long after its last visit: 28 days, four weekly classes, so a student who misses a
# class or two, or a holiday week, still finds their runs (the teacher sets it per class: ClassLimits.retention_days).
DEFAULT_IDLE_SECONDS = float(os.environ.get("GAN_SESSION_IDLE_SECONDS", str(28 * 24 * 3600)))
# Whatever else holds, a write never leaves the disk with less free than this: 1 GB, or 5% of a smaller disk.
RESERVE_BYTES = 1_000_000_000
RESERVE_SHARE = 0.05


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
    """Raise GanError('error.quota') when the session's files plus what is about to be written exceed the quota, and
    GanError('error.disk_full') when the disk would keep less than its reserve free (check_free_space)."""
    used = directory_bytes(session_dir) if Path(session_dir).exists() else 0
    if used + incoming_bytes > quota_bytes:
        raise GanError("error.quota", used=round((used + incoming_bytes) / 1e6), limit=round(quota_bytes / 1e6))
    check_free_space(Path(session_dir).parent, incoming_bytes)


def disk_usage(path: Path):
    """(total, used, free) bytes of the file system holding path, or the nearest folder above it that exists
    (shutil.disk_usage; tests replace it with a smaller disk)."""
    path = Path(path)
    while not path.exists() and path != path.parent:
        path = path.parent
    return shutil.disk_usage(path)


def reserve_bytes(total: int) -> int:
    """The free space no write may take: RESERVE_BYTES, or RESERVE_SHARE of a disk too small for it."""
    return int(min(RESERVE_BYTES, RESERVE_SHARE * total))


def check_free_space(root: Path, incoming_bytes: int = 0) -> None:
    """GanError('error.disk_full') when writing incoming_bytes under root would leave the disk less free than its
    reserve: the server's disk never fills, whatever the budget says or whoever else writes to that disk. A statvfs
    call, cheap enough for every epoch of every run."""
    usage = disk_usage(root)
    if usage.free - incoming_bytes < reserve_bytes(usage.total):
        raise GanError("error.disk_full", free=round(usage.free / 1e9, 1))


# --- session ids: issued here, signed, handed to the browser as a key ----------------------------------------

def server_secret(root: Path) -> bytes:
    """The key that signs session ids: $GAN_SESSION_SECRET, else 32 random bytes made once in root/.session_secret
    (readable by the server's user only). Whoever holds it can forge any session's address."""
    configured = os.environ.get(SECRET_ENV)
    if configured:
        return configured.encode()
    path = Path(root) / SECRET_FILE
    try:
        return path.read_bytes()
    except FileNotFoundError:
        pass
    Path(root).mkdir(parents=True, exist_ok=True)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another thread made it first
        return path.read_bytes()
    with os.fdopen(descriptor, "wb") as file:
        file.write(secrets.token_bytes(32))
    return path.read_bytes()


def new_session_id() -> str:
    return uuid.uuid4().hex


def session_token(root: Path, session_id: str) -> str:
    """What the address carries: the id and its HMAC under the server's secret."""
    signature = hmac.new(server_secret(root), session_id.encode(), hashlib.sha256).hexdigest()[:32]
    return f"{session_id}.{signature}"


def session_from_token(root: Path, token: str) -> str | None:
    """The session a token names, if the server signed it and the session has a folder (something was written);
    None for anything else (made up, unsigned, tampered with, or never used): the caller starts a fresh session."""
    match = TOKEN_RE.fullmatch(str(token or ""))
    if not match:
        return None
    session_id = match.group(1)
    if not hmac.compare_digest(session_token(root, session_id), match.group(0)):
        return None
    folder = Path(root) / session_id
    return session_id if folder.is_dir() and not folder.is_symlink() else None


def touch_session(session_dir: Path, now: float | None = None) -> bool:
    """Mark the session as seen now (one small file write; `now` is the server's clock, a test's fake one); False if
    the session has no folder yet. A session's folder is made by its first real write (a run, an upload), not here:
    a visit alone leaves nothing on disk."""
    session_dir = Path(session_dir)
    if not session_dir.is_dir():
        return False
    marker = session_dir / LAST_SEEN
    marker.touch()
    if now is not None:
        os.utime(marker, (now, now))
    return True


def check_session_disk(session_dir: Path, quota_bytes: int) -> None:
    """A run's check before each epoch's writes (Run.check_disk): GanError('error.quota') when the session's folder is
    already over its quota, or 'error.disk_full' when the disk is down to its reserve. An epoch trained counts as a
    visit to the session: its files are kept the retention from now (gan_core.server.retention), even if a restart
    finds the run stopped and nobody looked meanwhile."""
    check_quota(session_dir, 0, quota_bytes)
    touch_session(session_dir)


def keep_run_within(run, session_dir: Path, quota_bytes: int) -> None:
    """Bound what `run` writes by its session's quota: it checks before each epoch's writes (check_session_disk), and
    a job that trains it elsewhere gets the same bound (gan_core.server.jobs.job_arguments)."""
    run.disk_quota = (Path(session_dir), int(quota_bytes))
    run.disk_check = functools.partial(check_session_disk, Path(session_dir), int(quota_bytes))


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
