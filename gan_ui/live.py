"""The live view of one run: a fragment that redraws itself every second while the run is active.

Only this fragment reruns on its timer (no full-page reruns); the training thread never touches Streamlit,
the fragment only reads `run.snapshot()`.
"""

from __future__ import annotations

import io
import zipfile

import streamlit as st

from gan_core import GanError, Run, RunSnapshot, RunState
from gan_ui import charts, state
from gan_ui.texts import tr
from gan_ui.widgets import dataset_label, duration, state_badge

REFRESH_SECONDS = 1.0
FLASH_KEY = "live.flash"  # a Message a button callback wants shown on the next draw


def run_panel(run_id: str, lang: str) -> None:
    """Draw the run; refresh on a timer only while it is queued, running or paused."""
    run = state.get_run(run_id)
    if run is None:
        return
    live = run.snapshot().active
    st.fragment(_panel, run_every=REFRESH_SECONDS if live else None)(run_id, lang, live)


def _panel(run_id: str, lang: str, live: bool) -> None:
    run = state.get_run(run_id)
    snap = run.snapshot()
    if snap.active != live:
        st.rerun()  # started or ended: redraw the page so the timer starts or stops
    _header(snap, lang)
    flash = st.session_state.pop(FLASH_KEY, None)
    if flash is not None:
        st.error(state.say(flash, lang), icon=":material/error:")
    _controls(run, snap, lang)
    _status(snap, lang)
    _charts(snap, lang)
    _grids(run, snap, lang)
    _diagnosis(snap, lang)
    _downloads(run, snap, lang)


def _header(snap: RunSnapshot, lang: str) -> None:
    config = snap.config
    st.subheader(tr("live.header", lang, preset=config["preset"], dataset=dataset_label(config["dataset"], lang)))
    with st.container(horizontal=True, vertical_alignment="center"):
        state_badge(snap.state, lang)
        st.caption(snap.run_id)
        if snap.device:
            st.caption(tr("live.device", lang, device=snap.device))


# --- controls ---------------------------------------------------------------------------------

def _controls(run: Run, snap: RunSnapshot, lang: str) -> None:
    key = f"live.{snap.run_id}"
    with st.container(horizontal=True, vertical_alignment="bottom"):
        if snap.state == RunState.RUNNING:
            st.button(tr("live.pause", lang), key=f"{key}.pause", on_click=run.pause, icon=":material/pause:")
        if snap.state == RunState.PAUSED:
            st.button(tr("live.resume", lang), key=f"{key}.resume", on_click=run.resume, icon=":material/play_arrow:",
                      type="primary")
        if snap.active:
            st.button(tr("live.stop", lang), key=f"{key}.stop", on_click=run.stop, icon=":material/stop:")
        if snap.state in (RunState.STOPPED, RunState.FAILED):
            label = "live.continue" if snap.step else "live.restart"
            st.button(tr(label, lang), key=f"{key}.continue", on_click=_continue, args=(run, 0),
                      icon=":material/play_arrow:", type="primary")
        if snap.state == RunState.FINISHED:
            extra = st.number_input(tr("live.extra_epochs", lang), 1, 500, 2, key=f"{key}.extra", width=160)
            st.button(tr("live.train_more", lang), key=f"{key}.more", on_click=_continue, args=(run, extra),
                      icon=":material/fast_forward:")


def _continue(run: Run, extra_epochs: int) -> None:
    """Resume a stopped, failed or finished run from its last checkpoint; one stopped before its first step
    has none and simply starts."""
    try:
        state.registry().resume_run(state.session_id(), run, extra_epochs=int(extra_epochs))
    except GanError as exc:
        st.session_state[FLASH_KEY] = exc.message


# --- status, charts, grids ----------------------------------------------------------------------

def _status(snap: RunSnapshot, lang: str) -> None:
    if snap.state == RunState.QUEUED:
        if snap.queue_position:
            st.info(tr("live.queued", lang, position=snap.queue_position), icon=":material/hourglass_top:")
        else:
            st.info(tr("live.queued_waiting", lang), icon=":material/hourglass_top:")
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
    cols[0].metric(tr("live.epoch", lang), f"{snap.epoch} / {snap.total_epochs}")
    cols[1].metric(tr("live.step", lang), f"{snap.step}")
    cols[2].metric(tr("live.speed", lang), f"{snap.images_per_sec:.0f}")
    cols[3].metric(tr("live.elapsed", lang), duration(snap.elapsed_seconds))
    cols[4].metric(tr("live.eta", lang), duration(snap.eta_seconds) if snap.active else "–")


