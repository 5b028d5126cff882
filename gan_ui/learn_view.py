"""The learn page's live examples: an untrained generator's sample per recipe, and each loss plotted from the engine."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import streamlit as st
from keras import ops

from gan_core import PRESETS
from gan_core.data.images import grid_scale, make_grid, png_bytes, to_uint8
from gan_core.i18n import TEXTS, number, tr
from gan_core.training.config import LOSSES, recipe
from gan_core.training.losses import discriminator_loss, generator_loss
from gan_core.training.pretrained import bundled_generators
from gan_ui import charts
from gan_ui.explore_view import bundled_handle
from gan_ui.projection_view import LAST_KEY

SAMPLE_SEED_KEY = "learn.sample_seed"
DIFFAUGMENT_DIR = Path(__file__).resolve().parents[1] / "docs" / "learn" / "diffaugment"
DIFFAUGMENT_RUNS = ("without", "with")  # the folder's two runs: identical but for DiffAugment off / on
# Logits where one term of each loss vanishes: evaluating D's loss there isolates the other term.
_ZERO_REAL = {"bce_logits": 30.0, "log": 30.0, "lsgan": 1.0, "hinge": 1.0, "wgan_gp": 0.0}
_ZERO_FAKE = {"bce_logits": -30.0, "log": -30.0, "lsgan": 0.0, "hinge": -1.0, "wgan_gp": 0.0}


@st.cache_data(show_spinner=False, max_entries=32)
def untrained_sample(preset_name: str, seed: int) -> dict:
    """Build the recipe's networks for its usual data and draw 32 images from the untrained generator."""
    preset = PRESETS[preset_name]
    shape = (32, 32, 3) if preset.defaults.get("dataset") == "cifar_animals" else (28, 28, 1)
    classes = 10 if preset.conditional else 0
    generator = preset.build_generator(shape, recipe(preset.name).latent_dim, classes)
    discriminator = preset.build_discriminator(shape, classes)
    rng = np.random.default_rng(seed)
    latents = rng.standard_normal((32, recipe(preset.name).latent_dim)).astype(np.float32)
    inputs = [latents, (np.arange(32) % 10).astype(np.int32).reshape(-1, 1)] if classes else latents
    images = ops.convert_to_numpy(generator(inputs, training=False))
    layers = [{"layer": type(layer).__name__, "shape": str(tuple(layer.output.shape[1:])),
               "params": layer.count_params()} for layer in generator.layers if type(layer).__name__ != "InputLayer"]
    return {"grid": png_bytes(make_grid(to_uint8(images), columns=8), scale=grid_scale(images.shape[1])), "layers": layers,
            "g_params": generator.count_params(), "d_params": discriminator.count_params()}


@st.cache_data(show_spinner=False)
def loss_curves(name: str, low: float = -4.0, high: float = 4.0, points: int = 121) -> dict:
    """Each loss term as a function of D's score, computed with the engine's own loss functions."""
    scores = np.linspace(low, high, points).astype(np.float32)

    def value(tensor) -> float:
        return float(ops.convert_to_numpy(tensor))

    zero_real, zero_fake = np.float32([_ZERO_REAL[name]]), np.float32([_ZERO_FAKE[name]])
    d_real = [value(discriminator_loss(name, np.float32([s]), zero_fake)) for s in scores]
    d_fake = [value(discriminator_loss(name, zero_real, np.float32([s]))) for s in scores]
    g_fake = [value(generator_loss(name, np.float32([s]))) for s in scores]
    return {"scores": scores, "d_real": np.array(d_real), "d_fake": np.array(d_fake), "g_fake": np.array(g_fake)}


@st.cache_data(show_spinner=False)
def diffaugment_demo(folder: str = str(DIFFAUGMENT_DIR)) -> dict | None:
    """The committed birds demo (made by scripts/make_diffaugment_demo.py): demo.json, and per run its per-epoch
    curves and its grids (PNG bytes) at the shown epochs. None if the folder is missing or incomplete."""
    folder = Path(folder)
    try:
        demo = json.loads((folder / "demo.json").read_text())
        for name in DIFFAUGMENT_RUNS:
            run = demo["runs"][name]
            run["curves"] = json.loads((folder / name / "curves.json").read_text())
            run["grids"] = {epoch: (folder / name / f"epoch_{epoch:03d}.png").read_bytes()
                            for epoch in demo["shown_epochs"]}
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return demo


