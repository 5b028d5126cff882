"""Plotly figures for runs (live and compared), datasets and the loss functions, and the loss curves as a picture
for the class's shared screens; every label translated."""

from __future__ import annotations

import functools
import io
import threading

import numpy as np
import plotly.graph_objects as go
import plotly.io as pio
import streamlit  # noqa: F401 - registers Streamlit's plotly template ("streamlit"), cut down below
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from PIL import Image
from scipy.signal import lfilter

from gan_core.i18n import tr

G_COLOUR = "#1f77b4"
D_COLOUR = "#d62728"
MAX_POINTS = 400  # per trace: min and max of 200 buckets keep every spike, and a redraw stays light
_PICTURE_LOCK = threading.Lock()  # the loss picture's one figure (and matplotlib's font cache) for every thread
PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf")


def _slim_template() -> go.layout.Template:
    """Streamlit's plotly template cut to what these figures use: its layout (the theme's colours, as placeholders the
    browser fills in) and its scatter and bar defaults. Every figure carries a copy of its template; the full one
    holds the colour scales of ten kinds of trace these charts never draw, a hundred objects more for the garbage
    collector per figure and 2 KB more per chart sent."""
    full = pio.templates["streamlit"]
    return go.layout.Template(layout=full.layout, data={"scatter": full.data.scatter, "bar": full.data.bar})


TEMPLATE = _slim_template()


def new_figure(*traces) -> go.Figure:
    """A new figure on this module's template (every chart of the app starts here)."""
    return go.Figure(list(traces), layout={"template": TEMPLATE})


def smooth(values, weight: float = 0.9) -> np.ndarray:
    """Exponential moving average, bias-corrected like TensorBoard's, so the start is not dragged to 0
    (out[i] = EMA[i] / (1 - weight**(i+1)); one pass of scipy's linear filter, not a Python loop)."""
    values = np.asarray(values, dtype=np.float64)
    if not len(values):
        return values
    ema = lfilter([1.0 - weight], [1.0, -weight], values)
    return ema / -np.expm1(np.arange(1, len(values) + 1) * np.log(weight))