def progress_text(snap: RunSnapshot, lang: str) -> str:
    """Where the run is, in words that fit its state: the epoch under way while it trains; the epochs done once
    it has ended, and where in the next one a stop cut it (resuming starts that epoch again)."""
    if snap.active and snap.steps_per_epoch and snap.epoch < snap.total_epochs:
        return tr("live.progress", lang, epoch=snap.epoch + 1, total=snap.total_epochs,
                  step_in_epoch=snap.step_in_epoch, steps_per_epoch=snap.steps_per_epoch)
    done = tr("live.progress_done", lang, epoch=snap.epoch, total=snap.total_epochs)
    if not snap.active and 0 < snap.step_in_epoch < snap.steps_per_epoch and snap.epoch < snap.total_epochs:
        done += " · " + tr("live.progress_cut", lang, epoch=snap.epoch + 1, step_in_epoch=snap.step_in_epoch,
                           steps_per_epoch=snap.steps_per_epoch)
    return done


def _charts(snap: RunSnapshot, lang: str) -> None:
    if not snap.steps["step"]:
        st.caption(tr("live.waiting", lang))
        return
    key = f"chart.{snap.run_id}"
    top_left, top_right = st.columns(2)
    with top_left:
        st.markdown(f"**{tr('live.tab_losses', lang)} · {tr('live.per_step', lang)}**")
        st.plotly_chart(charts.losses_per_step(snap.steps, lang), key=f"{key}.loss_steps")
    with top_right:
        st.markdown(f"**{tr('live.tab_losses', lang)} · {tr('live.per_epoch', lang)}**")
        if snap.epochs:
            st.plotly_chart(charts.losses_per_epoch(snap.epochs, lang), key=f"{key}.loss_epochs")
        else:
            st.caption(tr("live.no_epochs", lang))
    bottom_left, bottom_right = st.columns(2)
    with bottom_left:
        st.markdown(f"**{tr('live.tab_accuracy', lang)}**")
        st.plotly_chart(charts.accuracy_per_step(snap.steps, lang), key=f"{key}.accuracy")
    with bottom_right:
        st.markdown(f"**{tr('live.tab_speed', lang)}**")
        if snap.epochs:
            st.plotly_chart(charts.speed_per_epoch(snap.epochs, lang), key=f"{key}.speed")
        else:
            st.caption(tr("live.no_epochs", lang))


def _grids(run: Run, snap: RunSnapshot, lang: str) -> None:
    epochs = [e for e in snap.grid_epochs if run.grid_path(e).is_file()]
    if not epochs:
        return
    newest, scrubbed = st.columns(2)
    newest.image(str(run.grid_path(epochs[-1])), caption=tr("live.grid_newest", lang, epoch=epochs[-1]),
                 width="stretch")
    if len(epochs) > 1:
        with scrubbed:
            chosen = scrub_epoch(snap.run_id, epochs, lang)
            if chosen == epochs[-1]:
                st.info(tr("live.grid_following", lang), icon=":material/fast_forward:")
            else:
                st.image(str(run.grid_path(chosen)), caption=tr("live.grid_epoch", lang, epoch=chosen),
                         width="stretch")
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
            st.download_button(tr("live.dl_generator", lang), data=(run.directory / "generator.keras").read_bytes,
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
            st.download_button(tr("live.dl_gif", lang), data=lambda: run.progress_gif().read_bytes(),
                               file_name=f"{snap.run_id}_progress.gif", mime="image/gif",
                               on_click="ignore", key=f"{key}.gif", icon=":material/animation:")


def _grids_zip(run: Run, epochs: list[int]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:  # PNGs are compressed already
        for epoch in epochs:
            archive.write(run.grid_path(epoch), arcname=f"epoch_{epoch:03d}.png")
    return buffer.getvalue()

