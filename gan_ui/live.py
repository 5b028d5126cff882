"""The live view of one run: drawn once, then kept up to date by small timers that redraw only what changed.

The panel itself has no timer: its buttons redraw it, and so does any change of state, epoch or grid (then the
whole page reruns, once). While the run trains, two nested fragments tick: the progress and counters every
second, the step charts every few seconds when there are new points. A queued run ticks only its place in the
queue; a paused run only checks, drawing nothing, whether it changed; a finished or stopped one has no timer.
Charts are rebuilt only for new points and grid images read only for a new epoch (both kept per session), so a
redraw of an unchanged run builds no chart and reads no file. The training thread never touches Streamlit.
"""

from __future__ import annotations

import io
import time
import zipfile

import streamlit as st

from gan_core import GanError, Run, RunSnapshot, RunState
from gan_core.explore.generators import Generator
from gan_core.i18n import Message, tr
from gan_ui import charts, classroom_view, state, take_home
from gan_ui.widgets import dataset_label, duration, epoch_count, epoch_under_way, state_badge

REFRESH_SECONDS = 1.0  # a training run's progress and counters
CHART_SECONDS = 4.0  # a training run's step charts, when there are new points
QUEUE_SECONDS = 2.0  # a queued run's place in the queue
WATCH_SECONDS = 3.0  # a paused run: only whether it changed
EPOCH_REDRAW_SECONDS = 5.0  # a training run's new epochs redraw the page at most this often (short epochs)
FLASH_KEY = "live.flash"  # a Message a button callback wants shown on the next draw
MAX_EXTRA_EPOCHS = 500  # "train more" at once, where the class's limits allow more
LIMIT_REACHED = ("error.limit_epochs_reached", "error.limit_minutes_reached")  # said by the controls, not twice
CACHE_KEY = "live.drawn"  # per session: the charts and grid bytes last drawn, with what they were drawn from


def run_panel(run_id: str, lang: str) -> None:
    """Draw the run; its own buttons and its timers (nested, only while it is active) keep it current."""
    if state.get_run(run_id) is None:
        return
    st.fragment(_panel)(run_id, lang)


def _panel(run_id: str, lang: str) -> None:
    run = state.get_run(run_id)
    drawn = (*run.version(), time.monotonic())
    snap = run.snapshot()
    _header(snap, lang)
    _limit_notes(snap, lang)
    flash = st.session_state.pop(FLASH_KEY, None)
    if flash is not None and flash.key not in LIMIT_REACHED:
        st.error(state.say(flash, lang), icon=":material/error:")
    _controls(run, snap, lang)
    if snap.state == RunState.RUNNING:
        st.fragment(_ticker, run_every=REFRESH_SECONDS)(run_id, lang, drawn)
        st.fragment(_step_charts, run_every=CHART_SECONDS)(run_id, lang)
    elif snap.state == RunState.QUEUED:
        st.fragment(_ticker, run_every=QUEUE_SECONDS)(run_id, lang, drawn)
        _draw_charts(run, snap, lang)
    else:
        if snap.state == RunState.PAUSED:
            st.fragment(_watch, run_every=WATCH_SECONDS)(run_id, drawn)
        _status(snap, lang)
        _draw_charts(run, snap, lang)
    _epoch_charts(run, snap, lang)
    _grids(run, snap, lang)
    _diagnosis(snap, lang)
    _downloads(run, snap, lang)


def changed(drawn: tuple, now: tuple) -> bool:
    """Whether the panel must be drawn again: at once for another state, or for the first steps of a panel drawn
    before any (its charts said "waiting for the first steps" while the counters, ticking every second, already
    show steps); for a new epoch or grid, once EPOCH_REDRAW_SECONDS have passed since it was drawn (`drawn` ends
    with that time). Later steps and queue places are the tickers' business."""
    if drawn[0] != now[0] or (drawn[1] == 0 and now[1] > 0):
        return True
    return (drawn[2], drawn[3]) != (now[2], now[3]) and time.monotonic() - drawn[-1] >= EPOCH_REDRAW_SECONDS


def _watch(run_id: str, drawn: tuple) -> None:
    run = state.get_run(run_id)
    if run is not None and changed(drawn, run.version()):
        st.rerun()


