"""The 2-D playground page: data, model and training controls, and a live view drawn from a PlaygroundView.

The page never touches a network: controls call the Playground's methods (which return at once) and the live
fragment draws the small arrays of `Playground.view()`. Every word comes from the translation table.
"""

from __future__ import annotations

import math

import numpy as np
import streamlit as st

from gan_core import GanError, RunState
from gan_core.i18n import tr
from gan_core.playground import (
    ACTIVATIONS,
    DISTRIBUTIONS,
    EXAMPLES,
    MAX_CSV_BYTES,
    MAX_POINTS,
    MAX_SAVED_BYTES,
    NOISE_KINDS,
    POINTS,
    STAGE_SECONDS,
    Playground,
    PlaygroundConfig,
    export_experiment,
    new_scheduler,
    parse_points_csv,
    read_experiment,
)
from gan_core.server.scheduler import Scheduler
from gan_core.training.config import LOSSES, OPTIMIZERS
from gan_ui import state
from gan_ui.playground_charts import (
    LAYERS,
    PLANE_HEIGHT,
    SMALL_HEIGHT,
    canvas_cells,
    canvas_figure,
    js_figure,
    loss_figure,
    plane_figure,
)
from gan_ui.widgets import upload_limit_mb

REFRESH_SECONDS = 0.3  # the live view's redraw while something changes: several times a second
STEP_WAIT_SECONDS = 1.0  # a press of one step waits this long at most for the step (a few milliseconds) to be done
OBJECT_KEY = "pg.object"
DRAWN_KEY = "pg.drawn"
EXAMPLE_KEY = "pg.example"
FLASH_KEY = "pg.flash"
LOADED_KEY = "pg.loaded"  # what the last upload of a saved experiment did: ("ok", details) or ("error", Message)
SAVE_NAME = "aula-gan-2d.zip"
LAST_CHANGE_KEY = "pg.last_change"  # the live setting this page changed last: its controls say when it applies
LEARNING_RATES = (0.0001, 0.0003, 0.0005, 0.001, 0.002, 0.003, 0.005, 0.01, 0.02, 0.03, 0.1)
MODEL_FIELDS = ("g_layers", "g_width", "d_layers", "d_width", "activation", "noise_dim", "noise", "batch_size")
LIVE_FIELDS = ("loss", "g_optimizer", "d_optimizer", "g_lr", "d_lr", "d_steps", "gp_weight")
GP_WEIGHTS = (0.1, 0.3, 1.0, 3.0, 10.0)  # WGAN-GP's penalty: 0.1 as Gulrajani et al. on 2-D data, 10 as on images


@st.cache_resource(show_spinner=False)
def playground_scheduler() -> Scheduler:
    """The server's one queue for playgrounds (gan_core.playground.runner.new_scheduler), shared by every session."""
    return new_scheduler()


def playground() -> Playground:
    """This browser session's playground (made on first use), in the playgrounds' own queue."""
    playground = st.session_state.get(OBJECT_KEY)
    if playground is None:
        playground = Playground(PlaygroundConfig(), scheduler=playground_scheduler(), owner=state.session_id())
        st.session_state[OBJECT_KEY] = playground
        _sync_widgets(playground)
    return playground


def _sync_widgets(playground: Playground) -> None:
    """Every control shows the playground's settings (after an example or a restart changed them)."""
    config = playground.config
    for name in ("data",) + MODEL_FIELDS + LIVE_FIELDS:
        st.session_state[f"pg.{name}"] = getattr(config, name)
    st.session_state.setdefault("pg.slow", False)


def playground_page(lang: str) -> None:
    playground_ = playground()
    flash = st.session_state.pop(FLASH_KEY, None)
    if flash is not None:
        st.error(flash.text(lang), icon=":material/error:")
    left, right = st.columns([1, 2])
    with left:
        _data_controls(playground_, lang)
        _example_buttons(playground_, lang)
        _live_controls(playground_, lang)
        _model_controls(playground_, lang)
        _save_and_load(playground_, lang)
    with right:
        view = playground_.view()
        # Outside the fragment: a click reruns the page, and is never lost to a fragment the page just replaced
        _transport(playground_, view, lang)
        active = _changing(view)
        st.fragment(_live, run_every=REFRESH_SECONDS if active else None)(lang, active)
    if st.session_state.get("pg.data") == POINTS:
        _drawing(playground_, lang)


# --- controls -------------------------------------------------------------------------------------------------

