"""The teacher's view: every running and queued job on the server, machine load, and a stop button per job;
the sign-in that guards it (gan_core.server.signin: the password gate, the console's one-time link, the sessions
remembered as signed in)."""

from __future__ import annotations

import os
import time

import streamlit as st

from gan_core.i18n import tr
from gan_core.server import classroom, retention, signin
from gan_core.training.run import ACTIVE_STATES
from gan_ui import state
from gan_ui.retention_view import duration, format_date
from gan_ui.widgets import dataset_label, epoch_count

MIN_PASSWORD_CHARS = 10
SIGNIN_PARAM = "signin"  # /teacher?signin=<token>: the one-time link the console prints
SIGNED_IN_KEY = "teacher.ok"  # in session state: this browser session is the teacher's (what other views check)


@st.cache_resource
def password_gate() -> signin.PasswordGate:
    return signin.PasswordGate()


@st.cache_resource
def signin_link() -> signin.SigninLink:
    return signin.SigninLink()


@st.cache_resource
def signed_in_sessions() -> signin.SignedInSessions:
    return signin.SignedInSessions()


def client_address() -> str:
    """The browser's address as the server sees it (signin.LOCAL on the server itself). Behind one NAT or a
    reverse proxy many browsers share one: the gate's per-session scope still tells them apart."""
    return st.context.ip_address or signin.LOCAL


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
    except OSError:  # a sessions folder the server cannot write: the password stays off, and says why
        return None, False


def server_host() -> str:
    """The host students use, as Streamlit's own start-up lines choose it: browser.serverAddress or a specific
    server.address when set, else this machine's network address (Streamlit's "Network URL",
    streamlit.net_util.get_internal_ip), localhost only when there is none."""
    from streamlit import config

    if config.is_manually_set("browser.serverAddress"):
        return st.get_option("browser.serverAddress")
    address = st.get_option("server.address")
    if config.is_manually_set("server.address") and address and address not in ("0.0.0.0", "::"):  # noqa: S104
        return address
    try:
        from streamlit import net_util

        return net_util.get_internal_ip() or "localhost"
    except Exception:  # noqa: BLE001 - an internal helper; the console line must never fail the page
        return "localhost"


def teacher_url(query: str = "") -> str:
    """The teacher page's address from a student's or the teacher's laptop (not localhost), with `query`."""
    from streamlit import config

    scheme = "https" if st.get_option("server.sslCertFile") else "http"
    port = st.get_option("browser.serverPort" if config.is_manually_set("browser.serverPort") else "server.port")
    base = (st.get_option("server.baseUrlPath") or "").strip("/")
    return f"{scheme}://{server_host()}:{port}/{base + '/' if base else ''}teacher{'?' + query if query else ''}"


def print_signin_link() -> None:
    """The console's one-time sign-in link (a new one after each use): the person at the server always has one."""
    print(f"  Teacher sign-in link (works once; a new one is printed after each use): "
          f"{teacher_url(f'{SIGNIN_PARAM}={signin_link().current()}')}", flush=True)


@st.cache_resource(show_spinner=False)
def log_hint_once() -> bool:
    """Lines in the server's console at the first page load (`streamlit run` opens a browser at start, so that is at
    start): where the teacher view is, the one-time sign-in link and, when the server made the password, the
    password itself, as Jupyter prints its token (the console is in English, like every log)."""
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
        print("  Teacher password: off (the sessions folder is not writable). Set teacher_password = \"...\" in "
              ".streamlit/secrets.toml to turn it on.", flush=True)
    print_signin_link()
    return True


def restore_sign_in(session_id: str) -> None:
    """Every page run (app.py, after state.session_id): this browser session is the teacher's exactly while the
    server remembers its session id as signed in, so a reload or the address reopened keeps the teacher signed in
    until it expires, and an expired or signed-out one is no longer the teacher's on any page."""
    if signed_in_sessions().holds(session_id):
        st.session_state[SIGNED_IN_KEY] = True
    else:
        st.session_state.pop(SIGNED_IN_KEY, None)