def _ticker(run_id: str, lang: str, drawn: tuple) -> None:
    run = state.get_run(run_id)
    if run is None:
        return
    if changed(drawn, run.version()):
        st.rerun()  # the panel shows another state or epoch: once, the whole page
    _status(run.snapshot(history=False), lang)


def _step_charts(run_id: str, lang: str) -> None:
    run = state.get_run(run_id)
    if run is not None:
        _draw_charts(run, None, lang)


def _header(snap: RunSnapshot, lang: str) -> None:
    config = snap.config
    st.subheader(tr("live.header", lang, preset=config["preset"], dataset=dataset_label(config["dataset"], lang)))
    with st.container(horizontal=True, vertical_alignment="center"):
        state_badge(snap.state, lang)
        st.caption(snap.run_id)
        if snap.device:
            device = f"{snap.device} · {snap.node}" if snap.node else snap.device  # on a cluster: which machine
            st.caption(tr("live.device", lang, device=device))



def _limit_notes(snap: RunSnapshot, lang: str) -> None:
    """What the class's limits cut when the run last started or continued, and why: kept with the run, so the
    student reads it where they look after pressing, after a reload too."""
    for note in snap.limit_notes:
        st.info(note.text(lang), icon=":material/school:")


# --- controls ---------------------------------------------------------------------------------

def _controls(run: Run, snap: RunSnapshot, lang: str) -> None:
    key = f"live.{snap.run_id}"
    ended = snap.state in (RunState.STOPPED, RunState.FAILED, RunState.FINISHED)
    at_limit = class_limit_reached(snap) if ended else None
    with st.container(horizontal=True, vertical_alignment="bottom"):
        if snap.state == RunState.RUNNING:
            st.button(tr("live.pause", lang), key=f"{key}.pause", on_click=run.pause, icon=":material/pause:")
        if snap.state == RunState.PAUSED:
            st.button(tr("live.resume", lang), key=f"{key}.resume", on_click=run.resume, icon=":material/play_arrow:",
                      type="primary")
        if snap.active:
            st.button(tr("live.stop", lang), key=f"{key}.stop", on_click=run.stop, icon=":material/stop:")
        if snap.state in (RunState.STOPPED, RunState.FAILED) and at_limit is None:
            label = "live.continue" if snap.step else "live.restart"
            st.button(tr(label, lang), key=f"{key}.continue", on_click=_continue, args=(run, 0),
                      icon=":material/play_arrow:", type="primary")
        if snap.state == RunState.FINISHED and at_limit is None:
            room = extra_epochs_allowed(snap)
            extra_key = f"{key}.extra"
            if st.session_state.get(extra_key, 0) > room:
                st.session_state[extra_key] = room  # the teacher lowered a limit since it was drawn
            default = {} if extra_key in st.session_state else {"value": min(2, room)}
            extra = st.number_input(tr("live.extra_epochs", lang), 1, room, key=extra_key, width=160, **default)
            st.button(tr("live.train_more", lang), key=f"{key}.more", on_click=_continue, args=(run, extra),
                      icon=":material/fast_forward:")
    if at_limit is not None:
        st.info(at_limit.text(lang), icon=":material/school:")


def class_limit_reached(snap: RunSnapshot) -> Message | None:
    """Why the class's limits let this ended run train no further (its epochs or minutes are spent), or None. Said
    in place of Continue or Train more: the registry would refuse them anyway."""
    more = 1 if snap.state == RunState.FINISHED else 0
    try:
        classroom_view.class_limits().allow_more(snap.epoch, snap.total_epochs, more, snap.elapsed_seconds)
    except GanError as exc:
        return exc.message
    return None


def extra_epochs_allowed(snap: RunSnapshot) -> int:
    """The most "train more" offers: MAX_EXTRA_EPOCHS, or what the class's epoch limit leaves (at least 1: a run at
    its limit shows class_limit_reached instead)."""
    limit = classroom_view.class_limits().max_epochs
    return max(1, min(MAX_EXTRA_EPOCHS, limit - snap.total_epochs)) if limit else MAX_EXTRA_EPOCHS


