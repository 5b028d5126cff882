"""The 2-D playground's figures: the plane (D's decision, G's manifold, real and fake points, arrows, a slow-motion
stage), its loss and divergence charts as ECharts options, and the Plotly canvas a class draws points on. Plain
arrays in (a PlaygroundView's), a figure out; every label translated."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from gan_core.i18n import tr
from gan_core.playground import BOX
from gan_ui import charts

REAL_COLOUR, FAKE_COLOUR = "#1a9850", "#7b3294"
HEATMAP_SCALE = [[0.0, "#c2a5cf"], [0.5, "#f7f7f7"], [1.0, "#a6dba0"]]  # purple "fake", white unsure, green "real"
ARROW_SCALE = 0.08  # box units per unit of gradient
ARROW_MAX = 0.3
CANVAS_CELLS = 41  # the drawing canvas: a 41x41 grid of clickable cells over the box
CANVAS_HEIGHT = 420
LAYERS = ("heatmap", "real", "fake", "manifold", "arrows")  # the plane's layers a class switches on and off


# --- figures: plain arrays in, an ECharts option out -----------------------------------------------------------------
# The live view is drawn with st.echarts_chart under a fixed key: Streamlit 1.67 keeps that chart and calls ECharts'
# setOption with each new option, so a redraw replaces the picture in one frame. A st.plotly_chart's identity is its
# figure (elements/plotly_chart.py hashes the spec into the element id, and the browser keys the chart by that id),
# so every new step mounted a new Plotly chart and the plane and charts were blank until it had drawn (issue #26).
# The drawing canvas stays a Plotly chart: it is drawn once per click, and its selection events are Plotly's.

PLANE_HEIGHT, PLANE_SIDE = 540, 440  # the element, and the square plotting area inside it (pixels)
SMALL_HEIGHT = 240  # the losses and JS charts: SVG, a few hundred points each, every label a text a page can measure


def _pairs(points, decimals: int = 3) -> list:
    """(n, 2) points as JSON pairs, three decimals (a pixel is 0.005 of the box); rows with NaN or inf left out,
    which a diverging run can produce and JSON cannot carry."""
    points = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    points = points[np.isfinite(points).all(axis=1)]
    return np.round(points, decimals).tolist()


def _segments(starts: np.ndarray, ends: np.ndarray) -> list:
    """Line segments as an ECharts `lines` series' data: one {"coords": [start, end]} each (two decimals: lines
    need less than points, and there are hundreds)."""
    keep = np.isfinite(starts).all(axis=1) & np.isfinite(ends).all(axis=1)
    return [{"coords": pair} for pair in zip(_pairs(starts[keep], 2), _pairs(ends[keep], 2))]


def _plane_axes() -> dict:
    """Two grids on one square: the heatmap's (category axes, a cell per category, hidden) and the points' (value
    axes over the box), so each heatmap cell lies exactly on the part of the box it scores."""
    square = {"left": "center", "top": 10, "width": PLANE_SIDE, "height": PLANE_SIDE}
    value = {"type": "value", "gridIndex": 1, "min": -BOX, "max": BOX, "interval": 0.5, "splitLine": {"show": False},
             "axisLine": {"onZero": False}}
    return {
        "grid": [dict(square), dict(square)],
        "xAxis": [{"type": "category", "gridIndex": 0, "show": False, "data": []}, dict(value)],
        "yAxis": [{"type": "category", "gridIndex": 0, "show": False, "data": []}, dict(value)],
    }


def _on_points(series: dict) -> dict:
    return {**series, "xAxisIndex": 1, "yAxisIndex": 1}


def _scatter(name: str, points, colour: str, size=5, opacity: float = 1.0, symbol: str = "circle") -> dict:
    return _on_points({"type": "scatter", "name": name, "data": _pairs(points), "symbol": symbol, "symbolSize": size,
                       "itemStyle": {"color": colour, "opacity": opacity}})


def _sized(name: str, points, scores, colour: str, shown: int) -> dict:
    """A batch drawn with each point sized by D's score on it (bigger: D calls it more real)."""
    points, scores = np.asarray(points)[:shown], np.asarray(scores, dtype=np.float64)[:shown]
    sizes = 4 + 10 / (1 + np.exp(-np.clip(scores, -30, 30)))
    keep = np.isfinite(points).all(axis=1) & np.isfinite(sizes)
    data = [{"value": pair, "symbolSize": round(float(size), 1)}
            for pair, size in zip(np.round(points[keep].astype(np.float64), 3).tolist(), sizes[keep])]
    return _on_points({"type": "scatter", "name": name, "data": data,
                       "itemStyle": {"color": colour, "borderColor": "white", "borderWidth": 1}})


