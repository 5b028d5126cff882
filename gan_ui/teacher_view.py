"""The teacher's view: every running and queued job on the server, machine load, and a stop button per job;
the password that guards it."""

from __future__ import annotations

import hmac
import os
import threading
import time

import streamlit as st

from gan_core.i18n import tr
from gan_core.server import classroom
from gan_core.training.run import ACTIVE_STATES
from gan_ui import state
from gan_ui.widgets import dataset_label

MIN_PASSWORD_CHARS = 10
MAX_FAILURES = 5  # wrong passwords in a row, server-wide, before the form locks
LOCKOUT_SECONDS = 60.0  # the first lockout; each further one doubles, up to MAX_LOCKOUT_SECONDS
MAX_LOCKOUT_SECONDS = 900.0


class PasswordGate:
    """Wrong guesses are counted for the whole server (a new browser session would reset a per-session count):
    after MAX_FAILURES in a row the form refuses every attempt, right or wrong, for a while that doubles each time.
    A student can lock the teacher out for that long at most; the teacher gets in once it has passed."""

    def __init__(self, clock=time.monotonic):
        self._clock = clock
        self._lock = threading.Lock()
        self._failures = 0
        self._lockouts = 0
        self._locked_until = 0.0

    def seconds_locked(self) -> float:
        with self._lock:
            return max(0.0, self._locked_until - self._clock())

    def attempt(self, given: str, password: str) -> str:
        """"ok", "wrong" or "locked" (then the password was not even compared)."""
        with self._lock:
            now = self._clock()
            if now < self._locked_until:
                return "locked"
            if hmac.compare_digest(str(given).encode(), str(password).encode()):
                self._failures = self._lockouts = 0
                return "ok"
            self._failures += 1
            if self._failures >= MAX_FAILURES:
                self._failures = 0
                self._lockouts += 1
                self._locked_until = now + min(LOCKOUT_SECONDS * 2 ** (self._lockouts - 1), MAX_LOCKOUT_SECONDS)
            return "wrong"


@st.cache_resource
def password_gate() -> PasswordGate:
    return PasswordGate()


def configured_password() -> str | None:
    try:
        return st.secrets.get("teacher_password")
    except (FileNotFoundError, KeyError, AttributeError):
        return None
    except Exception:  # noqa: BLE001 - no secrets file at all
        return None


def teacher_password() -> tuple[str | None, bool]:
    """(the password, whether it was generated): teacher_password from secrets wins; without one, the password this
    server made on first start (gan_core.server.classroom.generated_password, in the sessions folder, mode 0600)."""
    configured = configured_password()
    if configured:
        return configured, False
    try:
        return classroom.generated_password(state.sessions_root())[0], True
    except OSError:  # a sessions folder the server cannot write: the view stays off, and says why
        return None, False


def teacher_url() -> str:
    """The teacher page's address as the server's own "URL:" line gives it."""
    host = st.get_option("server.address") or st.get_option("browser.serverAddress") or "localhost"
    port = st.get_option("server.port") or 8501
    base = (st.get_option("server.baseUrlPath") or "").strip("/")
    return f"http://{host}:{port}/{base + '/' if base else ''}teacher"


@st.cache_resource(show_spinner=False)
def log_hint_once() -> bool:
    """Lines in the server's console at the first page load (`streamlit run` opens a browser at start, so that is at
    start): where the teacher view is and, when the server made the password, the password itself, as Jupyter
    prints its token (the console is in English, like every log)."""
    password, generated = teacher_password()
    if password and generated:
        path = state.sessions_root() / classroom.PASSWORD_FILE
        print(f"  Teacher view: {teacher_url()}\n"
              f"  Teacher password: {password}\n"
              f"  (made for this server and kept in {path}; set teacher_password in .streamlit/secrets.toml to choose "
              "your own)", flush=True)
    elif password:
        print(f"  Teacher view: {teacher_url()}, with teacher_password from .streamlit/secrets.toml.", flush=True)
    else:
        print("  Teacher view: off (the sessions folder is not writable). Set teacher_password = \"...\" in "
              ".streamlit/secrets.toml to turn it on.", flush=True)
    return True