def _configure(**changes) -> None:
    try:
        playground().configure(**changes)
    except GanError as exc:
        st.session_state[FLASH_KEY] = exc.message
        _sync_widgets(playground())


def _shown(name: str):
    """What the control for a setting shows: its own value (session state), else the playground's setting. Every
    control passes it as its default too: a control Streamlit draws afresh (a full rerun a fragment asked for can
    remount them) shows its default, and with none it showed its first option, "Línea" and 0.0001, while the
    experiment was the ring at 0.002; the next click then sent those and restarted it as a line."""
    value = st.session_state.get(f"pg.{name}")
    return getattr(playground().config, name) if value is None else value


TRANSLATED = ("data", "loss", "g_optimizer", "d_optimizer", "activation", "noise")  # controls with translated labels


def _keep_translated(names) -> None:
    """A language switch keeps these choices by value (state.keep_choice): the browser names a choice by its label,
    and an English page went on showing "Anillo de 8 gaussianas"."""
    for name in names:
        state.keep_choice(f"pg.{name}")


def _index(options, name: str) -> int:
    value = _shown(name)
    return list(options).index(value) if value in options else 0


def _changed(name: str) -> None:
    value = st.session_state[f"pg.{name}"]
    if name == "data":
        st.session_state.pop(EXAMPLE_KEY, None)
        if value == POINTS:
            return  # nothing to train on until the class draws or uploads: the drawing area opens below
    if name in LIVE_FIELDS:
        st.session_state[LAST_CHANGE_KEY] = name
    _configure(**{name: value})


def _data_controls(playground_: Playground, lang: str) -> None:
    _keep_translated(("data",))
    st.selectbox(tr("pg.data", lang), DISTRIBUTIONS + (POINTS,), key="pg.data", on_change=_changed, args=("data",),
                 index=_index(DISTRIBUTIONS + (POINTS,), "data"),
                 format_func=lambda name: tr(f"pg.data.{name}", lang))


def _example_buttons(playground_: Playground, lang: str) -> None:
    st.markdown(f"**{tr('pg.examples', lang)}**")
    with st.container(horizontal=True):
        for name in EXAMPLES:
            st.button(tr(f"pg.example.{name}", lang), key=f"pg.example_button.{name}", on_click=_load_example,
                      args=(name,), icon=":material/science:")
    example = st.session_state.get(EXAMPLE_KEY)
    if example is not None:
        st.info(tr(f"pg.example_look.{example}", lang), icon=":material/visibility:")


def _load_example(name: str) -> None:
    playground_ = playground()
    playground_.example(name)
    _sync_widgets(playground_)
    st.session_state[EXAMPLE_KEY] = name
    playground_.play()


def _live_controls(playground_: Playground, lang: str) -> None:
    st.markdown(f"**{tr('pg.training', lang)}**")
    # A fragment: a change here reruns only these controls and their acknowledgement, not the page's three
    # figures (the live view redraws on its own timer); in the browser that full redraw was most of the answer time
    st.fragment(_live_control_widgets)(lang)


def _live_control_widgets(lang: str) -> None:
    flash = st.session_state.pop(FLASH_KEY, None)  # a refused change: this fragment's rerun is the one to say so
    if flash is not None:
        st.error(flash.text(lang), icon=":material/error:")
    _keep_translated(("loss", "g_optimizer", "d_optimizer"))
    st.selectbox(tr("pg.loss", lang), LOSSES, key="pg.loss", on_change=_changed, args=("loss",), index=_index(LOSSES, "loss"),
                 format_func=lambda name: tr(f"loss.{name}", lang))
    for who in ("g", "d"):
        optimizer, rate = st.columns([1, 2])
        optimizer.selectbox(tr(f"pg.{who}_optimizer", lang), OPTIMIZERS, key=f"pg.{who}_optimizer",
                            index=_index(OPTIMIZERS, f"{who}_optimizer"),
                            on_change=_changed, args=(f"{who}_optimizer",),
                            format_func=lambda name: tr(f"pg.optimizer.{name}", lang))
        rate.select_slider(tr(f"pg.{who}_lr", lang), LEARNING_RATES, key=f"pg.{who}_lr", on_change=_changed,
                           value=_shown(f"{who}_lr"),
                           args=(f"{who}_lr",), format_func=lambda value: f"{value:g}")
    st.number_input(tr("pg.d_steps", lang), 1, 10, _shown("d_steps"), key="pg.d_steps", on_change=_changed,
                    args=("d_steps",))
    current = float(_shown("gp_weight"))
    weights = sorted({*GP_WEIGHTS, current})  # a loaded experiment's own weight, too
    st.select_slider(tr("pg.gp_weight", lang), weights, value=current, key="pg.gp_weight", on_change=_changed,
                     args=("gp_weight",), format_func=lambda value: f"{value:g}",
                     disabled=_shown("loss") != "wgan_gp", help=tr("pg.gp_weight_help", lang))
    changed = st.session_state.get(LAST_CHANGE_KEY)
    if changed is not None:
        view = playground().view()
        _change_captions(view, lang, only=changed)


