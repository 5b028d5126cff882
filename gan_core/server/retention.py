"""What the class server keeps, and for how long.

- **Retention**: a session's files stay for a number of days after its last visit (the teacher's
  ClassLimits.retention_days; else GAN_SESSION_IDLE_SECONDS, 28 days by default: a course meets weekly, and a student
  who misses a class or two still finds their runs). A session with an active run or a run shared to the gallery is
  kept whatever its age.
- **The disk budget**: all sessions together keep at most a budget (the teacher's ClassLimits.disk_budget_gb; else
  GAN_DISK_BUDGET_GB; else DISK_SHARE of what the sessions could use: their files plus the disk's free space). When a
  new run or upload would pass it, the least recently seen sessions go first, never one with an active or shared run
  nor one seen in the last EVICTION_GRACE_SECONDS (the class going on); when even that would not make room the write
  is refused with a message before anything is written, and nobody's files are removed for it. Whatever the budget,
  housekeeping.check_free_space keeps a reserve of the disk free.
- **Taking it home**: runs_zip writes every run of a session into one zip, member by member, in a temporary file
  inside the session's own folder that is deleted when the caller is done with it.

Plain functions over the sessions folder, with the clock passed in; the registry (gan_core.server.registry) knows
which sessions are spared and calls them."""

from __future__ import annotations

import os
import shutil
import uuid
import zipfile
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from ..i18n import GanError
from . import housekeeping
from .classroom import ClassLimits, read_gallery_file
from .housekeeping import SESSION_ID_RE

DAY_SECONDS = 24 * 3600
DISK_BUDGET_ENV = "GAN_DISK_BUDGET_GB"  # the server's default budget; unset or 0: DISK_SHARE of the disk
DISK_SHARE = 0.8  # of the sessions' files plus the disk's free space: the rest of the disk stays free
EVICTION_GRACE_SECONDS = 2 * 3600  # a session seen this recently is never removed to make room
ZIP_PREFIX = ".runs-"  # the download-all zip while it is written and sent: <session>/.runs-<random>.zip.part
ZIP_SUFFIX = ".zip.part"
STALE_ZIP_SECONDS = 3600  # one left behind by a crash is removed by the next sweep after this
STORED_SUFFIXES = {".png", ".gif", ".jpg", ".keras", ".npz", ".zip", ".h5"}  # compressed already: stored as they are


@dataclass(frozen=True)
class SessionUsage:
    """One session's folder as the budget sees it."""

    session_id: str
    bytes: int
    last_seen: float
    runs: int


@dataclass(frozen=True)
class DiskState:
    """The sessions folder against its budget, for a decision or the teacher's view."""

    used: int  # bytes of every session's files
    budget: int
    free: int  # the disk's free space
    retention: float  # seconds
    sessions: list  # SessionUsage, every session
    next_to_go: list  # SessionUsage, the ones that may be removed for room, in the order they would go


# --- retention --------------------------------------------------------------------------------------------------

def retention_seconds(limits: ClassLimits) -> float:
    """How long a session's files are kept after its last visit: the teacher's days, else the server's default."""
    return limits.retention_days * DAY_SECONDS if limits.retention_days else housekeeping.DEFAULT_IDLE_SECONDS


def kept_until(session_dir: Path, retention: float, now: float) -> float:
    """When the session's files may go at the earliest (its last visit plus the retention); a session that has
    written nothing yet counts as seen now."""
    seen = housekeeping.last_seen(session_dir) if Path(session_dir).is_dir() else now
    return seen + retention


# --- what is on disk ---------------------------------------------------------------------------------------------

def session_folders(root: Path) -> list[Path]:
    """The folders directly under root named like a session id (no links)."""
    root = Path(root)
    if not root.is_dir():
        return []
    return [folder for folder in root.iterdir()
            if SESSION_ID_RE.fullmatch(folder.name) and not folder.is_symlink() and folder.is_dir()]


def session_usage(folder: Path) -> SessionUsage:
    runs = folder / "runs"
    count = sum(1 for path in runs.iterdir() if path.is_dir()) if runs.is_dir() else 0
    return SessionUsage(folder.name, housekeeping.directory_bytes(folder), housekeeping.last_seen(folder), count)


def shared_sessions(root: Path) -> set[str]:
    """Sessions with a run in the class gallery (root/gallery.json, classroom.Gallery's file) whose run still exists:
    kept while it is shared."""
    items = read_gallery_file(root).get("shares", [])
    found = set()
    for item in items if isinstance(items, list) else []:
        session_id, run_id = (item.get("session_id"), item.get("run_id")) if isinstance(item, dict) else (None, None)
        if isinstance(session_id, str) and SESSION_ID_RE.fullmatch(session_id) and isinstance(run_id, str) \
                and (Path(root) / session_id / "runs" / Path(run_id).name / "config.json").is_file():
            found.add(session_id)
    return found


def budget_bytes(limits: ClassLimits, used: int, free: int) -> int:
    """The teacher's size, else $GAN_DISK_BUDGET_GB, else DISK_SHARE of what the sessions could use (their files
    plus the free space: a figure the sessions' own growth does not move)."""
    if limits.disk_budget_gb:
        return int(limits.disk_budget_gb * 1e9)
    try:
        configured = float(os.environ.get(DISK_BUDGET_ENV) or 0)
    except ValueError:
        configured = 0.0
    if configured > 0:
        return int(configured * 1e9)
    return int(DISK_SHARE * (used + free))