def signed_in(lang: str) -> bool:
    """Password from .streamlit/secrets.toml (teacher_password), else the one this server made; kept signed in for
    this browser session."""
    password, generated = teacher_password()
    if not password:
        st.info(tr("teacher.disabled", lang), icon=":material/lock:")
        return False
    if len(str(password).strip()) < MIN_PASSWORD_CHARS:
        st.warning(tr("teacher.too_short", lang, minimum=MIN_PASSWORD_CHARS), icon=":material/lock:")
        return False
    if st.session_state.get("teacher.ok"):
        return True
    if generated:
        st.caption(tr("teacher.generated", lang))
    gate = password_gate()
    with st.form("teacher.login"):
        attempt = st.text_input(tr("teacher.password", lang), type="password")
        if st.form_submit_button(tr("teacher.enter", lang)):
            outcome = gate.attempt(attempt, password)
            if outcome == "ok":
                st.session_state["teacher.ok"] = True
                st.rerun()
            if outcome == "wrong":
                st.error(tr("teacher.wrong", lang))
        if gate.seconds_locked():
            st.error(tr("teacher.locked", lang, seconds=round(gate.seconds_locked())), icon=":material/timer:")
    return False


def machine(lang: str) -> None:
    import psutil

    from gan_core.training import device

    process = psutil.Process(os.getpid())
    cpu, memory, server, threads = st.columns(4)
    cpu.metric(tr("teacher.cpu", lang), f"{psutil.cpu_percent(interval=None):.0f} %")
    memory.metric(tr("teacher.memory", lang), f"{psutil.virtual_memory().percent:.0f} %")
    server.metric(tr("teacher.server_memory", lang), f"{process.memory_info().rss / 1e9:.2f} GB")
    threads.metric(tr("teacher.threads", lang), process.num_threads())
    st.caption(tr("teacher.device", lang, device=device.description(),
                  slots=state.registry().queue().max_concurrent))


# The jobs table's column widths: the run id wraps in a caption, and the action column fits "Detener" with its icon
# (at [3, 2, 2, 2, 2, 1] a 1400 px screen cut the id and showed the button as "D.", issue #26).
JOB_COLUMNS = [3, 1.5, 3, 2, 2, 2]


@st.fragment(run_every=2.0)
def jobs(lang: str) -> None:
    machine(lang)
    runs = [run for run in state.registry().all_runs() if run.snapshot(history=False).state in ACTIVE_STATES]
    if not runs:
        st.info(tr("teacher.no_jobs", lang))
        return
    now = time.time()
    waits = {job.run_id: now - job.queued_at for job in state.registry().queue().jobs()["queued"]}
    header = st.columns(JOB_COLUMNS)
    for column, key in zip(header, ("run", "student", "recipe", "state", "progress", "action")):
        column.markdown(f"**{tr('teacher.col.' + key, lang)}**")
    for run in sorted(runs, key=lambda r: r.run_id):
        snap = run.snapshot()
        row = st.columns(JOB_COLUMNS, vertical_alignment="center")
        row[0].caption(run.run_id)  # wraps at its hyphens; a code block cut it off at 1400 px
        row[1].write(run.owner[:8])
        row[2].write(f"{run.config.preset} · {dataset_label(run.config.dataset, lang)}")
        status = tr(f"state.{snap.state.value}", lang)
        if snap.queue_position:
            status += f" #{snap.queue_position} ({waits.get(run.run_id, 0):.0f} s)"
        row[3].write(status)
        if snap.node:
            row[3].caption(tr("teacher.node", lang, node=snap.node))
        row[4].progress(snap.progress, text=f"{snap.epoch}/{snap.total_epochs}")
        if row[5].button(tr("teacher.stop", lang), key=f"teacher.stop.{run.run_id}", icon=":material/stop:"):
            run.stop()
            st.rerun()  # not scope="fragment": that raises whenever this runs inside a full-page run