def _change_captions(view, lang: str, only: str | None = None) -> None:
    """The live changes waiting for the next step and those applied (with their step); `only`: one field's latest."""
    pending = {name: value for name, value in view.pending.items() if only in (None, name)}
    applied = [entry for entry in view.applied if only in (None, entry[0])]
    if only is not None:
        applied = applied[-1:] if only not in pending else []
    if pending:
        st.caption(" · ".join(tr("pg.pending_value", lang, field=tr(f"pg.{name}", lang), value=_shown_value(value))
                              for name, value in pending.items()))
    if applied:
        st.caption(" · ".join(tr("pg.applied", lang, field=tr(f"pg.{name}", lang), value=_shown_value(value),
                                 step=step) for name, value, step in applied))


def _model_controls(playground_: Playground, lang: str) -> None:
    _keep_translated(("activation", "noise"))
    with st.expander(tr("pg.model", lang), icon=":material/account_tree:"):
        g, d = st.columns(2)
        g.number_input(tr("pg.g_layers", lang), 1, 4, _shown("g_layers"), key="pg.g_layers", on_change=_changed,
                       args=("g_layers",))
        g.number_input(tr("pg.g_width", lang), 2, 128, _shown("g_width"), key="pg.g_width", on_change=_changed,
                       args=("g_width",))
        d.number_input(tr("pg.d_layers", lang), 1, 4, _shown("d_layers"), key="pg.d_layers", on_change=_changed,
                       args=("d_layers",))
        d.number_input(tr("pg.d_width", lang), 2, 128, _shown("d_width"), key="pg.d_width", on_change=_changed,
                       args=("d_width",))
        st.selectbox(tr("pg.activation", lang), ACTIVATIONS, key="pg.activation", on_change=_changed,
                     index=_index(ACTIVATIONS, "activation"),
                     args=("activation",), format_func=lambda name: tr(f"pg.activation.{name}", lang))
        noise_dim, noise = st.columns(2)
        noise_dim.radio(tr("pg.noise_dim", lang), (1, 2), key="pg.noise_dim", on_change=_changed,
                        index=_index((1, 2), "noise_dim"),
                        args=("noise_dim",), horizontal=True)
        noise.radio(tr("pg.noise", lang), NOISE_KINDS, key="pg.noise", on_change=_changed, args=("noise",),
                    index=_index(NOISE_KINDS, "noise"),
                    format_func=lambda name: tr(f"pg.noise.{name}", lang))
        st.select_slider(tr("pg.batch_size", lang), (32, 64, 128, 256, 512), key="pg.batch_size",
                         value=_shown("batch_size"),
                         on_change=_changed, args=("batch_size",))


# --- saving and loading the experiment ----------------------------------------------------------------------------