def _continue(run: Run, extra_epochs: int) -> None:
    """Resume a stopped, failed or finished run from its last checkpoint; one stopped before its first step
    has none and simply starts. The registry applies the class's limits (a run at one is refused, in words)."""
    try:
        state.registry().resume_run(state.session_id(), run, extra_epochs=int(extra_epochs),
                                    address=state.client_address())
    except GanError as exc:
        st.session_state[FLASH_KEY] = exc.message


# --- status, charts, grids ----------------------------------------------------------------------

def _status(snap: RunSnapshot, lang: str) -> None:
    if snap.state == RunState.QUEUED:
        _queue(snap, lang)
    elif snap.state == RunState.PAUSED:
        st.info(tr("live.paused", lang), icon=":material/pause_circle:")
    elif snap.state == RunState.STOPPED:
        st.info(tr("live.stopped", lang), icon=":material/stop_circle:")
    elif snap.state == RunState.FINISHED:
        st.success(tr("live.finished", lang), icon=":material/check_circle:")
        if snap.message:  # e.g. the time budget ended it
            st.info(snap.message.text(lang), icon=":material/timer:")
    elif snap.state == RunState.FAILED:
        st.error(state.say(snap.message, lang) if snap.message else tr("live.failed", lang), icon=":material/error:")
        if snap.traceback:
            with st.expander(tr("live.traceback", lang)):
                st.code(state.redact(snap.traceback), language=None)

    st.progress(snap.progress if snap.steps_per_epoch else snap.epoch / max(snap.total_epochs, 1),
                text=progress_text(snap, lang))
    cols = st.columns(5)
    cols[0].metric(tr("live.epoch", lang), epoch_count(snap))  # the same epoch as the progress line
    cols[1].metric(tr("live.step", lang), f"{snap.step}")
    cols[2].metric(tr("live.speed", lang), f"{snap.images_per_sec:.0f}")
    cols[3].metric(tr("live.elapsed", lang), duration(snap.elapsed_seconds))
    cols[4].metric(tr("live.eta", lang), duration(snap.eta_seconds) if snap.active else "–")


def _queue(snap: RunSnapshot, lang: str) -> None:
    """Where the run stands in the queue and about when its turn comes."""
    if not snap.queue_position:
        st.info(tr("live.queued_waiting", lang), icon=":material/hourglass_top:")
        return
    lines = [tr("live.queued", lang, position=snap.queue_position)]
    if snap.turn_in_seconds is not None:
        lines.append(tr("live.turn_in", lang, wait=duration(max(snap.turn_in_seconds, 1))))
    lines.append(tr("live.queue_line", lang, running=snap.training_now, ahead=snap.queue_position - 1,
                    behind=max(0, snap.queue_length - snap.queue_position)))
    if snap.step:
        lines.append(tr("live.turn_given", lang))
    st.info("  \n".join(lines), icon=":material/hourglass_top:")


def progress_text(snap: RunSnapshot, lang: str) -> str:
    """Where the run is, in words that fit its state: the epoch under way while it trains, out of the epoch it will
    end after (its time budget's, when that comes first); the epochs done once it has ended, and where in the next
    one a stop cut it (resuming starts that epoch again)."""
    current = epoch_under_way(snap)
    if current is not None and snap.ends_by_time:
        return tr("live.progress_by_time", lang, epoch=current, end=snap.end_epoch, total=snap.total_epochs,
                  minutes=f"{snap.config['max_minutes']:g}", step_in_epoch=snap.step_in_epoch,
                  steps_per_epoch=snap.steps_per_epoch)
    if current is not None:
        return tr("live.progress", lang, epoch=current, total=snap.total_epochs,
                  step_in_epoch=snap.step_in_epoch, steps_per_epoch=snap.steps_per_epoch)
    done = tr("live.progress_done", lang, epoch=snap.epoch, total=snap.total_epochs)
    if not snap.active and 0 < snap.step_in_epoch < snap.steps_per_epoch and snap.epoch < snap.total_epochs:
        done += " · " + tr("live.progress_cut", lang, epoch=snap.epoch + 1, step_in_epoch=snap.step_in_epoch,
                           steps_per_epoch=snap.steps_per_epoch)
    return done