def augment_figures(without: list[float], with_: list[float]) -> dict:
    """What the page says about D's accuracy on real photos, read from the two runs' per-epoch curves: the first
    quarter of the epochs, the whole run and the last epoch."""
    early = max(1, len(without) // 4)

    def percent(values) -> str:
        return f"{float(np.mean(values)):.0%}"

    return {"early": early, "early_without": percent(without[:early]), "early_with": percent(with_[:early]),
            "mean_without": percent(without), "mean_with": percent(with_),
            "final_without": percent(without[-1:]), "final_with": percent(with_[-1:])}


def diffaugment_section(lang: str) -> None:
    """The birds trained with and without DiffAugment: both grids at the same epoch, and D's accuracy on real images."""
    st.markdown(tr("learn.augment_intro", lang))
    demo = diffaugment_demo()
    if demo is None:
        st.warning(tr("learn.augment_missing", lang), icon=":material/warning:")
        return
    runs = demo["runs"]
    shown = demo["shown_epochs"]
    epoch = st.select_slider(tr("learn.augment_epoch", lang), options=shown, value=shown[-1], key="learn.augment_epoch")
    for column, name in zip(st.columns(2), DIFFAUGMENT_RUNS):
        curves = runs[name]["curves"]
        real = curves["d_acc_real"][curves["epoch"].index(epoch)]
        with column:
            st.markdown(f"**{tr(f'learn.augment_{name}', lang)}**")
            st.image(runs[name]["grids"][epoch], width="stretch",
                     caption=tr("learn.augment_caption", lang, epoch=epoch, real=f"{real:.0%}"), output_format="PNG")
    without, with_ = runs["without"]["curves"], runs["with"]["curves"]
    st.plotly_chart(charts.accuracy_with_without(without["epoch"], without["d_acc_real"], with_["d_acc_real"], lang),
                    key="learn.augment_chart")
    st.markdown(tr("learn.augment_seen", lang, **augment_figures(without["d_acc_real"], with_["d_acc_real"])))
    st.markdown(tr("learn.augment_why", lang))
    hardware = demo["hardware"]
    loads = [runs[name].get("load_average_at_start") for name in DIFFAUGMENT_RUNS]
    st.caption(tr("learn.augment_how", lang, images=demo["images"], epochs=demo["epochs"],
                  machine=" + ".join([hardware["cpu"], *hardware["gpus"]]), cores=hardware["cores"],
                  without=round(runs["without"]["wall_seconds"] or runs["without"]["train_seconds"]),
                  with_=round(runs["with"]["wall_seconds"] or runs["with"]["train_seconds"]),
                  load=" / ".join("–" if load is None else f"{load:.1f}" for load in loads), command=demo["made_by"]))


SWEEP_STEPS = 12


def latent_sweeps(name: str = "mnist", seed: int = 3) -> dict | None:
    """One latent point of the bundled self-conditioned generator `name`, with z[0] swept from -2.5 to 2.5 (the
    group changes) and with z[1] swept the same way (the group stays): two strips as PNG bytes. None when there
    is no such generator, or it has no groups."""
    path = next((bundled.path for bundled in bundled_generators() if bundled.name == name), None)
    if path is None:
        return None
    return _latent_sweeps(name, str(path), path.stat().st_mtime, seed)


@st.cache_data(show_spinner=False, max_entries=4)
def _latent_sweeps(name: str, path: str, modified: float, seed: int) -> dict | None:
    """Keyed by the file (and its time) as well as the name, so another pretrained folder is never served from
    the cache."""
    handle = bundled_handle(name)
    if not handle.groups or handle.conditional or handle.latent_dim < 2:
        return None
    strips = {}
    for dim in (0, 1):
        latents = np.repeat(handle.sample_latents(1, seed), SWEEP_STEPS, axis=0)
        latents[:, dim] = np.linspace(-2.5, 2.5, SWEEP_STEPS)
        images = to_uint8(handle.generate(latents))
        strips[dim] = png_bytes(make_grid(images, SWEEP_STEPS), scale=grid_scale(images.shape[1]))
    return {"groups": handle.groups, "strips": strips}


def groups_section(lang: str) -> None:
    """Why an unconditional generator draws in-between digits, and what self-conditioning changes, shown on the
    bundled MNIST generator."""
    st.markdown(tr("learn.groups_intro", lang))
    sweeps = latent_sweeps()
    if sweeps is None:
        return
    st.image(sweeps["strips"][0], caption=tr("learn.groups_dim0", lang), width="stretch", output_format="PNG")
    st.image(sweeps["strips"][1], caption=tr("learn.groups_dim1", lang), width="stretch", output_format="PNG")
    st.caption(tr("learn.groups_how", lang, groups=sweeps["groups"]))


def presets_section(lang: str) -> None:
    st.write(tr("learn.presets_intro", lang))
    name = st.selectbox(tr("learn.preset_pick", lang), list(PRESETS), key="learn.preset")
    preset = PRESETS[name]
    config = recipe(preset.name)
    st.markdown(f"**{name}** · " + tr(f"preset.{name}", lang))
    if preset.conditional:
        st.caption(tr("train.conditional", lang))
    seed = st.session_state.setdefault(SAMPLE_SEED_KEY, 0)
    sample = untrained_sample(name, seed)
    st.write(tr("learn.params", lang, g=number(sample["g_params"], lang), d=number(sample["d_params"], lang),
                batch=config.batch_size, latent=config.latent_dim, loss=tr(f"loss.{config.loss}", lang)))
    picture, layers = st.columns([1, 1])
    with picture:
        st.image(sample["grid"], caption=tr("learn.untrained", lang), width="stretch", output_format="PNG")
        if st.button(tr("learn.new_sample", lang), icon=":material/casino:"):
            st.session_state[SAMPLE_SEED_KEY] = seed + 1
            st.rerun()
    with layers:
        st.markdown(f"**{tr('learn.layers', lang)}**")
        st.dataframe([{tr("col.layer", lang): row["layer"], tr("col.output", lang): row["shape"],
                       tr("col.params", lang): row["params"]} for row in sample["layers"]], hide_index=True)


def losses_section(lang: str) -> None:
    st.write(tr("learn.losses_intro", lang))
    name = st.selectbox(tr("learn.loss_pick", lang), LOSSES, key="learn.loss",
                        format_func=lambda loss: tr(f"loss.{loss}", lang))
    st.write(tr(f"learn.loss.{name}", lang))
    curves = loss_curves(name)
    st.plotly_chart(charts.loss_curves(curves["scores"], curves["d_real"], curves["d_fake"], curves["g_fake"], lang),
                    key="learn.loss_chart")


def projection_section(lang: str) -> None:
    """Why a photo cannot be reproduced exactly: the generator's range and what the distance means, with the
    student's own last projection (the explorer's "Project your photo") when there is one."""
    st.markdown(tr("learn.project", lang))
    last = st.session_state.get(LAST_KEY)
    if last is None:
        st.info(tr("learn.project_none", lang), icon=":material/center_focus_strong:")
        return
    result = last["result"]
    difference = np.abs(result.target.astype(np.int16) - result.image.astype(np.int16)).astype(np.uint8)
    scale = max(1, 128 // result.target.shape[0])
    columns = st.columns(3)
    for column, image, caption in zip(columns, (result.target, result.image, difference),
                                      ("project.seen", "project.reconstruction", "learn.project_difference")):
        column.image(png_bytes(image, scale=scale), caption=tr(caption, lang), width=128, output_format="PNG")
    generator = tr(f"pretrained.{last['generator']}", lang) if f"pretrained.{last['generator']}" in TEXTS \
        else last["generator"]
    st.markdown(tr("learn.project_yours", lang, generator=generator, distance=f"{result.distance:.3f}",
                   typical=f"{result.typical:.3f}", percent=f"{100 * result.ratio:.0f}",
                   verdict=tr(f"project.verdict.{result.verdict}", lang)))
