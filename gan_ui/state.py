"""The browser session: its id and language, its runs and photo sets (the server-wide registry: gan_core.server.registry)."""

from __future__ import annotations

import os
import re
from pathlib import Path

import streamlit as st

from gan_core import Dataset, Run, TrainConfig
from gan_core.data import session_sets
from gan_core.i18n import DEFAULT_LANGUAGE, LANGUAGE_NAMES, LANGUAGES
from gan_core.server import housekeeping
from gan_core.server.registry import RunRegistry
from gan_core.training.run import remove_run

SESSIONS_DIR_ENV = "GAN_SESSIONS_DIR"
RUN_PARAM = "run"  # ?run=<run id>: the run the train page shows
UPLOAD_PREFIX = "upload:"  # dataset choices in the UI: "upload:<dataset id>"


def sessions_root() -> Path:
    return Path(os.environ.get(SESSIONS_DIR_ENV) or "sessions").resolve()


@st.cache_resource
def registry() -> RunRegistry:
    reg = RunRegistry(sessions_root())
    reg.reattach_cluster_jobs()
    reg.cleanup_idle(force=True)  # what a restart finds: sessions past the retention go, the others reopen
    reg.start_worker()
    return reg


# --- the browser session ----------------------------------------------------------------------

SESSION_PARAM = "s"  # ?s=<id>.<hmac>: the session's key
KEYLESS_PAGES = ("projector",)  # pages whose address is shown to the room: never the key in it


IN_URL_KEY = "session.in_url"  # whether this page run keeps the key in the address (app.py decides per page)


def session_id(in_url: bool | None = None) -> str:
    """This browser session's id: kept in session state and mirrored, signed, in the URL (?s=<id>.<hmac>) so a reload
    or a bookmark reattaches. The address is the session's key: app.py passes in_url=False on a page whose address is
    shown to the room (the projector), which takes it out of the address for the rest of that page's runs while the
    session goes on in this tab as before; None keeps what app.py chose."""
    if in_url is None:
        in_url = st.session_state.get(IN_URL_KEY, True)
    st.session_state[IN_URL_KEY] = in_url
    reg = registry()
    sid = st.session_state.get("session_id")
    if sid is None:
        # Only an id this server issued and signed, whose session has written something, reattaches; anything
        # else (a made-up or tampered id, a link to a session that never existed) is a fresh session.
        sid = housekeeping.session_from_token(reg.root, st.query_params.get(SESSION_PARAM, "")) \
            or housekeeping.new_session_id()
        st.session_state["session_id"] = sid
        st.session_state["run_ids"] = reg.run_ids(sid)
        if st.session_state["run_ids"]:
            st.session_state["current_run"] = _run_to_show(sid, st.session_state["run_ids"])
    token = st.session_state.get("session_token") or housekeeping.session_token(reg.root, sid)
    st.session_state["session_token"] = token
    if not in_url:
        st.query_params.pop(SESSION_PARAM, None)
    elif st.query_params.get(SESSION_PARAM) != token:
        st.query_params[SESSION_PARAM] = token  # page switches clear the URL's parameters: put it back every run
    reg.touch(sid)  # seen now: the retention counts from here
    reg.cleanup_idle()
    return sid


def redact(text: str) -> str:
    """Text for a page with every server path under the sessions folder cut to what follows the session's id:
    tracebacks and low-level errors may name files, and a session's path holds its id (its key)."""
    root = registry().root
    for prefix in {str(root), str(root.resolve())}:
        text = re.sub(re.escape(prefix) + r"/[0-9a-f]{32}/?", "…/", text)
        text = text.replace(prefix, "…")
    return text


def say(message, lang: str) -> str:
    """A GanError's or Message's text for a page, without server paths."""
    return redact(message.text(lang))


def _run_to_show(sid: str, run_ids: list[str]) -> str:
    """After a reload: the run the address names (?run=), else the newest active one, else the newest."""
    wanted = st.query_params.get(RUN_PARAM, "")
    if wanted in run_ids:
        return wanted
    for run_id in reversed(run_ids):
        run = registry().get(sid, run_id)
        if run is not None and run.snapshot(history=False).active:
            return run_id
    return run_ids[-1]


def show_run_in_url(run_id: str) -> None:
    """The train page names the run it shows in the address, so a reload or a bookmark comes back to it."""
    if st.query_params.get(RUN_PARAM) != run_id:
        st.query_params[RUN_PARAM] = run_id


def language_from_url() -> str:
    """The language, taken once per browser session from ?lang= (a code or the selector's own label, which is
    what the bound selector writes there), so the very first draw is already in it."""
    if "lang" not in st.session_state:
        wanted = st.query_params.get("lang", "")
        for code in LANGUAGES:
            if wanted in (code, LANGUAGE_NAMES[code]):
                st.session_state["lang"] = code
    return language()


def on_a_phone() -> bool:
    """Whether this browser says it is a phone: "Mobi" in its User-Agent, the test MDN recommends (Android and iOS
    phones send "Mobile"; tablets and desktops do not). The server lays out a few things for it (a second Entrenar
    button at the top of the train form), which a style sent to the page would only hide after drawing them."""
    return "Mobi" in (st.context.headers.get("User-Agent") or "")