def _drawn(run_id: str) -> dict:
    """What this session last drew of the run: {name: (what it was drawn from, figure or bytes)}."""
    cache = st.session_state.setdefault(CACHE_KEY, {})
    if cache.get("run_id") != run_id:
        cache.clear()
        cache["run_id"] = run_id
    return cache


def _figure(run_id: str, name: str, source: tuple, build):
    """The figure drawn last time if it was drawn from the same points, else a new one."""
    cache = _drawn(run_id)
    kept = cache.get(name)
    if kept is not None and kept[0] == source:
        return kept[1]
    figure = build()
    cache[name] = (source, figure)
    return figure


def _draw_charts(run: Run, snap: RunSnapshot | None, lang: str) -> None:
    """The per-step charts. Without a snapshot (the chart ticker) the steps are copied only if there are new
    ones."""
    source = (run.progress.step, len(run.progress.steps["step"]), lang)
    drawn = _drawn(run.run_id)
    if all(name in drawn and drawn[name][0] == source for name in ("loss_steps", "accuracy")):
        steps = None  # unchanged: the figures kept are drawn again (both: a rerun cut short may have kept one)
    else:
        steps = snap.steps if snap is not None else run.snapshot().steps
        if not steps["step"]:
            st.caption(tr("live.waiting", lang))
            return
    key = f"chart.{run.run_id}"
    left, right = st.columns(2)
    with left:
        st.markdown(f"**{tr('live.tab_losses', lang)} · {tr('live.per_step', lang)}**")
        st.plotly_chart(_figure(run.run_id, "loss_steps", source, lambda: charts.losses_per_step(steps, lang)),
                        key=f"{key}.loss_steps")
    with right:
        st.markdown(f"**{tr('live.tab_accuracy', lang)}**")
        st.plotly_chart(_figure(run.run_id, "accuracy", source, lambda: charts.accuracy_per_step(steps, lang)),
                        key=f"{key}.accuracy")


def _epoch_charts(run: Run, snap: RunSnapshot, lang: str) -> None:
    if not snap.steps["step"]:
        return
    key = f"chart.{snap.run_id}"
    source = (tuple(e["epoch"] for e in snap.epochs), lang)
    left, right = st.columns(2)
    with left:
        st.markdown(f"**{tr('live.tab_losses', lang)} · {tr('live.per_epoch', lang)}**")
        if snap.epochs:
            st.plotly_chart(_figure(snap.run_id, "loss_epochs", source,
                                    lambda: charts.losses_per_epoch(snap.epochs, lang)), key=f"{key}.loss_epochs")
        else:
            st.caption(tr("live.no_epochs", lang))
    with right:
        st.markdown(f"**{tr('live.tab_speed', lang)}**")
        if snap.epochs:
            st.plotly_chart(_figure(snap.run_id, "speed", source, lambda: charts.speed_per_epoch(snap.epochs, lang)),
                            key=f"{key}.speed")
        else:
            st.caption(tr("live.no_epochs", lang))


def grid_bytes(run: Run, epoch: int) -> bytes:
    """An epoch grid's PNG, read once per session (the newest and the scrubbed one are kept)."""
    cache = _drawn(run.run_id)
    grids = cache.setdefault("grids", {})
    if epoch not in grids:
        if len(grids) >= 2:
            grids.pop(next(iter(grids)))
        grids[epoch] = run.grid_path(epoch).read_bytes()
    return grids[epoch]


def _grids(run: Run, snap: RunSnapshot, lang: str) -> None:
    epochs = [e for e in snap.grid_epochs if run.grid_path(e).is_file()]
    if not epochs:
        return
    newest, scrubbed = st.columns(2)
    newest.image(grid_bytes(run, epochs[-1]), caption=tr("live.grid_newest", lang, epoch=epochs[-1]),
                 width="stretch", output_format="PNG")
    if len(epochs) > 1:
        with scrubbed:
            chosen = scrub_epoch(snap.run_id, epochs, lang)
            if chosen == epochs[-1]:
                st.info(tr("live.grid_following", lang), icon=":material/fast_forward:")
            else:
                st.image(grid_bytes(run, chosen), caption=tr("live.grid_epoch", lang, epoch=chosen),
                         width="stretch", output_format="PNG")
    st.caption(tr("live.grid_help", lang))


