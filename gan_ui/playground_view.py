"""The 2-D playground page: data, model and training controls, and a live view drawn from a PlaygroundView.

The page never touches a network: controls call the Playground's methods (which return at once) and the live
fragment draws the small arrays of `Playground.view()`. Every word comes from the translation table.
"""

from __future__ import annotations

import math

import numpy as np
import plotly.graph_objects as go
import streamlit as st

from gan_core import GanError, RunState
from gan_core.i18n import tr
from gan_core.playground import (
    ACTIVATIONS,
    BOX,
    DISTRIBUTIONS,
    EXAMPLES,
    MAX_CSV_BYTES,
    MAX_POINTS,
    NOISE_KINDS,
    POINTS,
    STAGE_SECONDS,
    Playground,
    PlaygroundConfig,
    parse_points_csv,
    playground_scheduler,
)
from gan_core.playground_files import MAX_SAVED_BYTES, export_experiment, read_experiment
from gan_core.training.config import LOSSES, OPTIMIZERS
from gan_ui import charts, state
from gan_ui.widgets import upload_limit_mb

REFRESH_SECONDS = 0.3  # the live view's redraw while something changes: several times a second
OBJECT_KEY = "pg.object"
DRAWN_KEY = "pg.drawn"
EXAMPLE_KEY = "pg.example"
FLASH_KEY = "pg.flash"
LOADED_KEY = "pg.loaded"  # what the last upload of a saved experiment did: ("ok", details) or ("error", Message)
SAVE_NAME = "aula-gan-2d.zip"
LAST_CHANGE_KEY = "pg.last_change"  # the live setting this page changed last: its controls say when it applies
LEARNING_RATES = (0.0001, 0.0003, 0.0005, 0.001, 0.002, 0.003, 0.005, 0.01, 0.02, 0.03, 0.1)
CANVAS_CELLS = 41  # the drawing canvas: a 41x41 grid of clickable cells over the box
REAL_COLOUR, FAKE_COLOUR = "#1a9850", "#7b3294"
HEATMAP_SCALE = [[0.0, "#c2a5cf"], [0.5, "#f7f7f7"], [1.0, "#a6dba0"]]  # purple "fake", white unsure, green "real"
ARROW_SCALE = 0.08  # box units per unit of gradient
ARROW_MAX = 0.3
MODEL_FIELDS = ("g_layers", "g_width", "d_layers", "d_width", "activation", "noise_dim", "noise", "batch_size")
LIVE_FIELDS = ("loss", "g_optimizer", "d_optimizer", "g_lr", "d_lr", "d_steps", "gp_weight")
GP_WEIGHTS = (0.1, 0.3, 1.0, 3.0, 10.0)  # WGAN-GP's penalty: 0.1 as Gulrajani et al. on 2-D data, 10 as on images
LAYERS = ("heatmap", "real", "fake", "manifold", "arrows")


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
        active = view.building or view.state in (RunState.RUNNING, RunState.QUEUED)
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
    st.selectbox(tr("pg.data", lang), DISTRIBUTIONS + (POINTS,), key="pg.data", on_change=_changed, args=("data",),
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
    st.selectbox(tr("pg.loss", lang), LOSSES, key="pg.loss", on_change=_changed, args=("loss",),
                 format_func=lambda name: tr(f"loss.{name}", lang))
    for who in ("g", "d"):
        optimizer, rate = st.columns([1, 2])
        optimizer.selectbox(tr(f"pg.{who}_optimizer", lang), OPTIMIZERS, key=f"pg.{who}_optimizer",
                            on_change=_changed, args=(f"{who}_optimizer",),
                            format_func=lambda name: tr(f"pg.optimizer.{name}", lang))
        rate.select_slider(tr(f"pg.{who}_lr", lang), LEARNING_RATES, key=f"pg.{who}_lr", on_change=_changed,
                           args=(f"{who}_lr",), format_func=lambda value: f"{value:g}")
    st.number_input(tr("pg.d_steps", lang), 1, 10, key="pg.d_steps", on_change=_changed, args=("d_steps",))
    current = st.session_state.setdefault("pg.gp_weight", playground().config.gp_weight)
    weights = sorted({*GP_WEIGHTS, float(current)})  # a loaded experiment's own weight, too
    st.select_slider(tr("pg.gp_weight", lang), weights, key="pg.gp_weight", on_change=_changed, args=("gp_weight",),
                     format_func=lambda value: f"{value:g}", disabled=st.session_state.get("pg.loss") != "wgan_gp",
                     help=tr("pg.gp_weight_help", lang))
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
    with st.expander(tr("pg.model", lang), icon=":material/account_tree:"):
        g, d = st.columns(2)
        g.number_input(tr("pg.g_layers", lang), 1, 4, key="pg.g_layers", on_change=_changed, args=("g_layers",))
        g.number_input(tr("pg.g_width", lang), 2, 128, key="pg.g_width", on_change=_changed, args=("g_width",))
        d.number_input(tr("pg.d_layers", lang), 1, 4, key="pg.d_layers", on_change=_changed, args=("d_layers",))
        d.number_input(tr("pg.d_width", lang), 2, 128, key="pg.d_width", on_change=_changed, args=("d_width",))
        st.selectbox(tr("pg.activation", lang), ACTIVATIONS, key="pg.activation", on_change=_changed,
                     args=("activation",), format_func=lambda name: tr(f"pg.activation.{name}", lang))
        noise_dim, noise = st.columns(2)
        noise_dim.radio(tr("pg.noise_dim", lang), (1, 2), key="pg.noise_dim", on_change=_changed,
                        args=("noise_dim",), horizontal=True)
        noise.radio(tr("pg.noise", lang), NOISE_KINDS, key="pg.noise", on_change=_changed, args=("noise",),
                    format_func=lambda name: tr(f"pg.noise.{name}", lang))
        st.select_slider(tr("pg.batch_size", lang), (32, 64, 128, 256, 512), key="pg.batch_size",
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

def canvas_cells() -> np.ndarray:
    """The clickable cells' centres (CANVAS_CELLS², 2), row-major."""
    axis = np.linspace(-0.95 * BOX, 0.95 * BOX, CANVAS_CELLS)
    xs, ys = np.meshgrid(axis, axis)
    return np.stack([xs.ravel(), ys.ravel()], axis=1)


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
    figure = go.Figure()
    figure.add_trace(go.Scatter(x=cells[:, 0], y=cells[:, 1], mode="markers", name=tr("pg.trace.canvas", lang),
                                marker=dict(size=9, color="#000000", opacity=0.04), hoverinfo="none"))
    if drawn:
        points = np.asarray(drawn)
        figure.add_trace(go.Scatter(x=points[:, 0], y=points[:, 1], mode="markers", name=tr("pg.trace.drawn", lang),
                                    marker=dict(size=7, color=REAL_COLOUR)))
    _square(figure, 420)
    figure.update_layout(dragmode="lasso", clickmode="event+select", showlegend=False)
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
    active = view.building or view.state in (RunState.RUNNING, RunState.QUEUED)
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
    st.plotly_chart(plane_figure(view, layers, lang), key="pg.plane", config={"displaylogo": False})
    if view.config["loss"] == "wgan_gp" and "heatmap" in layers:
        st.caption(tr("pg.critic_note", lang))
    losses_col, js_col = st.columns(2)
    with losses_col:
        st.markdown(f"**{tr('pg.chart_losses', lang)}**")
        st.plotly_chart(loss_figure(view.history, lang), key="pg.losses")
    with js_col:
        st.markdown(f"**{tr('pg.chart_js', lang)}**")
        st.plotly_chart(js_figure(view.history, lang), key="pg.js_chart")


def _transport(playground_: Playground, view, lang: str) -> None:
    with st.container(horizontal=True, vertical_alignment="center"):
        if view.state == RunState.PAUSED:
            st.button(tr("pg.play", lang), key="pg.play", on_click=playground_.play, type="primary",
                      icon=":material/play_arrow:")
        else:
            st.button(tr("pg.pause", lang), key="pg.pause", on_click=playground_.pause, icon=":material/pause:")
        st.button(tr("pg.step", lang), key="pg.step", on_click=playground_.step, args=("both",),
                  icon=":material/skip_next:")
        st.button(tr("pg.step_d", lang), key="pg.step_d", on_click=playground_.step, args=("d",))
        st.button(tr("pg.step_g", lang), key="pg.step_g", on_click=playground_.step, args=("g",))
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


# --- figures: plain arrays in, plotly out ---------------------------------------------------------------------------

def _wire(values) -> np.ndarray:
    """float32 for the browser: plotly ships it as a base64 typed array, half float64's bytes; and an array with
    NaN gaps in float64 goes out as a JSON list of 17-digit numbers, three times larger (plotly 6)."""
    return np.asarray(values, dtype=np.float32)


def _square(figure: go.Figure, height: int) -> None:
    axis = dict(range=[-BOX, BOX], showgrid=False, zeroline=False, constrain="domain")
    figure.update_layout(height=height, margin=dict(l=10, r=10, t=10, b=10), xaxis=axis,
                         yaxis=dict(axis, scaleanchor="x", scaleratio=1), uirevision="keep",
                         legend=dict(orientation="h", yanchor="top", y=-0.06, x=0))


def _segments(starts: np.ndarray, ends: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Line segments as one trace: start, end, gap, start, end, gap…"""
    gap = np.full(len(starts), np.nan)
    xs = np.stack([starts[:, 0], ends[:, 0], gap], axis=1).ravel()
    ys = np.stack([starts[:, 1], ends[:, 1], gap], axis=1).ravel()
    return xs, ys


def plane_figure(view, layers, lang: str) -> go.Figure:
    """The layered picture: D's decision heatmap, G's manifold, real and fake points, gradient arrows, and in slow
    motion the stage's own batch."""
    layers = set(layers or ())
    figure = go.Figure()
    if "heatmap" in layers:
        figure.add_trace(go.Heatmap(x=_wire(view.heatmap_axis), y=_wire(view.heatmap_axis), z=_wire(view.heatmap),
                                    zmin=0, zmax=1,
                                    colorscale=HEATMAP_SCALE, showscale=False, name=tr("pg.heat.real", lang),
                                    hovertemplate="%{z:.2f}<extra></extra>"))
    if "manifold" in layers and view.manifold is not None:
        lines = view.manifold
        gaps = np.full((lines.shape[0], 1, 2), np.nan)
        joined = np.concatenate([lines, gaps], axis=1).reshape(-1, 2)
        figure.add_trace(go.Scatter(x=_wire(joined[:, 0]), y=_wire(joined[:, 1]), mode="lines",
                                    name=tr("pg.trace.manifold", lang),
                                    line=dict(color="rgba(90,90,90,0.45)", width=1), hoverinfo="skip"))
    if "real" in layers:
        figure.add_trace(go.Scatter(x=_wire(view.real[:, 0]), y=_wire(view.real[:, 1]), mode="markers",
                                    name=tr("pg.trace.real", lang), marker=dict(size=5, color=REAL_COLOUR)))
    stage = view.stage if view.slow else None
    if "arrows" in layers and stage is None:  # under the points, so every fake point stays visible
        _arrows(figure, view.fake, view.arrows, lang)
    if "fake" in layers:
        figure.add_trace(go.Scatter(x=_wire(view.fake[:, 0]), y=_wire(view.fake[:, 1]), mode="markers",
                                    name=tr("pg.trace.fake", lang),
                                    marker=dict(size=5, color=FAKE_COLOUR, opacity=0.35 if stage else 1.0)))
    if stage is not None:
        _stage_traces(figure, stage, lang)
    _square(figure, 520)
    return figure


def _arrows(figure: go.Figure, starts: np.ndarray, vectors: np.ndarray, lang: str) -> None:
    shift = vectors * ARROW_SCALE
    length = np.linalg.norm(shift, axis=1, keepdims=True)
    shift = np.where(length > ARROW_MAX, shift * ARROW_MAX / np.maximum(length, 1e-12), shift)
    xs, ys = _segments(starts, starts + shift)
    figure.add_trace(go.Scatter(x=_wire(xs), y=_wire(ys), mode="lines", name=tr("pg.trace.arrows", lang),
                                line=dict(color="#e66101", width=1.2), hoverinfo="skip"))


def _stage_traces(figure: go.Figure, stage: dict, lang: str) -> None:
    """What one slow-motion stage shows: the noise, then this batch's fake points, sized by D's score, then the
    arrows of G's gradient."""
    shown = 120  # of the batch: enough to see, few enough to follow
    latents = stage.get("latents")
    if stage["stage"] == "noise" and latents is not None and latents.shape[1] == 2:
        figure.add_trace(go.Scatter(x=latents[:shown, 0], y=latents[:shown, 1], mode="markers",
                                    name=tr("pg.trace.noise", lang), marker=dict(size=6, color="#636363", symbol="x")))
    elif stage["stage"] == "noise" and latents is not None:
        figure.add_trace(go.Scatter(x=latents[:shown, 0], y=np.full(min(shown, len(latents)), -0.95 * BOX),
                                    mode="markers", name=tr("pg.trace.noise", lang),
                                    marker=dict(size=6, color="#636363", symbol="x")))
    fake = stage.get("fake")
    if fake is None:
        return
    scores = stage.get("fake_scores")
    sizes = 7 if scores is None else 4 + 10 / (1 + np.exp(-np.clip(scores[:shown], -30, 30)))
    figure.add_trace(go.Scatter(x=fake[:shown, 0], y=fake[:shown, 1], mode="markers", name=tr("pg.trace.batch", lang),
                                marker=dict(size=sizes, color=FAKE_COLOUR, line=dict(color="white", width=1))))
    real, real_scores = stage.get("real"), stage.get("real_scores")
    if real is not None and real_scores is not None:
        sizes = 4 + 10 / (1 + np.exp(-np.clip(real_scores[:shown], -30, 30)))
        figure.add_trace(go.Scatter(x=real[:shown, 0], y=real[:shown, 1], mode="markers", showlegend=False,
                                    marker=dict(size=sizes, color=REAL_COLOUR, line=dict(color="white", width=1))))
    if stage.get("arrows") is not None:
        _arrows(figure, fake[:shown], stage["arrows"][:shown], lang)


def loss_figure(history: dict, lang: str) -> go.Figure:
    figure = go.Figure()
    for name, colour in (("g_loss", charts.G_COLOUR), ("d_loss", charts.D_COLOUR)):
        steps, values = np.asarray(history["step"]), np.asarray(history[name], dtype=float)
        known = np.isfinite(values)
        x, y = charts.thin(steps[known], values[known])
        figure.add_trace(go.Scatter(x=x.astype(np.int32), y=_wire(y), mode="lines", name=tr(f"chart.{name}", lang),
                                    line=dict(color=colour)))
    return _small(figure, tr("chart.step", lang))


def js_figure(history: dict, lang: str) -> go.Figure:
    x, y = charts.thin(history["js_step"], history["js"])
    figure = go.Figure(go.Scatter(x=np.asarray(x, dtype=np.int32), y=_wire(y), mode="lines", name=tr("pg.js", lang),
                                  line=dict(color=FAKE_COLOUR)))
    figure.update_yaxes(range=[0, 1.02])
    return _small(figure, tr("chart.step", lang))


def _small(figure: go.Figure, x_title: str) -> go.Figure:
    figure.update_layout(height=220, margin=dict(l=10, r=10, t=10, b=10), xaxis_title=x_title, uirevision="keep",
                         legend=dict(orientation="h", yanchor="top", y=-0.3, x=0), showlegend=True)
    return figure