def language_in_url(lang: str) -> None:
    """The language in the address as its code, ?lang=en, on every page (page switches clear the URL's
    parameters); none for Spanish, the default. The sidebar's selector is not bound to the URL: a bound selector
    writes its label there (?lang=English)."""
    if lang == DEFAULT_LANGUAGE:
        st.query_params.pop("lang", None)
    elif st.query_params.get("lang") != lang:
        st.query_params["lang"] = lang


KEPT_CHOICES_KEY = "kept_choices"  # widget key -> value, for choices whose option labels are translated


def keep_choice(key: str) -> None:
    """Remember a choice drawn with translated option labels. The browser names a selectbox's or radio's choice
    by its label: after a language switch that label no longer exists and Streamlit would fall back to the
    first option. The language selector's callback puts these values back (keep_choices_across_languages)."""
    if key in st.session_state:
        st.session_state.setdefault(KEPT_CHOICES_KEY, {})[key] = st.session_state[key]


def keep_choices_across_languages() -> None:
    """on_change of the language selector: set every kept choice again, by value, before the page is redrawn."""
    for key, value in st.session_state.get(KEPT_CHOICES_KEY, {}).items():
        st.session_state[key] = value


def language() -> str:
    """The language chosen with the sidebar's selector (key "lang")."""
    lang = st.session_state.get("lang", DEFAULT_LANGUAGE)
    return lang if lang in LANGUAGES else DEFAULT_LANGUAGE


def session_run_ids() -> list[str]:
    return list(st.session_state.get("run_ids", []))


def current_run_id() -> str | None:
    run_id = st.session_state.get("current_run")
    return run_id if run_id in session_run_ids() else None


def set_current_run(run_id: str) -> None:
    st.session_state["current_run"] = run_id


def get_run(run_id: str) -> Run | None:
    return registry().get(session_id(), run_id)


def session_runs() -> list[Run]:
    """This session's runs, newest first."""
    runs = (get_run(run_id) for run_id in reversed(session_run_ids()))
    return [run for run in runs if run is not None]


def client_address() -> str | None:
    """This browser's address as the server sees it (None on the server's own machine): for the per-address cap on
    queued runs only. The registry keeps it in memory; it is never written to disk nor shown to students."""
    try:
        address = st.context.ip_address
    except Exception:  # noqa: BLE001 - no connection to ask (a script run without a browser)
        return None
    return address if isinstance(address, str) and address else None


def start_run(config: TrainConfig, dataset: Dataset | None = None, dataset_choice: str | None = None) -> Run:
    """Create (validates; raises GanError leaving nothing behind), register and queue a run for this session, under
    the class's limits (`dataset_choice` as the form names it); refused while the session has another run queued,
    running or paused, or its address as many as the server allows one address."""
    run = registry().start_run(session_id(), config, dataset, dataset_choice=dataset_choice, address=client_address())
    st.session_state["run_ids"] = session_run_ids() + [run.run_id]
    set_current_run(run.run_id)
    return run


def delete_run(run_id: str) -> None:
    """Remove one of this session's runs and its files; an active run is left alone."""
    run = get_run(run_id)
    if run is None or run.snapshot(history=False).active:
        return
    registry().forget(run_id)
    remove_run(run.directory)
    st.session_state["run_ids"] = [i for i in session_run_ids() if i != run_id]
    if st.session_state.get("current_run") == run_id:
        remaining = session_run_ids()
        st.session_state["current_run"] = remaining[-1] if remaining else None


def check_quota(session_id_: str, incoming_bytes: int = 0) -> None:
    """GanError('error.quota') when the session's files plus what is coming would pass housekeeping's quota;
    GanError('error.disk_budget') when the server's disk budget is reached and no other session may go to make room
    (RunRegistry.make_room, which removes those that may). Called before anything is written."""
    housekeeping.check_quota(registry().session_dir(session_id_), incoming_bytes,
                             quota_bytes=housekeeping.DEFAULT_QUOTA_BYTES)
    registry().make_room(session_id_, incoming_bytes)


def make_room(incoming_bytes: int) -> None:
    """Before this session writes incoming_bytes: the server's disk budget (RunRegistry.make_room), alone, for a
    writer that checks the session's quota itself (an uploaded generator replaces the previous one)."""
    registry().make_room(session_id(), incoming_bytes)


# --- the session's own photo datasets ---------------------------------------------------------

def _datasets_dir(session_id_: str) -> Path:
    return registry().session_dir(session_id_) / session_sets.FOLDER


def save_session_dataset(dataset: Dataset, display_name: str, skipped=(), skipped_total: int = 0) -> str:
    """This session's new photo set (gan_core.data.session_sets), within its quota; returns the set's id."""
    check_quota(session_id(), dataset.images.nbytes)
    return session_sets.save(_datasets_dir(session_id()), dataset, display_name, skipped, skipped_total)


def session_datasets() -> dict[str, dict]:
    """dataset id -> its metadata, for this session's uploads (newest last)."""
    return session_sets.listing(_datasets_dir(session_id()))


def delete_session_dataset(dataset_id: str) -> None:
    session_sets.delete(_datasets_dir(session_id()), dataset_id)


def session_dataset_path(dataset_id: str) -> Path | None:
    return session_sets.path(_datasets_dir(session_id()), dataset_id)
