"""What the server keeps, on the pages: the sidebar's date until which this session's files are kept, with every run
in one zip to take home before then (gan_core.server.retention)."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import streamlit as st

from gan_core import GanError
from gan_core.i18n import tr
from gan_core.server import housekeeping, retention
from gan_ui import state

ZIP_LOCK = threading.Lock()  # one download-all zip written at a time, server-wide: disk and CPU for the others


def format_date(timestamp: float, lang: str) -> str:
    """A calendar day as the reader writes it (the order is in the translation table)."""
    day = time.localtime(timestamp)
    return tr("app.date", lang, day=f"{day.tm_mday:02d}", month=f"{day.tm_mon:02d}", year=day.tm_year)


def duration(seconds: float, lang: str) -> str:
    """A retention in words: whole days, or hours below a day."""
    if seconds == retention.DAY_SECONDS:
        return tr("app.one_day", lang)
    if seconds > retention.DAY_SECONDS:
        return tr("app.days", lang, count=f"{seconds / retention.DAY_SECONDS:.3g}")
    if seconds == 3600:
        return tr("app.one_hour", lang)
    return tr("app.hours", lang, count=f"{seconds / 3600:.3g}")


def sidebar(lang: str) -> None:
    """Under the sidebar's note on the address: until when this session's files are kept (its last visit, now, plus
    the retention) and, when it has runs, one button for all of them in a zip."""
    registry = state.registry()
    sid = state.session_id()
    st.sidebar.caption(tr("app.kept_until", lang, date=format_date(registry.kept_until(sid), lang),
                          duration=duration(registry.retention_seconds(), lang)))
    if not state.session_runs():  # runs this session owns, as the registry knows them
        return
    session_dir = registry.session_dir(sid)
    try:  # the zip needs as much room as the runs: say so here rather than fail after the click
        housekeeping.check_free_space(session_dir, housekeeping.directory_bytes(session_dir / "runs"))
    except GanError as exc:
        st.sidebar.caption(state.say(exc, lang))
        return
    stamp = time.strftime("%Y%m%d", time.localtime(registry.clock()))
    st.sidebar.download_button(tr("app.download_all", lang), data=lambda: runs_zip_bytes(session_dir),
                               file_name=f"aula-gan-{stamp}.zip", mime="application/zip", key="app.download_all",
                               on_click="ignore", icon=":material/download:", help=tr("app.download_all_help", lang))


def runs_zip_bytes(session_dir: Path) -> bytes:
    """Every run of the session in one zip (retention.runs_zip), made when the button is clicked: written member by
    member to a temporary file in the session's folder, read back once for Streamlit (its download button sends
    bytes it holds) and deleted."""
    with ZIP_LOCK, retention.runs_zip(session_dir) as path:
        return path.read_bytes()
