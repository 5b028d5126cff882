"""Session disk quota and idle clean-up."""

import os
import time
import uuid

import pytest

from gan_core import GanError
from gan_core.server.housekeeping import (
    check_quota,
    cleanup_idle_sessions,
    directory_bytes,
    touch_session,
)


def make_session(root, size=1000, age_seconds=0.0):
    folder = root / uuid.uuid4().hex
    (folder / "runs").mkdir(parents=True)
    (folder / "runs" / "data.bin").write_bytes(b"x" * size)
    touch_session(folder)
    seen = time.time() - age_seconds
    os.utime(folder / ".last_seen", (seen, seen))
    return folder


def test_quota_counts_files_and_refuses_what_would_overflow(tmp_path):
    session = make_session(tmp_path, size=4000)
    assert directory_bytes(session) == 4000
    check_quota(session, incoming_bytes=500, quota_bytes=5000)
    with pytest.raises(GanError) as caught:
        check_quota(session, incoming_bytes=2000, quota_bytes=5000)
    assert caught.value.message.key == "error.quota" and "MB" in caught.value.text("es")


def test_idle_sessions_are_removed_unless_busy_or_recent(tmp_path):
    idle = make_session(tmp_path, age_seconds=7200)
    busy = make_session(tmp_path, age_seconds=7200)
    recent = make_session(tmp_path, age_seconds=60)
    stranger = tmp_path / "not-a-session"
    stranger.mkdir()
    os.utime(stranger, (0, 0))
    removed = cleanup_idle_sessions(tmp_path, busy_sessions={busy.name}, max_idle_seconds=3600)
    assert removed == [idle.name]
    assert not idle.exists() and busy.exists() and recent.exists() and stranger.exists()


def test_a_page_run_writes_the_sessions_last_seen_file_at_most_once_a_minute(tmp_path):
    """Every page run of every student says "seen now"; the file is written the first time, then at most every
    TOUCH_SECONDS (retention counts in hours and days), and not before the session has a folder."""
    from gan_core.server.registry import TOUCH_SECONDS, RunRegistry

    clock = {"now": 1_000_000.0}
    registry = RunRegistry(tmp_path, clock=lambda: clock["now"])
    session_id = uuid.uuid4().hex
    registry.touch(session_id)  # a visit alone: no folder, nothing written, nothing remembered
    assert not (tmp_path / session_id).exists()
    (tmp_path / session_id).mkdir()
    marker = tmp_path / session_id / ".last_seen"
    registry.touch(session_id)
    assert marker.stat().st_mtime == 1_000_000.0, "the first page run after the folder exists writes it"
    clock["now"] += TOUCH_SECONDS / 2
    registry.touch(session_id)
    assert marker.stat().st_mtime == 1_000_000.0, "not again within the minute"
    clock["now"] += TOUCH_SECONDS
    registry.touch(session_id)
    assert marker.stat().st_mtime == clock["now"]