def _lines(name: str, data: list, colour: str, width: float, arrows: bool = False) -> dict:
    series = {"type": "lines", "coordinateSystem": "cartesian2d", "name": name, "data": data, "silent": True,
              "polyline": not arrows, "lineStyle": {"color": colour, "width": width, "opacity": 1}}
    if arrows:
        series.update(symbol=["none", "arrow"], symbolSize=5)
    return _on_points(series)


def _heatmap(view, lang: str) -> tuple[dict, pd.DataFrame, list]:
    """D's decision on the grid: a heatmap series, its cells as a dataset (Streamlit sends a dataframe as Arrow,
    a fifth of the same numbers as JSON) and the cell labels of its category axes."""
    z = np.nan_to_num(np.asarray(view.heatmap, dtype=np.float32), nan=0.5)
    rows, columns = np.indices(z.shape)
    cells = pd.DataFrame({"x": columns.ravel().astype(np.int16), "y": rows.ravel().astype(np.int16),
                          "d": z.ravel()})
    series = {"type": "heatmap", "name": tr("pg.heat.real", lang), "datasetIndex": 0, "xAxisIndex": 0,
              "yAxisIndex": 0, "encode": {"x": "x", "y": "y", "value": "d"}, "z": 0, "silent": True}
    return series, cells, [f"{value:.3f}" for value in view.heatmap_axis]


def plane_figure(view, layers, lang: str) -> dict:
    """The layered picture as an ECharts option: D's decision heatmap, G's manifold, real and fake points, gradient
    arrows, and in slow motion the stage's own batch."""
    layers = set(layers or ())
    option = {"animation": False, **_plane_axes(), "series": [],
              "legend": {"bottom": 0, "icon": "circle", "itemWidth": 10, "itemHeight": 10},
              "tooltip": {"trigger": "item"}}
    series = option["series"]
    if "heatmap" in layers:
        heat, cells, labels = _heatmap(view, lang)
        series.append(heat)
        option["dataset"] = [{"source": cells}]
        option["xAxis"][0]["data"] = option["yAxis"][0]["data"] = labels
        option["visualMap"] = {"show": False, "min": 0, "max": 1, "seriesIndex": 0, "dimension": "d",
                               "inRange": {"color": [colour for _, colour in HEATMAP_SCALE]}}
    if "manifold" in layers and view.manifold is not None:
        series.append(_lines(tr("pg.trace.manifold", lang), [{"coords": _pairs(line, 2)} for line in view.manifold],
                             "rgba(90,90,90,0.45)", 1))
    if "real" in layers:
        series.append(_scatter(tr("pg.trace.real", lang), view.real, REAL_COLOUR))
    stage = view.stage if view.slow else None
    if "arrows" in layers and stage is None:  # under the points, so every fake point stays visible
        series.append(_arrows(view.fake, view.arrows, lang))
    if "fake" in layers:
        series.append(_scatter(tr("pg.trace.fake", lang), view.fake, FAKE_COLOUR, opacity=0.35 if stage else 1.0))
    if stage is not None:
        series.extend(_stage_series(stage, lang))
    option["legend"]["data"] = [entry["name"] for entry in series if entry.get("name") and entry["type"] != "heatmap"]
    return option


def _arrows(starts: np.ndarray, vectors: np.ndarray, lang: str) -> dict:
    shift = vectors * ARROW_SCALE
    length = np.linalg.norm(shift, axis=1, keepdims=True)
    shift = np.where(length > ARROW_MAX, shift * ARROW_MAX / np.maximum(length, 1e-12), shift)
    return _lines(tr("pg.trace.arrows", lang), _segments(starts, starts + shift), "#e66101", 1.2, arrows=True)