def _sign_in_here() -> None:
    """Remember this browser session as the teacher's. Its folder is made now, so that its address (?s=) reopens
    this very session after a reload (an address reattaches only to a session that wrote something)."""
    sid = state.session_id()
    try:
        state.registry().session_dir(sid).mkdir(parents=True, exist_ok=True)
    except OSError:  # a sessions folder the server cannot write: signed in until this tab closes
        pass
    signed_in_sessions().remember(sid)
    st.session_state[SIGNED_IN_KEY] = True


def sign_out(lang: str) -> None:
    if st.button(tr("teacher.sign_out", lang), key="teacher.sign_out", icon=":material/logout:"):
        signed_in_sessions().forget(state.session_id())
        st.session_state.pop(SIGNED_IN_KEY, None)
        st.rerun()


def _link_in_address(lang: str) -> bool:
    """A ?signin= in the address: taken out of it at once (it must not stay in the address bar, history or a
    projected screen), and the session signed in if it is the console's current link. A used or made-up one
    says so and changes nothing."""
    token = st.query_params.get(SIGNIN_PARAM)
    if token is None:
        return False
    del st.query_params[SIGNIN_PARAM]
    if signin_link().consume(token):
        _sign_in_here()
        print_signin_link()
        return True
    st.error(tr("teacher.link_used", lang), icon=":material/link_off:")
    return False


def signed_in(lang: str) -> bool:
    """The teacher's browser session: signed in by the console's one-time link, or by the password (from
    .streamlit/secrets.toml, else the one this server made) through the gate; remembered by its session id."""
    if _link_in_address(lang) or st.session_state.get(SIGNED_IN_KEY):
        return True
    password, generated = teacher_password()
    if not password:
        st.info(tr("teacher.disabled", lang), icon=":material/lock:")
        return False
    if len(str(password).strip()) < MIN_PASSWORD_CHARS:
        st.warning(tr("teacher.too_short", lang, minimum=MIN_PASSWORD_CHARS), icon=":material/lock:")
        return False
    if generated:
        st.caption(tr("teacher.generated", lang))
    gate, sid, address = password_gate(), state.session_id(), client_address()
    with st.form("teacher.login"):
        attempt = st.text_input(tr("teacher.password", lang), type="password")
        if st.form_submit_button(tr("teacher.enter", lang)):
            outcome = gate.attempt(attempt, password, sid, address)
            if outcome == "ok":
                _sign_in_here()
                st.rerun()
            if outcome == "wrong":
                st.error(tr("teacher.wrong", lang))
        seconds = gate.seconds_locked(sid, address)
        if seconds:
            st.error(tr("teacher.locked", lang, minutes=max(1, round(seconds / 60))), icon=":material/timer:")
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
    """Every queued, running or paused job, grouped by session (RunRegistry.by_session: the sessions of one client
    address next to each other, so one person with many sessions stands out), with a button that cancels a whole
    session and a stop button per job."""
    machine(lang)
    runs = [run for run in state.registry().all_runs() if run.snapshot(history=False).state in ACTIVE_STATES]
    if not runs:
        st.info(tr("teacher.no_jobs", lang))
        return
    now = time.time()
    waits = {job.run_id: now - job.queued_at for job in state.registry().queue().jobs()["queued"]}
    sessions = state.registry().by_session(runs)
    per_address = {}
    for _, address, _ in sessions:
        per_address[address] = per_address.get(address, 0) + 1
    header = st.columns(JOB_COLUMNS)
    for column, key in zip(header, ("run", "student", "recipe", "state", "progress", "action")):
        column.markdown(f"**{tr('teacher.col.' + key, lang)}**")
    for owner, address, session_runs in sessions:
        _session_header(owner, address, per_address[address], lang)
        for run in session_runs:
            _job_row(run, waits, lang)


def _session_header(owner: str, address: str | None, sessions_at_address: int, lang: str) -> None:
    """A session's line: its short name, where it connects from (for the teacher only: the address stays in the
    server's memory) and a button that cancels every job of that session, and only those."""
    registry = state.registry()
    with st.container(horizontal=True, vertical_alignment="center"):
        st.markdown(f"**{tr('teacher.session', lang, session=owner[:8])}**")
        if address:
            st.caption(tr("teacher.address", lang, address=address, sessions=sessions_at_address))
        if st.button(tr("teacher.cancel_session", lang), key=f"teacher.cancel.{registry.session_tag(owner)}",
                     icon=":material/cancel:", help=tr("teacher.cancel_session_help", lang)):
            registry.stop_session(owner)
            st.rerun()  # not scope="fragment": that raises whenever this runs inside a full-page run