def thin(x, y, points: int = MAX_POINTS) -> tuple[np.ndarray, np.ndarray]:
    """At most `points` points: the series cut into points/2 buckets of consecutive x, each drawn by its lowest and
    highest value in x order, so spikes survive decimation; the first and the newest points are always kept."""
    x, y = np.asarray(x), np.asarray(y)
    if len(x) <= points:
        return x, y
    bucket = np.arange(len(x)) * (points // 2) // len(x)
    order = np.lexsort((y, bucket))  # by bucket, then by value (NaN last): each bucket's first is its min
    starts = np.flatnonzero(np.r_[True, bucket[order][1:] != bucket[order][:-1]])
    ends = np.r_[starts[1:], len(order)] - 1
    index = np.unique(np.r_[0, order[starts], order[ends], len(x) - 1])
    return x[index], y[index]


def _layout(fig: go.Figure, x_title: str, y_title: str, height: int = 320) -> go.Figure:
    # Legend under the plot, where the hover toolbar never covers it; uirevision keeps the user's zoom
    # across live redraws.
    fig.update_layout(height=height, margin=dict(l=10, r=10, t=30, b=10), xaxis_title=x_title, yaxis_title=y_title,
                      legend=dict(orientation="h", yanchor="top", y=-0.22, x=0), hovermode="x unified",
                      uirevision="keep")
    return fig


def _line(fig, x, y, name, colour, **kwargs) -> None:
    x, y = thin(x, y)
    fig.add_trace(go.Scatter(x=x, y=y, name=name, mode="lines", line=dict(color=colour, **kwargs.pop("line", {})),
                             **kwargs))


def losses_per_step(steps: dict, lang: str) -> go.Figure:
    """Raw G and D losses (faint) with their smoothed curves on top."""
    fig = new_figure()
    for field, colour in (("g_loss", G_COLOUR), ("d_loss", D_COLOUR)):
        name = tr(f"chart.{field}", lang)
        _line(fig, steps["step"], steps[field], name, colour, opacity=0.25, line=dict(width=1), showlegend=True)
        _line(fig, steps["step"], smooth(steps[field]), tr("chart.smoothed", lang, name=name), colour,
              line=dict(width=2.5))
    return _layout(fig, tr("chart.step", lang), tr("chart.loss", lang))


def losses_picture(steps: dict, lang: str) -> bytes:
    """The smoothed G and D losses as a PNG, for the gallery's cards and the projector: forty viewers redraw them
    and nobody hovers there. A picture is made once per change and costs a redraw only its address, where Streamlit
    serialises a plotly figure again on every draw (over half of a gallery card's cost, bench/RESULTS.md)."""
    with _PICTURE_LOCK:  # one figure for every picture: its axes are cleared and drawn again, never made anew
        canvas = _picture_canvas()
        axes = canvas.figure.axes[0]
        axes.clear()
        # The layout starts afresh each time (from where it began, not from the last picture's), and the axes stay
        # in it: set_position alone takes them out, and the labels fall off the picture.
        axes.set_position(axes.get_subplotspec().get_position(canvas.figure))
        axes.set_in_layout(True)
        for field, colour in (("g_loss", G_COLOUR), ("d_loss", D_COLOUR)):
            x, y = thin(steps["step"], smooth(steps[field]))
            axes.plot(x, y, color=colour, linewidth=1.6, label=tr(f"chart.{field}", lang))
        axes.set_xlabel(tr("chart.step", lang), fontsize=8.5)
        axes.set_ylabel(tr("chart.loss", lang), fontsize=8.5)
        axes.tick_params(labelsize=7.5)
        axes.grid(alpha=0.3)
        axes.spines[["top", "right"]].set_visible(False)
        axes.legend(loc="lower left", bbox_to_anchor=(0.0, 1.0), ncols=2, frameon=False, fontsize=8.5,
                    borderaxespad=0.2, handlelength=1.5)
        canvas.draw()
        pixels = Image.fromarray(np.asarray(canvas.buffer_rgba())).convert("RGB")
    # In 64 colours the curves look the same and the file is a quarter of the size: every draw of a card hashes it.
    # Not `optimize`: a tenth smaller, three times as long to write.
    encoded = io.BytesIO()
    pixels.quantize(colors=64).save(encoded, format="PNG")
    return encoded.getvalue()


@functools.cache
def _picture_canvas() -> FigureCanvasAgg:
    """The loss picture's one figure and axes (called under _PICTURE_LOCK). A matplotlib figure is thousands of
    objects that point at each other: a new one per picture left about 3,300 for Python's full garbage collections,
    which stop every page of the server while they walk them (bench/RESULTS.md); a cleared axes leaves about 650."""
    figure = Figure(figsize=(3.2, 1.9), dpi=200, layout="constrained")
    figure.add_subplot()
    return FigureCanvasAgg(figure)


def losses_per_epoch(epochs: list[dict], lang: str) -> go.Figure:
    fig = new_figure()
    x = [e["epoch"] for e in epochs]
    for field, colour in (("g_loss", G_COLOUR), ("d_loss", D_COLOUR)):
        fig.add_trace(go.Scatter(x=x, y=[e[field] for e in epochs], name=tr(f"chart.{field}", lang),
                                 mode="lines+markers", line=dict(color=colour)))
    fig.update_xaxes(dtick=1 if len(x) <= 20 else None)
    return _layout(fig, tr("chart.epoch", lang), tr("chart.loss", lang))


def accuracy_per_step(steps: dict, lang: str) -> go.Figure:
    """D's accuracy on real and on fake images (smoothed), with the 50% chance line."""
    fig = new_figure()
    for field, colour in (("d_acc_real", "#2ca02c"), ("d_acc_fake", "#ff7f0e")):
        _line(fig, steps["step"], smooth(steps[field]), tr(f"chart.acc_{field.rsplit('_', 1)[1]}", lang), colour,
              line=dict(width=2.5))
    fig.add_hline(y=0.5, line=dict(color="grey", dash="dot"), annotation_text=tr("chart.chance", lang))
    fig.update_yaxes(range=[-0.02, 1.02], tickformat=".0%")
    return _layout(fig, tr("chart.step", lang), tr("chart.accuracy", lang))


def speed_per_epoch(epochs: list[dict], lang: str) -> go.Figure:
    fig = new_figure(go.Bar(x=[e["epoch"] for e in epochs], y=[e["images_per_sec"] for e in epochs],
                           marker_color="#9467bd", name=tr("chart.images_per_sec", lang)))
    fig.update_xaxes(dtick=1 if len(epochs) <= 20 else None)
    return _layout(fig, tr("chart.epoch", lang), tr("chart.images_per_sec", lang))


def along(snap, axis: str) -> dict:
    """A run's per-step curves with "x" in `axis` units: "step", "epoch" (fractional: where in its epoch each step
    fell, read off the epoch records, so a stop and resume mid-epoch does not shift later epochs) or
    "images_seen" (steps times the batch: runs with different batches line up by how much data they saw)."""
    steps = np.asarray(snap.steps["step"], dtype=np.float64)
    if axis == "images_seen":
        x = steps * snap.config["batch_size"]
    elif axis == "epoch":
        ends = [(0.0, 0.0)] + [(float(e["step"]), float(e["epoch"])) for e in snap.epochs]
        per_epoch = snap.steps_per_epoch or (ends[-1][0] / ends[-1][1] if len(ends) > 1 else 1.0)
        end_steps = np.array([end[0] for end in ends])
        end_epochs = np.array([end[1] for end in ends])
        x = np.interp(steps, end_steps, end_epochs)
        beyond = steps > end_steps[-1]  # the epoch under way
        x[beyond] = end_epochs[-1] + (steps[beyond] - end_steps[-1]) / max(per_epoch, 1)
    else:
        x = steps
    return {**snap.steps, "x": x.tolist()}


def compare_runs(series: list[tuple[str, dict]], field: str, axis: str, lang: str) -> go.Figure:
    """One smoothed curve per run for `field` (g_loss, d_loss, ...); series: (label, along(...) dict)."""
    fig = new_figure()
    for index, (label, steps) in enumerate(series):
        if steps["step"]:
            _line(fig, steps["x"], smooth(steps[field]), label, PALETTE[index % len(PALETTE)], line=dict(width=2))
    y_title = tr("chart.accuracy", lang) if field.startswith("d_acc") else tr(f"chart.{field}", lang)
    if field.startswith("d_acc"):
        fig.update_yaxes(range=[-0.02, 1.02], tickformat=".0%")
    fig.update_layout(title=dict(text=tr(f"chart.{field}", lang) if not field.startswith("d_acc") else
                                 tr(f"chart.acc_{field.rsplit('_', 1)[1]}", lang), font=dict(size=14)))
    return _layout(fig, tr(f"chart.{axis}", lang), y_title)


def class_counts(counts: dict[str, int], labels: dict[str, str], lang: str) -> go.Figure:
    """Bar chart of images per class; labels maps a class name to the text shown."""
    fig = new_figure(go.Bar(x=[labels.get(name, name) for name in counts], y=list(counts.values()),
                           marker_color=G_COLOUR))
    fig.update_layout(hovermode="closest")
    return _layout(fig, tr("chart.class", lang), tr("chart.images", lang), height=260)


def loss_curves(scores: np.ndarray, d_real: np.ndarray, d_fake: np.ndarray, g_fake: np.ndarray, lang: str) -> go.Figure:
    """A loss as a function of D's score: D's penalty on a real and on a fake image, and G's on its fake."""
    fig = new_figure()
    for values, key, colour, dash in ((d_real, "chart.d_on_real", "#2ca02c", "solid"),
                                      (d_fake, "chart.d_on_fake", D_COLOUR, "solid"),
                                      (g_fake, "chart.g_on_fake", G_COLOUR, "dash")):
        fig.add_trace(go.Scatter(x=scores, y=values, name=tr(key, lang), mode="lines",
                                 line=dict(color=colour, width=2.5, dash=dash)))
    fig.add_vline(x=0, line=dict(color="grey", dash="dot"))
    return _layout(fig, tr("chart.score", lang), tr("chart.loss", lang), height=340)


def accuracy_with_without(epochs: list[int], without: list[float], with_: list[float], lang: str) -> go.Figure:
    """D's accuracy on real images per epoch, one run without DiffAugment and one with it, beside the 50% line."""
    fig = new_figure()
    for values, key, colour in ((without, "chart.without_augment", D_COLOUR), (with_, "chart.with_augment", G_COLOUR)):
        fig.add_trace(go.Scatter(x=epochs, y=values, name=tr(key, lang), mode="lines",
                                 line=dict(color=colour, width=2.5)))
    fig.add_hline(y=0.5, line=dict(color="grey", dash="dot"), annotation_text=tr("chart.chance", lang))
    fig.update_yaxes(range=[-0.02, 1.02], tickformat=".0%")
    fig.update_layout(title=dict(text=tr("chart.acc_real", lang), font=dict(size=14)))
    return _layout(fig, tr("chart.epoch", lang), tr("chart.accuracy", lang))