def _stage_series(stage: dict, lang: str) -> list:
    """What one slow-motion stage shows: the noise, then this batch's fake points, sized by D's score, then the
    arrows of G's gradient."""
    shown = 120  # of the batch: enough to see, few enough to follow
    series = []
    latents = stage.get("latents")
    if stage["stage"] == "noise" and latents is not None:
        noise = latents[:shown] if latents.shape[1] == 2 else np.stack(
            [latents[:shown, 0], np.full(min(shown, len(latents)), -0.95 * BOX)], axis=1)
        series.append(_scatter(tr("pg.trace.noise", lang), noise, "#636363", size=7, symbol="diamond"))
    fake = stage.get("fake")
    if fake is None:
        return series
    scores = stage.get("fake_scores")
    if scores is None:
        series.append(_scatter(tr("pg.trace.batch", lang), fake[:shown], FAKE_COLOUR, size=7))
    else:
        series.append(_sized(tr("pg.trace.batch", lang), fake, scores, FAKE_COLOUR, shown))
    real, real_scores = stage.get("real"), stage.get("real_scores")
    if real is not None and real_scores is not None:
        series.append(_sized("", real, real_scores, REAL_COLOUR, shown))
    if stage.get("arrows") is not None:
        series.append(_arrows(fake[:shown], stage["arrows"][:shown], lang))
    return series


def _line(name: str, x, y, colour: str) -> dict:
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    known = np.isfinite(y)
    data = [[int(step), float(f"{value:.4g}")] for step, value in zip(x[known], y[known])]
    return {"type": "line", "name": name, "data": data, "showSymbol": False, "lineStyle": {"color": colour, "width": 1.5},
            "itemStyle": {"color": colour}}


def loss_figure(history: dict, lang: str) -> dict:
    series = []
    for name, colour in (("g_loss", charts.G_COLOUR), ("d_loss", charts.D_COLOUR)):
        steps, values = np.asarray(history["step"]), np.asarray(history[name], dtype=float)
        known = np.isfinite(values)
        series.append(_line(tr(f"chart.{name}", lang), *charts.thin(steps[known], values[known]), colour))
    return _small(series, tr("chart.step", lang))


def js_figure(history: dict, lang: str) -> dict:
    option = _small([_line(tr("pg.js", lang), *charts.thin(history["js_step"], history["js"]), FAKE_COLOUR)],
                    tr("chart.step", lang))
    option["yAxis"].update(min=0, max=1)
    return option


def _small(series: list, x_title: str) -> dict:
    """A small line chart whose axis labels and title sit inside it (containLabel), so no tick is cut at the edge."""
    return {"animation": False, "series": series, "tooltip": {"trigger": "axis"},
            "legend": {"bottom": 0},
            "grid": {"left": 8, "right": 16, "top": 12, "bottom": 52, "containLabel": True},
            "xAxis": {"type": "value", "name": x_title, "nameLocation": "middle", "nameGap": 26, "min": "dataMin",
                      "max": "dataMax", "minInterval": 1, "splitLine": {"show": False},
                      "axisLabel": {"formatter": "{value}"}},  # 1200, not ECharts' English "1,200"
            "yAxis": {"type": "value", "scale": True}}


# --- the drawing canvas: a Plotly chart, drawn once per click, whose selection events are Plotly's -------------------

def canvas_cells() -> np.ndarray:
    """The clickable cells' centres (CANVAS_CELLS², 2), row-major."""
    axis = np.linspace(-0.95 * BOX, 0.95 * BOX, CANVAS_CELLS)
    xs, ys = np.meshgrid(axis, axis)
    return np.stack([xs.ravel(), ys.ravel()], axis=1)


def canvas_figure(cells: np.ndarray, drawn: list, lang: str) -> go.Figure:
    """The canvas: its faint clickable cells (the first trace, the one a selection picks from) and the points drawn
    so far, on the box's square, lasso ready."""
    figure = charts.new_figure()
    figure.add_trace(go.Scatter(x=cells[:, 0], y=cells[:, 1], mode="markers", name=tr("pg.trace.canvas", lang),
                                marker=dict(size=9, color="#000000", opacity=0.04), hoverinfo="none"))
    if drawn:
        points = np.asarray(drawn)
        figure.add_trace(go.Scatter(x=points[:, 0], y=points[:, 1], mode="markers", name=tr("pg.trace.drawn", lang),
                                    marker=dict(size=7, color=REAL_COLOUR)))
    axis = dict(range=[-BOX, BOX], showgrid=False, zeroline=False, constrain="domain")
    figure.update_layout(height=CANVAS_HEIGHT, margin=dict(l=10, r=10, t=10, b=10), xaxis=axis,
                         yaxis=dict(axis, scaleanchor="x", scaleratio=1), uirevision="keep",
                         legend=dict(orientation="h", yanchor="top", y=-0.06, x=0),
                         dragmode="lasso", clickmode="event+select", showlegend=False)
    return figure