def eviction_order(sessions: list[SessionUsage], spared: set[str], now: float,
                   grace: float = EVICTION_GRACE_SECONDS) -> list[SessionUsage]:
    """The sessions that may be removed to make room, least recently seen first: not spared (an active or shared run,
    the session asking) and not seen within `grace`."""
    return sorted((s for s in sessions if s.session_id not in spared and now - s.last_seen > grace),
                  key=lambda s: (s.last_seen, s.session_id))


def disk_state(root: Path, limits: ClassLimits, spared: set[str], now: float) -> DiskState:
    sessions = [session_usage(folder) for folder in session_folders(root)]
    used = sum(s.bytes for s in sessions)
    free = int(housekeeping.disk_usage(root).free)
    return DiskState(used, budget_bytes(limits, used, free), free, retention_seconds(limits), sessions,
                     eviction_order(sessions, spared, now))


# --- making room ---------------------------------------------------------------------------------------------------

def _plan(state: DiskState, incoming_bytes: int) -> tuple[list[str], bool]:
    """The sessions to remove, in order, so that the sessions plus incoming_bytes fit the budget, and whether they
    do then."""
    excess = state.used + incoming_bytes - state.budget
    chosen = []
    for session in state.next_to_go:
        if excess <= 0:
            break
        chosen.append(session.session_id)
        excess -= session.bytes
    return chosen, excess <= 0


def remove_sessions(root: Path, session_ids: list[str]) -> list[str]:
    removed = []
    for session_id in session_ids:
        if SESSION_ID_RE.fullmatch(session_id):
            shutil.rmtree(Path(root) / session_id, ignore_errors=True)
            removed.append(session_id)
    return removed


def make_room(root: Path, incoming_bytes: int, limits: ClassLimits, spared: Callable[[], set[str]],
              now: float) -> list[str]:
    """Before a write of incoming_bytes: remove what must go for the sessions to stay within the budget, and return
    their ids. GanError('error.disk_budget') when even every session that may go would not make room; then nothing
    is removed. Walking every session's files takes a while (about 0.15 s for 40 sessions of 5 runs on two busy
    cores), and so does asking which sessions are spared (`spared()`, every run read): both are skipped when the
    disk's own figures already show room (surely_fits), the common case."""
    if surely_fits(root, incoming_bytes, limits):
        return []
    state = disk_state(root, limits, spared(), now)
    chosen, fits = _plan(state, incoming_bytes)
    if not fits:
        raise GanError("error.disk_budget", used=_gb(state.used + incoming_bytes), budget=_gb(state.budget))
    return remove_sessions(root, chosen)


def surely_fits(root: Path, incoming_bytes: int, limits: ClassLimits) -> bool:
    """Whether the sessions plus incoming_bytes fit the budget, judged from the disk's used bytes, which bound the
    sessions' from above (one statvfs call, no walk): the budget's test with the disk's figure in place of theirs.
    With the default budget that holds as well, since DISK_SHARE * (used + free) - used falls as used grows."""
    usage = housekeeping.disk_usage(root)
    return usage.used + incoming_bytes <= budget_bytes(limits, int(usage.used), int(usage.free))


def sweep(root: Path, limits: ClassLimits, spared: set[str], now: float) -> list[str]:
    """The periodic clean-up (and the one at start): sessions past the retention go, download zips left behind by a
    crash go, and while the sessions are over the budget the least recently seen that may go are removed. Returns
    the session ids removed."""
    removed = housekeeping.cleanup_idle_sessions(root, spared, retention_seconds(limits), now)
    for folder in session_folders(root):
        remove_stale_zips(folder, now)
    chosen, _ = _plan(disk_state(root, limits, spared, now), 0)
    return removed + remove_sessions(root, chosen)


def _gb(size: int) -> str:
    return f"{size / 1e9:.2f}"


# --- taking every run home ----------------------------------------------------------------------------------------

def run_files(session_dir: Path) -> list[Path]:
    """Every regular file under the session's runs/ (links are not followed), in a stable order."""
    found = []
    for folder, _, names in os.walk(Path(session_dir) / "runs", followlinks=False):
        for name in names:
            path = Path(folder) / name
            if path.is_file() and not path.is_symlink():
                found.append(path)
    return sorted(found)


@contextmanager
def runs_zip(session_dir: Path):
    """Yield the path of one zip holding every run of the session (runs/<run id>/...), written member by member into
    a temporary file in the session's own folder (memory stays one member's buffer, whatever the runs weigh) and
    deleted when the caller is done. GanError('error.disk_full') before anything is written when the disk could not
    hold it above its reserve. A file that disappears while it is copied (a run still training replaced it) is
    left out."""
    session_dir = Path(session_dir)
    files = run_files(session_dir)
    housekeeping.check_free_space(session_dir, sum(path.stat().st_size for path in files))
    target = session_dir / f"{ZIP_PREFIX}{uuid.uuid4().hex}{ZIP_SUFFIX}"
    try:
        with zipfile.ZipFile(target, "w", allowZip64=True) as archive:
            for path in files:
                kind = zipfile.ZIP_STORED if path.suffix.lower() in STORED_SUFFIXES else zipfile.ZIP_DEFLATED
                try:
                    archive.write(path, path.relative_to(session_dir).as_posix(), compress_type=kind)
                except FileNotFoundError:
                    continue
        yield target
    finally:
        target.unlink(missing_ok=True)


def remove_stale_zips(session_dir: Path, now: float) -> None:
    """Zips a crash left in the session's folder (runs_zip deletes its own)."""
    for path in Path(session_dir).glob(f"{ZIP_PREFIX}*{ZIP_SUFFIX}"):
        try:
            if now - path.stat().st_mtime > STALE_ZIP_SECONDS:
                path.unlink()
        except OSError:
            continue