def _pinned_key(run_id: str) -> str:
    return f"scrub.{run_id}.pinned"


def _scrubbed(run_id: str, newest: int) -> None:
    """The student moved the slider: it stays where they put it, unless they put it back on the newest epoch."""
    st.session_state[_pinned_key(run_id)] = st.session_state[f"scrub.{run_id}"] != newest


def scrub_epoch(run_id: str, epochs: list[int], lang: str) -> int:
    """A slider over every epoch with a grid (two or more). It follows the newest epoch as they arrive until the
    student moves it; moved back to the end, it follows again."""
    key = f"scrub.{run_id}"
    if not st.session_state.get(_pinned_key(run_id)) or st.session_state.get(key) not in epochs:
        st.session_state[key] = epochs[-1]  # following (or the run was resumed from an earlier epoch)
        st.session_state[_pinned_key(run_id)] = False
    return st.select_slider(tr("live.grid_scrub", lang), options=epochs, key=key, on_change=_scrubbed,
                            args=(run_id, epochs[-1]), format_func=lambda e: tr("live.grid_epoch", lang, epoch=e))


def shown_epoch(run_id: str, epochs: list[int]) -> int:
    """The epoch the scrubber shows: the newest unless the student moved it (what the PNG download offers)."""
    chosen = st.session_state.get(f"scrub.{run_id}", epochs[-1])
    if not st.session_state.get(_pinned_key(run_id)) or chosen not in epochs:
        return epochs[-1]
    return chosen


def _diagnosis(snap: RunSnapshot, lang: str) -> None:
    st.markdown(f"**{tr('live.diagnosis', lang)}**")
    for message in snap.diagnosis:
        show = {"diag.healthy": st.success, "diag.too_early": st.info}.get(message.key, st.warning)
        show(message.text(lang), icon=":material/stethoscope:")


# --- downloads: the bytes are read only when clicked -----------------------------------------------

def _downloads(run: Run, snap: RunSnapshot, lang: str) -> None:
    epochs = [e for e in snap.grid_epochs if run.grid_path(e).is_file()]
    if not snap.has_generator and not epochs:
        return
    key = f"dl.{snap.run_id}"
    st.markdown(f"**{tr('live.downloads', lang)}**")
    with st.container(horizontal=True):
        if snap.has_generator:
            st.download_button(tr("live.dl_generator", lang), data=(run.folder.generator_path).read_bytes,
                               file_name=f"generator_{snap.run_id}.keras", mime="application/octet-stream",
                               on_click="ignore", key=f"{key}.generator", icon=":material/download:")
        if epochs:
            chosen = shown_epoch(snap.run_id, epochs)
            st.download_button(tr("live.dl_grid", lang, epoch=chosen), data=run.grid_path(chosen).read_bytes,
                               file_name=f"{snap.run_id}_epoch_{chosen:03d}.png", mime="image/png",
                               on_click="ignore", key=f"{key}.grid", icon=":material/image:")
            st.download_button(tr("live.dl_grids", lang), data=lambda: _grids_zip(run, epochs),
                               file_name=f"{snap.run_id}_grids.zip", mime="application/zip",
                               on_click="ignore", key=f"{key}.grids", icon=":material/folder_zip:")
        if len(epochs) > 1:
            st.download_button(tr("live.dl_gif", lang), data=lambda: run.folder.write_progress_gif(
                               run.progress.grid_epochs, run.shown_name).read_bytes(),
                               file_name=f"{snap.run_id}_progress.gif", mime="image/gif",
                               on_click="ignore", key=f"{key}.gif", icon=":material/animation:")
    if snap.has_generator and not snap.active:  # a run that trains no more: its generator, taken home
        take_home.downloads(lambda: Generator.load(run.folder.generator_path), f"generator_{snap.run_id}", key, lang,
                            notebook=take_home.run_notebook(run.folder.directory, lang))


def _grids_zip(run: Run, epochs: list[int]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:  # PNGs are compressed already
        for epoch in epochs:
            archive.write(run.grid_path(epoch), arcname=f"epoch_{epoch:03d}.png")
    return buffer.getvalue()