def _job_row(run, waits: dict, lang: str) -> None:
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
    row[4].progress(snap.progress, text=epoch_count(snap))
    if row[5].button(tr("teacher.stop", lang), key=f"teacher.stop.{run.run_id}", icon=":material/stop:"):
        run.stop()
        st.rerun()  # not scope="fragment": that raises whenever this runs inside a full-page run


NEXT_TO_GO_SHOWN = 10


def disk(lang: str) -> None:
    """The sessions against the server's disk budget (gan_core.server.retention): space used, the budget, the disk's
    free space, how long a session is kept, and the sessions that would go next to make room, in that order."""
    report = state.registry().disk_state()
    used, budget, free, count = st.columns(4)
    used.metric(tr("disk.used", lang), f"{report.used / 1e9:.2f} GB")
    budget.metric(tr("disk.budget", lang), f"{report.budget / 1e9:.2f} GB")
    free.metric(tr("disk.free", lang), f"{report.free / 1e9:.1f} GB")
    count.metric(tr("disk.sessions", lang), len(report.sessions))
    if report.budget:
        st.progress(min(1.0, report.used / report.budget), text=f"{report.used / report.budget:.0%}")
    st.caption(tr("disk.explain", lang, duration=duration(report.retention, lang),
                  hours=f"{retention.EVICTION_GRACE_SECONDS / 3600:g}"))
    st.markdown(f"**{tr('disk.next', lang)}**")
    if not report.next_to_go:
        st.info(tr("disk.none_next", lang), icon=":material/check:")
        return
    st.dataframe([{tr("disk.col.session", lang): session.session_id[:8],
                   tr("disk.col.seen", lang): format_date(session.last_seen, lang),
                   tr("disk.col.size", lang): round(session.bytes / 1e6, 1),
                   tr("disk.col.runs", lang): session.runs,
                   tr("disk.col.expires", lang): format_date(session.last_seen + report.retention, lang)}
                  for session in report.next_to_go[:NEXT_TO_GO_SHOWN]], hide_index=True)


@st.cache_resource
def device_check():
    """The server's one device check (gan_core.training.doctor.BackgroundCheck), shared by the teacher's sessions."""
    from gan_core.training.doctor import BackgroundCheck

    return BackgroundCheck()


def device_check_panel(lang: str) -> None:
    """A button that runs `python -m gan_core doctor` in a subprocess, and its report: framework, device, whether a
    compiled step works and the images per second of each preset family."""
    _training_slots(lang)
    check = device_check()
    if st.button(tr("doctor.button", lang), key="teacher.doctor", icon=":material/speed:"):
        check.start()
    _device_check_result(lang)


def _training_slots(lang: str) -> None:
    """How many trainings run at once and why (gan_core.server.scheduler.slots_and_reason), with the measurement it
    came from when there is one (`python -m gan_core doctor --slots`)."""
    from gan_core.server.scheduler import slots_and_reason
    from gan_core.training import device, doctor

    _, why = slots_and_reason()
    st.markdown(why.text(lang))
    advice = doctor.read_slots(device.configure()["gpus"])
    if advice is not None:
        st.caption("  \n".join(doctor.describe_slots(advice, lang)))


@st.fragment(run_every=2.0)
def _device_check_result(lang: str) -> None:
    from gan_core.training import doctor

    status, result = device_check().state()
    if status == "running":
        st.info(tr("doctor.running", lang), icon=":material/hourglass_top:")
    elif status == "failed":
        st.error(str(result))
    elif status == "done":
        lines = doctor.describe(result, lang)
        st.markdown("\n\n".join(lines[:-len(result.rates) - 1]))
        st.caption(lines[-len(result.rates) - 1])
        st.dataframe(doctor.table(result, lang), hide_index=True, key="teacher.doctor_table")
