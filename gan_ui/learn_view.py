"""The learn page's live examples: an untrained generator's sample per recipe, and each loss plotted from the engine."""

from __future__ import annotations

import numpy as np
import streamlit as st
from keras import ops

from gan_core import PRESETS
from gan_core.config import LOSSES
from gan_core.images import make_grid, png_bytes, to_uint8
from gan_core.losses import discriminator_loss, generator_loss
from gan_ui import charts
from gan_ui.texts import tr

SAMPLE_SEED_KEY = "learn.sample_seed"
# Logits where one term of each loss vanishes: evaluating D's loss there isolates the other term.
_ZERO_REAL = {"bce_logits": 30.0, "log": 30.0, "lsgan": 1.0, "hinge": 1.0, "wgan_gp": 0.0}
_ZERO_FAKE = {"bce_logits": -30.0, "log": -30.0, "lsgan": 0.0, "hinge": -1.0, "wgan_gp": 0.0}


@st.cache_data(show_spinner=False, max_entries=32)
def untrained_sample(preset_name: str, seed: int) -> dict:
    """Build the recipe's networks for its usual data and draw 32 images from the untrained generator."""
    preset = PRESETS[preset_name]
    shape = (32, 32, 3) if preset.defaults.get("dataset") == "cifar_animals" else (28, 28, 1)
    classes = 10 if preset.conditional else 0
    generator = preset.build_generator(shape, preset.config().latent_dim, classes)
    discriminator = preset.build_discriminator(shape, classes)
    rng = np.random.default_rng(seed)
    latents = rng.standard_normal((32, preset.config().latent_dim)).astype(np.float32)
    inputs = [latents, (np.arange(32) % 10).astype(np.int32).reshape(-1, 1)] if classes else latents
    images = ops.convert_to_numpy(generator(inputs, training=False))
    layers = [{"layer": type(layer).__name__, "shape": str(tuple(layer.output.shape[1:])),
               "params": layer.count_params()} for layer in generator.layers if type(layer).__name__ != "InputLayer"]
    return {"grid": png_bytes(make_grid(to_uint8(images), columns=8), scale=2), "layers": layers,
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


def presets_section(lang: str) -> None:
    st.write(tr("learn.presets_intro", lang))
    name = st.selectbox(tr("learn.preset_pick", lang), list(PRESETS), key="learn.preset")
    preset = PRESETS[name]
    config = preset.config()
    st.markdown(f"**{name}** · {preset.description[lang]}")
    if preset.conditional:
        st.caption(tr("train.conditional", lang))
    seed = st.session_state.setdefault(SAMPLE_SEED_KEY, 0)
    sample = untrained_sample(name, seed)
    st.write(tr("learn.params", lang, g=f"{sample['g_params']:,}", d=f"{sample['d_params']:,}",
                batch=config.batch_size, latent=config.latent_dim, loss=tr(f"loss.{config.loss}", lang)))
    picture, layers = st.columns([1, 1])
    with picture:
        st.image(sample["grid"], caption=tr("learn.untrained", lang), width="stretch")
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
