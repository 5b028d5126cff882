"""The class on the pages: exercise links, class limits, the gallery of shared runs and the projector view."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from typing import NamedTuple
from urllib.parse import urlsplit, urlunsplit

import streamlit as st

from gan_core import PRESETS, GanError, Run
from gan_core.i18n import tr
from gan_core.server import classroom, retention
from gan_core.training.run import ACTIVE_STATES, RunState
from gan_core.training.settings import AUTO, MAX_EPOCHS, MAX_MINUTES
from gan_ui import charts, state
from gan_ui.retention_view import duration
from gan_ui.widgets import BUILTIN_CHOICES, bundled_sources, dataset_label, epoch_count, state_badge

EXERCISE_PARAM = "ex"  # ?ex=<payload>.<signature> on the train page
SHOW_PARAM = "show"  # ?show=<share id> on the projector page
EXERCISE_KEY = "exercise"  # the exercise this session opened (dict), for the train form
EXERCISE_TOKEN_KEY = "exercise.token"  # the link already handled in this session (applied once, not every rerun)
EXERCISE_ERROR_KEY = "exercise.error"
LINK_KEY = "exercise.link"  # the link the teacher just made, or the reason it could not be made
# app.py's url_paths (tests/test_settings.py reads app.py to keep them equal)
PAGE_PATHS = ("train", "runs", "data", "explore", "learn", "playground", "gallery", "projector", "teacher")
GALLERY_WATCH_SECONDS = 10.0  # while a shared run is queued, paused or training: whether cards came or went, or one began to train (no drawing)
GALLERY_IDLE_WATCH_SECONDS = 30.0  # while none is: only whether shares came or went, so a new one shows up
GALLERY_REDRAW_SECONDS = 30.0  # a gallery page is drawn again (new shares, a run that began to train) at most this often
CARD_SECONDS = 10.0  # a card whose run trains: a gallery follows epochs, not steps
CARD_REBUILD_SECONDS = 15.0  # a training run's card content is made again for new steps at most this often
CARD_WAIT_SECONDS = 30.0  # the longest a viewer waits for another to make a card it never had (then makes it too)
PROJECTOR_REFRESH_SECONDS = 1.0  # while the projected run is active


def teacher_signed_in() -> bool:
    return bool(st.session_state.get("teacher.ok"))


def class_limits() -> classroom.ClassLimits:
    return classroom.load_limits(state.sessions_root())


@st.cache_resource(show_spinner=False)
def gallery() -> classroom.Gallery:
    """One gallery for the server (shared by every session; the object is thread-safe)."""
    return classroom.Gallery(state.sessions_root())


# --- exercise links -----------------------------------------------------------------------------------------

def exercise_from_url(lang: str, on_open=None) -> dict | None:
    """The exercise this session works on. A link in ?ex= is checked once per session: signature, then every value
    against the form's own choices and ranges and TrainConfig.validate, then the class limits. A good one is given
    to `on_open` (the train form's prefill: the form owns its widgets) once; a bad one fills nothing and leaves a
    message."""
    token = st.query_params.get(EXERCISE_PARAM)
    if token and st.session_state.get(EXERCISE_TOKEN_KEY) != token:
        st.session_state[EXERCISE_TOKEN_KEY] = token
        try:
            exercise = classroom.open_exercise(state.sessions_root(), token)
            check_exercise(exercise, class_limits())
        except GanError as exc:
            st.session_state.pop(EXERCISE_KEY, None)
            st.session_state[EXERCISE_ERROR_KEY] = exc.message
        else:
            if on_open is not None:
                on_open(exercise)
            st.session_state[EXERCISE_KEY] = exercise
            st.session_state.pop(EXERCISE_ERROR_KEY, None)
    error = st.session_state.get(EXERCISE_ERROR_KEY)
    if error is not None:
        st.error(error.text(lang), icon=":material/link_off:")
    return st.session_state.get(EXERCISE_KEY)


def check_exercise(exercise: dict, limits: classroom.ClassLimits) -> None:
    """The engine's exercise check (gan_core.server.classroom), with the bundled generators this server has."""
    classroom.check_exercise(exercise, limits, init_sources=bundled_sources())


def exercise_banner(exercise: dict | None, lang: str) -> None:
    if exercise is None:
        return
    locked = [field_label(name, lang) for name in exercise["locked"]]
    text = tr("exercise.opened", lang)
    if locked:
        text += " " + tr("exercise.locked", lang, fields=", ".join(locked))
    if exercise["hidden"]:
        text += " " + tr("exercise.hidden", lang, count=len(exercise["hidden"]))
    st.info(text, icon=":material/assignment:")


def field_label(name: str, lang: str) -> str:
    """A form field's name in words, for the lock choices and the exercise banner."""
    if name in ("dataset", "preset"):
        return tr(f"train.{name}", lang)
    if name[:2] in ("g_", "d_") and name != "d_steps":
        who = "G" if name[0] == "g" else "D"
        what = {"name": "hp.optimizer", "lr": "hp.learning_rate", "beta1": "hp.beta1"}[name[2:]]
        return f"{who} · {tr(what, lang)}"
    return tr(f"hp.{name}", lang)


def lock_choices(fields: list[str], lang: str) -> tuple[list[str], list[str]]:
    """Inside the form, for a signed-in teacher only: which fields the link locks and which it hides."""
    if not teacher_signed_in():
        return [], []
    left, right = st.columns(2)
    locked = left.multiselect(tr("exercise.lock", lang), fields, key="exercise.lock_fields",
                              format_func=lambda name: field_label(name, lang), help=tr("exercise.lock_help", lang),
                              placeholder=tr("exercise.none", lang), select_all=False)
    hidden = right.multiselect(tr("exercise.hide", lang), fields, key="exercise.hide_fields",
                               format_func=lambda name: field_label(name, lang), help=tr("exercise.hide_help", lang),
                               placeholder=tr("exercise.none", lang), select_all=False)
    return locked, [name for name in hidden if name not in locked]


def make_exercise_link(dataset_choice: str, preset_name: str, values: dict, locks, lang: str) -> None:
    """Sign the form's values as an exercise link (after the same checks a student's browser will make). Only the
    signed-in teacher may: anyone else gets the reason and no link (the form shows the button to the teacher only,
    and this holds whoever calls it)."""
    if not teacher_signed_in():
        st.session_state[LINK_KEY] = GanError("error.exercise_teacher_only").message
        return
    locked, hidden = locks
    exercise = {"dataset": dataset_choice, "preset": preset_name, "values": dict(values), "locked": list(locked),
                "hidden": list(hidden)}
    own = str(values.get("init_from") or "")
    if dataset_choice not in BUILTIN_CHOICES or (own not in (AUTO, "") and not own.startswith("pretrained/")):
        st.session_state[LINK_KEY] = GanError("error.exercise_own").message  # a session's own photos or run
        return
    try:
        check_exercise(exercise, classroom.ClassLimits())  # the class's limits apply when it is opened
    except GanError as exc:
        st.session_state[LINK_KEY] = exc.message
        return
    token = classroom.sign_exercise(state.sessions_root(), exercise)
    st.session_state[LINK_KEY] = exercise_url(token, lang)


def exercise_url(token: str, lang: str) -> str:
    """The train page's address (as this browser sees the server) with only the exercise and the language: no ?s=,
    so whoever opens it gets a fresh session of their own."""
    scheme, host, path, _, _ = urlsplit(st.context.url or "http://localhost:8501/")
    segments = path.rstrip("/").split("/")
    if segments[-1] in PAGE_PATHS:  # the train page is the app's default page: its address is the app's root
        segments = segments[:-1]
    return urlunsplit((scheme, host, "/".join(segments) + "/", f"{EXERCISE_PARAM}={token}&lang={lang}", ""))


def show_exercise_link(lang: str) -> None:
    made = st.session_state.get(LINK_KEY)
    if made is None:
        return
    if isinstance(made, str):
        st.success(tr("exercise.ready", lang), icon=":material/link:")
        st.code(made, language=None, wrap_lines=True)
    else:
        st.error(state.say(made, lang), icon=":material/link_off:")


# --- class limits ------------------------------------------------------------------------------------------

def limits_caption(limits: classroom.ClassLimits, lang: str) -> None:
    """What the teacher limits, said before the student picks anything."""
    if not limits.active:
        return
    parts = []
    if limits.max_epochs:
        parts.append(tr("limits.say_epochs", lang, limit=limits.max_epochs))
    if limits.max_minutes:
        parts.append(tr("limits.say_minutes", lang, limit=f"{limits.max_minutes:g}"))
    if limits.image_size:
        parts.append(tr("limits.say_size", lang, limit=limits.image_size))
    if limits.presets or limits.datasets:
        parts.append(tr("limits.say_choices", lang))
    st.caption(":material/school: " + tr("limits.say", lang, limits="; ".join(parts)))


def limits_form(lang: str) -> None:
    """The teacher's class limits, saved server-side for every new run. Every control has a key: without one a
    control's identity includes its default, which a save changes, so the next change in the same visit was lost
    (the form showed the saved value again and saved it once more)."""
    limits = class_limits()
    datasets = list(BUILTIN_CHOICES) + [classroom.UPLOADS]
    with st.form("teacher.limits"):
        left, middle, right = st.columns(3)
        max_epochs = left.number_input(tr("limits.max_epochs", lang), 0, MAX_EPOCHS, int(limits.max_epochs),
                                       help=tr("limits.zero_none", lang), key="teacher.limits.max_epochs")
        max_minutes = middle.number_input(tr("limits.max_minutes", lang), 0.0, MAX_MINUTES, float(limits.max_minutes),
                                          step=1.0, help=tr("limits.zero_none", lang), key="teacher.limits.max_minutes")
        image_size = right.selectbox(tr("limits.image_size", lang), classroom.IMAGE_SIZE_LIMITS,
                                     index=classroom.IMAGE_SIZE_LIMITS.index(limits.image_size),
                                     format_func=lambda size: f"{size}×{size}" if size else tr("limits.none", lang),
                                     key="teacher.limits.image_size")
        # Our placeholder, and no "Select all" (Streamlit's English): an empty choice already means all of them
        presets = st.multiselect(tr("limits.presets", lang), list(PRESETS), default=limits.presets,
                                 help=tr("limits.empty_all", lang), placeholder=tr("limits.all_presets", lang),
                                 select_all=False, key="teacher.limits.presets")
        chosen = st.multiselect(tr("limits.datasets", lang), datasets,
                                default=[d for d in limits.datasets if d in datasets],
                                help=tr("limits.empty_all", lang), placeholder=tr("limits.all_datasets", lang),
                                select_all=False, key="teacher.limits.datasets", format_func=lambda d: tr("limits.uploads", lang) if d == classroom.UPLOADS
                                else dataset_label(d, lang))
        retention_days, disk_budget_gb = keep_inputs(limits, lang)
        saved = st.form_submit_button(tr("limits.save", lang), icon=":material/save:", type="primary")
    if saved:
        try:
            classroom.save_limits(state.sessions_root(), classroom.ClassLimits(
                int(max_epochs), float(max_minutes), list(presets), list(chosen), int(image_size),
                retention_days=int(retention_days), disk_budget_gb=float(disk_budget_gb)))
        except GanError as exc:
            st.error(state.say(exc, lang))
        else:
            st.success(tr("limits.saved", lang), icon=":material/check:")


def keep_inputs(limits: classroom.ClassLimits, lang: str) -> tuple[int, float]:
    """Inside the limits form: how many days a session's files are kept after its last visit, and the disk space all
    sessions may use (gan_core.server.retention); 0 is the server's default, said in the help."""
    st.markdown(f"**{tr('limits.keep_title', lang)}**")
    disk = state.registry().disk_state()
    default_budget = retention.budget_bytes(classroom.ClassLimits(), disk.used, disk.free)
    left, right = st.columns(2)
    days = left.number_input(tr("limits.retention_days", lang), 0, classroom.MAX_RETENTION_DAYS,
                             int(limits.retention_days), key="limits.retention_days",
                             help=tr("limits.retention_help", lang,
                                     duration=duration(retention.retention_seconds(classroom.ClassLimits()), lang)))
    size = right.number_input(tr("limits.disk_budget_gb", lang), 0.0, float(classroom.MAX_DISK_BUDGET_GB),
                              float(limits.disk_budget_gb), step=1.0, key="limits.disk_budget_gb",
                              help=tr("limits.disk_budget_help", lang, size=f"{default_budget / 1e9:.1f}",
                                      hours=f"{retention.EVICTION_GRACE_SECONDS / 3600:g}"))
    return days, size


# --- sharing a run with the class -----------------------------------------------------------------------------

def share_panel(run: Run, lang: str) -> None:
    """Under a student's run: share it with the class under a nickname, or stop sharing it."""
    sid = state.session_id()
    share = gallery().share_of(sid, run.run_id)
    with st.container(border=True):
        st.markdown(f"**{tr('share.title', lang)}**")
        if share is None:
            with st.form(f"share.{run.run_id}", border=False):
                # The browser stops at twice the limit: up to there, a long name gets the message instead of a cut.
                nickname = st.text_input(tr("share.nickname", lang), max_chars=2 * classroom.MAX_NICKNAME,
                                         help=tr("share.nickname_help", lang), key=f"share.nick.{run.run_id}")
                if st.form_submit_button(tr("share.button", lang), icon=":material/groups:"):
                    try:
                        gallery().share(sid, run.run_id, nickname)
                    except GanError as exc:
                        st.error(exc.text(lang))
                    else:
                        st.rerun()
        else:
            with st.container(horizontal=True, vertical_alignment="center", gap="small"):
                st.write(tr("share.shared", lang))
                st.text(share.nickname)  # what a person wrote is shown as text, never as markdown
            if share.hidden:
                st.caption(tr("share.hidden_by_teacher", lang))
            if st.button(tr("share.stop", lang), key=f"share.stop.{run.run_id}", icon=":material/visibility_off:"):
                gallery().unshare(sid, run.run_id)
                st.rerun()


# --- the gallery --------------------------------------------------------------------------------------------
#
# Forty students may keep the gallery open while ten shared runs train. Each card is a fragment of its own, with a
# timer only if its run trained (or waited between two of its fair turns) when the page was drawn; the card of a run
# queued for its first turn, paused, finished or stopped is drawn once and costs nothing more (with one training
# slot, most of a class's shares wait in the queue). What a card shows that costs something to make (the loss
# curves' picture, the grid's bytes) is made once per visible change of the run for every viewer (CardCache), from a
# history decimated to a few hundred points; both are pictures, which a redraw sends as an address. One watcher per
# page, which draws nothing, redraws the whole page (at most every GALLERY_REDRAW_SECONDS) only when shares come, go,
# are renamed or hidden, or the run of a card without a timer changed (it began to train, or went from queued to
# finished between two looks). A card with a timer draws its run's pause or end itself, on its next tick:
# forty students' runs starting and stopping do not make every viewer redraw every card. Only a card with a timer is
# a fragment: Streamlit keeps every fragment of every open page (its function, arguments and a deep copy of the
# page's cursors, about a hundred objects), and with forty viewers of forty cards those were most of the app's live
# objects, which each of Python's full collections walks with every page held (bench/RESULTS.md).

def _shared_run(share: classroom.Share) -> Run | None:
    return state.registry().get(share.session_id, share.run_id)


def _active(run: Run | None) -> bool:
    return run is not None and run.version()[0] in ACTIVE_STATES


def _phase(run: Run | None) -> str:
    """What a card's timer depends on: "training" (its card follows it: it trains, or waits between two of its fair
    turns, queued with steps done), "waiting" (queued for its first turn, or paused: nothing new to draw until it
    trains, but the page watches for that) or "done"."""
    run_state, step = run.version()[:2] if run is not None else (None, 0)
    if run_state not in ACTIVE_STATES:
        return "done"
    return "training" if run_state == RunState.RUNNING or (run_state == RunState.QUEUED and step) else "waiting"


class CardContent(NamedTuple):
    losses: bytes | None  # the loss curves' PNG (charts.losses_picture), or None before the first step
    grid: bytes | None  # the newest grid's PNG
    grid_epoch: int | None


class CardCache:
    """Server-wide: a shared run's card content per language, made again only when the run shows something new
    (another state, epoch or grid; new steps at most every CARD_REBUILD_SECONDS), whoever is watching. One viewer
    makes it; the others meanwhile keep the card they had (or, for a card never made, wait for that one): when a
    share comes, forty pages are drawn again at once, and each used to make the same pictures."""

    def __init__(self, size: int = 256):
        self._size = size
        self._lock = threading.Lock()
        self._items: OrderedDict = OrderedDict()  # (run folder, lang) -> (version, step, made at, CardContent)
        self._making: dict[tuple, threading.Event] = {}  # the keys a viewer is making now

    def content(self, run: Run, lang: str) -> CardContent:
        run_state, step, epoch, grids, _ = run.version()
        key, version = (str(run.directory), lang), (run_state, epoch, grids)
        with self._lock:
            kept = self._items.get(key)
            if kept is not None and kept[0] == version \
                    and (kept[1] == step or time.monotonic() - kept[2] < CARD_REBUILD_SECONDS):
                self._items.move_to_end(key)
                return kept[3]
            making = self._making.get(key)
            if making is None:
                self._making[key] = threading.Event()
        if making is not None:  # another viewer is making it
            if kept is not None:
                return kept[3]
            making.wait(CARD_WAIT_SECONDS)
            with self._lock:
                kept = self._items.get(key)
            return kept[3] if kept is not None else _card_content(run, lang)
        try:
            content = _card_content(run, lang)  # outside the lock: the other cards are not held up
            with self._lock:
                self._items[key] = (version, step, time.monotonic(), content)
                self._items.move_to_end(key)
                while len(self._items) > self._size:
                    self._items.popitem(last=False)
            return content
        finally:
            with self._lock:
                self._making.pop(key).set()


@st.cache_resource(show_spinner=False)
def card_cache() -> CardCache:
    return CardCache()


def _card_content(run: Run, lang: str) -> CardContent:
    snap = run.snapshot()
    losses = charts.losses_picture(snap.steps, lang) if snap.steps["step"] else None
    epochs = [e for e in snap.grid_epochs if run.grid_path(e).is_file()]
    grid = run.grid_path(epochs[-1]).read_bytes() if epochs else None
    return CardContent(losses, grid, epochs[-1] if epochs else None)


def _gallery_layout(shares: list[classroom.Share]) -> tuple:
    """What the page's layout depends on: which cards, under which names, hidden or not."""
    return tuple((s.share_id, s.nickname, s.hidden) for s in shares)


def gallery_view(lang: str, teacher: bool = False) -> None:
    """Every shared run's newest grid and loss curves side by side, live while it trains. The teacher's copy also
    lists hidden runs, with a button to hide or show each."""
    shares = gallery().shares(include_hidden=teacher)
    phases = {share.share_id: _phase(_shared_run(share)) for share in shares}
    untimed = {share_id: phase for share_id, phase in phases.items() if phase != "training"}
    watch_every = GALLERY_WATCH_SECONDS if set(phases.values()) - {"done"} else GALLERY_IDLE_WATCH_SECONDS
    st.fragment(_watch_gallery, run_every=watch_every)(teacher, _gallery_layout(shares), untimed, time.monotonic())
    if not shares:
        st.info(tr("gallery.empty", lang), icon=":material/groups:")
        return
    for row_start in range(0, len(shares), 3):
        columns = st.columns(3)
        for column, share in zip(columns, shares[row_start:row_start + 3]):
            with column.container(border=True):
                if share.share_id in untimed:  # drawn once with the page: nothing for Streamlit to keep
                    _gallery_card(share.share_id, lang, teacher)
                else:
                    st.fragment(_gallery_card, run_every=CARD_SECONDS)(share.share_id, lang, teacher)


def gallery_outdated(teacher: bool, layout: tuple, untimed: dict) -> bool:
    """Whether a gallery page drawn with this layout must be drawn again: shares came, went, were renamed or hidden,
    or the run of a card drawn without a timer is not in the phase it was drawn in (`untimed`: share id -> phase);
    it may train now and need a timer. A ticking card's run that paused or ended is not a reason: the card draws
    that on its next tick."""
    shares = gallery().shares(include_hidden=teacher)
    return _gallery_layout(shares) != layout or any(
        share.share_id in untimed and _phase(_shared_run(share)) != untimed[share.share_id] for share in shares)


def _watch_gallery(teacher: bool, layout: tuple, untimed: dict, drawn_at: float) -> None:
    """Draws the page again when it is outdated, at most every GALLERY_REDRAW_SECONDS: in a class's first minutes
    shares come and runs start every few seconds, and forty viewers drawing every card each time was most of the
    gallery's cost (bench/RESULTS.md)."""
    if time.monotonic() - drawn_at >= GALLERY_REDRAW_SECONDS and gallery_outdated(teacher, layout, untimed):
        st.rerun()


def _gallery_card(share_id: str, lang: str, teacher: bool) -> None:
    share = gallery().get(share_id)
    run = _shared_run(share) if share is not None else None
    if run is None or (share.hidden and not teacher):  # unshared, hidden or removed since the page was drawn
        return
    snap = run.snapshot(history=False)
    content = card_cache().content(run, lang)
    with st.container(horizontal=True, vertical_alignment="center"):
        st.text(share.nickname)  # what a student wrote is shown as text, never as markdown
        state_badge(snap.state, lang)
        if share.hidden:
            st.badge(tr("gallery.hidden", lang), color="red")
    st.caption(tr("gallery.recipe", lang, preset=snap.config["preset"],
                  dataset=dataset_label(snap.config["dataset"], lang), epoch=snap.epoch, total=snap.total_epochs))
    if content.grid is not None:
        st.image(content.grid, caption=tr("live.grid_newest", lang, epoch=content.grid_epoch), width="stretch", output_format="PNG")
    if content.losses is not None:
        st.image(content.losses, width="stretch", output_format="PNG")
    with st.container(horizontal=True):
        st.page_link("app_pages/projector.py", label=tr("gallery.project", lang), icon=":material/present_to_all:",
                     query_params={SHOW_PARAM: share.share_id})
        if teacher:
            label = "gallery.show" if share.hidden else "gallery.hide"
            if st.button(tr(label, lang), key=f"gallery.toggle.{share.share_id}",
                         icon=":material/visibility:" if share.hidden else ":material/visibility_off:"):
                gallery().set_hidden(share.share_id, not share.hidden)
                st.rerun()


# --- the projector ---------------------------------------------------------------------------------------------

# The projector's grid fits the room's screen: as tall as the window allows below the page's few lines, never
# taller (at 1400x900 a grid as wide as its column ran past the bottom and cut its last row, issue #26). The page's top
# padding is Streamlit's 6rem, here just below its 3.75rem header: the room's screen has no room to spare.
PROJECTOR_STYLE = """<style>
[data-testid="stMainBlockContainer"]:has(.st-key-projector_grid) { padding-top: 4rem; }
.st-key-projector_grid img { width: 100% !important; height: auto; max-height: calc(100vh - 15.5rem);
                             object-fit: contain; object-position: left top; }
</style>"""


def projector_view(lang: str) -> None:
    """One run, large and without controls, for the front of the room: a shared run (?show=<share id>: the address
    on the room's screen names the share, never the session, see state.session_id) or one of this session's own."""
    st.html(PROJECTOR_STYLE)
    options = {f"share:{share.share_id}": share.nickname for share in gallery().shares()}
    options.update({f"own:{run.run_id}": tr("projector.own", lang, run_id=run.run_id) for run in state.session_runs()})
    if not options:
        st.info(tr("projector.empty", lang), icon=":material/present_to_all:")
        return
    wanted = f"share:{st.query_params.get(SHOW_PARAM, '')}"
    keys = list(options)
    chosen = st.selectbox(tr("projector.choose", lang), keys, index=keys.index(wanted) if wanted in keys else 0,
                          format_func=options.get, label_visibility="collapsed")
    kind, _, ident = chosen.partition(":")
    if kind == "share":
        st.query_params[SHOW_PARAM] = ident
        share = gallery().get(ident)
        run, title = (_shared_run(share), share.nickname) if share else (None, "")
    else:
        st.query_params.pop(SHOW_PARAM, None)
        run, title = state.get_run(ident), tr("projector.own", lang, run_id=ident)
    if run is None:
        return
    active = _active(run)
    st.fragment(_projected, run_every=PROJECTOR_REFRESH_SECONDS if active else None)(run, title, lang, active)


def _projected(run: Run, title: str, lang: str, drawn_active: bool) -> None:
    snap = run.snapshot(history=False)
    if snap.active != drawn_active:
        st.rerun()  # started or ended: the page again, with or without a timer
    content = card_cache().content(run, lang)
    st.text(title)  # a nickname is text, never markdown
    st.subheader(f"{snap.config['preset']} · {dataset_label(snap.config['dataset'], lang)}")
    grid, side = st.columns([3, 2])
    with grid.container(key="projector_grid"):
        if content.grid is not None:
            st.image(content.grid, width="stretch", output_format="PNG")
        else:
            st.info(tr("live.waiting", lang))
    with side:
        state_badge(snap.state, lang)
        st.metric(tr("live.epoch", lang), epoch_count(snap))
        st.metric(tr("live.step", lang), f"{snap.step}")
        if content.losses is not None:
            st.image(content.losses, width="stretch", output_format="PNG")
    if snap.state == RunState.FINISHED:
        st.success(tr("live.finished", lang), icon=":material/check_circle:")