def _save_and_load(playground_: Playground, lang: str) -> None:
    result = st.session_state.get(LOADED_KEY)
    with st.expander(tr("pg.save", lang), icon=":material/save:", expanded=result is not None):
        st.caption(tr("pg.save_help", lang))
        scratch = state.registry().session_dir(state.session_id())
        # Deferred: the zip is made on the click, by the worker between two steps, not on every redraw
        st.download_button(tr("pg.download", lang), data=lambda: export_experiment(playground_, scratch), file_name=SAVE_NAME,
                           mime="application/zip", key="pg.download", on_click="ignore", icon=":material/download:")
        st.file_uploader(tr("pg.load", lang), type=["zip"], key="pg.load", on_change=_load_saved,
                         help=tr("pg.load_help", lang, limit_kb=MAX_SAVED_BYTES // 1000),
                         max_upload_size=upload_limit_mb(MAX_SAVED_BYTES))
        if result is not None:
            kind, content = result
            if kind == "error":
                st.error(content.text(lang), icon=":material/error:")
            else:
                st.success(tr("pg.loaded", lang, name=content["name"], step=content["step"],
                              data=tr(f"pg.data.{content['data']}", lang)), icon=":material/check:")


def _load_saved() -> None:
    """A callback, so the controls can show the loaded settings in this very run. The page changes only once every
    check passed."""
    upload = st.session_state.get("pg.load")
    if upload is None:
        st.session_state.pop(LOADED_KEY, None)
        return
    try:
        saved = read_experiment(upload.getvalue(), state.registry().session_dir(state.session_id()))
    except GanError as exc:
        st.session_state[LOADED_KEY] = ("error", exc.message)
        return
    playground_ = playground()
    playground_.load(saved)
    _sync_widgets(playground_)
    st.session_state.pop(EXAMPLE_KEY, None)
    if saved.points is not None:
        st.session_state[DRAWN_KEY] = saved.points.tolist()
    st.session_state[LOADED_KEY] = ("ok", {"name": upload.name, "step": saved.step, "data": saved.config.data})


# --- drawing and uploading points ---------------------------------------------------------------------------------

def points_from_selection(selection, cells: np.ndarray) -> np.ndarray:
    """The canvas cells a plotly selection event picked (a click, a box or a lasso), as (n, 2) points."""
    picked = []
    for point in (selection or {}).get("points", []) if isinstance(selection, dict) else []:
        index = point.get("point_index", point.get("pointIndex"))
        curve = point.get("curve_number", point.get("curveNumber", 0))
        if curve == 0 and index is not None and 0 <= index < len(cells):
            picked.append(cells[index])
    return np.asarray(picked, dtype=np.float32).reshape(-1, 2)


def _drawing(playground_: Playground, lang: str) -> None:
    drawn = st.session_state.setdefault(DRAWN_KEY, [])
    st.caption(tr("pg.draw_help", lang))
    cells = canvas_cells()
    figure = canvas_figure(cells, drawn, lang)
    event = st.plotly_chart(figure, key="pg.canvas", on_select="rerun", selection_mode=("points", "box", "lasso"),
                            config={"displaylogo": False})
    new = points_from_selection(event.get("selection") if hasattr(event, "get") else None, cells)
    if len(new):
        known = {tuple(np.round(p, 4)) for p in drawn}
        for point in new:
            if tuple(np.round(point, 4)) not in known and len(drawn) < MAX_POINTS:
                drawn.append([float(point[0]), float(point[1])])
                known.add(tuple(np.round(point, 4)))
    with st.container(horizontal=True, vertical_alignment="center"):
        st.caption(tr("pg.drawn_count", lang, count=len(drawn)))
        st.button(tr("pg.use_points", lang), key="pg.use_points", on_click=_use_drawn, type="primary",
                  disabled=len(drawn) < 3, icon=":material/brush:")
        st.button(tr("pg.clear_points", lang), key="pg.clear_points", on_click=st.session_state.pop,
                  args=(DRAWN_KEY, None), icon=":material/delete:")
    upload = st.file_uploader(tr("pg.csv", lang), type=["csv", "txt"], key="pg.csv",
                              help=tr("pg.csv_help", lang, limit=MAX_POINTS, kb=MAX_CSV_BYTES // 1000),
                              max_upload_size=upload_limit_mb(MAX_CSV_BYTES))
    if upload is not None:
        marker = (upload.name, upload.size)
        if st.session_state.get("pg.csv_done") != marker:
            st.session_state["pg.csv_done"] = marker
            try:
                points = parse_points_csv(upload.getvalue())
            except GanError as exc:
                st.error(exc.text(lang), icon=":material/error:")
            else:
                playground_.set_points(points)
                st.session_state[DRAWN_KEY] = points.tolist()
                st.success(tr("pg.csv_loaded", lang, count=len(points), name=upload.name), icon=":material/check:")


def _use_drawn() -> None:
    try:
        playground().set_points(np.asarray(st.session_state.get(DRAWN_KEY, []), dtype=np.float32))
    except GanError as exc:
        st.session_state[FLASH_KEY] = exc.message


# --- the live view ---------------------------------------------------------------------------------------------------

def _live(lang: str, was_active: bool) -> None:
    playground_ = playground()
    playground_.touch()
    view = playground_.view()
    active = _changing(view)
    if active != was_active:
        st.rerun()  # started or stopped: redraw the page so the timer and the Play/Pause button follow
    if view.message is not None:
        st.warning(view.message.text(lang), icon=":material/info:")
    if view.building or view.heatmap is None:
        st.caption(tr("pg.building", lang))
        return
    _status(view, lang)
    if view.stage is not None and view.slow:
        stage = view.stage
        text = tr(f"pg.stage.{stage['phase']}.{stage['stage']}", lang, loss=stage.get("loss", math.nan))
        title = tr("pg.stage_title", lang, index=stage["index"], count=stage["count"],
                   who=tr("pg.who." + stage["phase"], lang))
        st.info(f"**{title}** · {text}",
                icon=":material/slow_motion_video:")
    layers = st.pills(tr("pg.layers", lang), LAYERS, selection_mode="multi", default=LAYERS, key="pg.layers",
                      format_func=lambda name: tr(f"pg.layer.{name}", lang))
    st.echarts_chart(plane_figure(view, layers, lang), key="pg.plane", height=PLANE_HEIGHT,
                     alt=tr("pg.alt.plane", lang))
    if view.config["loss"] == "wgan_gp" and "heatmap" in layers:
        st.caption(tr("pg.critic_note", lang))
    losses_col, js_col = st.columns(2)
    with losses_col:
        st.markdown(f"**{tr('pg.chart_losses', lang)}**")
        st.echarts_chart(loss_figure(view.history, lang), key="pg.losses", height=SMALL_HEIGHT, renderer="svg",
                         alt=tr("pg.alt.losses", lang))
    with js_col:
        st.markdown(f"**{tr('pg.chart_js', lang)}**")
        st.echarts_chart(js_figure(view.history, lang), key="pg.js_chart", height=SMALL_HEIGHT, renderer="svg",
                         alt=tr("pg.alt.js", lang))


def _changing(view) -> bool:
    """Whether the view will change without anyone pressing anything: building, playing, waiting for a turn, or a
    press the worker has not finished (then the live view looks again until it has, and shows what it did)."""
    return view.building or view.commands_waiting or view.state in (RunState.RUNNING, RunState.QUEUED)


def _step(phase: str) -> None:
    """One step (in slow motion: one stage). The press's rerun waits a moment for it, so it draws the stage this
    press made rather than the one before it (issue #26: a press that seemed to do nothing, then one that seemed
    to skip a stage); if the worker is slower than that, the live view looks again until it is done."""
    playground_ = playground()
    playground_.step(phase)
    playground_.settle(STEP_WAIT_SECONDS)


def _transport(playground_: Playground, view, lang: str) -> None:
    with st.container(horizontal=True, vertical_alignment="center"):
        if view.state == RunState.PAUSED:
            st.button(tr("pg.play", lang), key="pg.play", on_click=playground_.play, type="primary",
                      icon=":material/play_arrow:")
        else:
            st.button(tr("pg.pause", lang), key="pg.pause", on_click=playground_.pause, icon=":material/pause:")
        st.button(tr("pg.step", lang), key="pg.step", on_click=_step, args=("both",), icon=":material/skip_next:")
        st.button(tr("pg.step_d", lang), key="pg.step_d", on_click=_step, args=("d",))
        st.button(tr("pg.step_g", lang), key="pg.step_g", on_click=_step, args=("g",))
        st.button(tr("pg.restart", lang), key="pg.restart", on_click=playground_.restart,
                  icon=":material/restart_alt:")
        st.toggle(tr("pg.slow", lang), key="pg.slow", on_change=_slow_changed,
                  help=tr("pg.slow_help", lang, seconds=STAGE_SECONDS))


def _slow_changed() -> None:
    playground().set_slow(st.session_state["pg.slow"])


def _status(view, lang: str) -> None:
    columns = st.columns(3)
    columns[0].metric(tr("pg.step_count", lang), f"{view.step}")
    js = view.history["js"][-1] if view.history["js"] else math.nan
    columns[1].metric(tr("pg.js", lang), f"{js:.3f}", help=tr("pg.js_help", lang))
    columns[2].metric(tr("pg.arrow_length", lang), f"{view.arrow_length:.3g}", help=tr("pg.arrow_help", lang))
    if view.state == RunState.QUEUED and view.queue_position:
        st.info(tr("pg.state.queued", lang, position=view.queue_position), icon=":material/hourglass_top:")
    _change_captions(view, lang)


def _shown_value(value) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)
