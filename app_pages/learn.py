"""Learn: what a GAN is, how one training step works, the recipes and the losses, with live examples; why small
datasets need augmentation, from two committed runs on the birds; why your own photo cannot be drawn exactly."""

import streamlit as st

from gan_core.i18n import tr
from gan_ui import state
from gan_ui.learn_view import (
    diffaugment_section,
    groups_section,
    losses_section,
    presets_section,
    projection_section,
)

lang = state.language()
st.title(tr("learn.title", lang))
for section in ("what", "loop", "read"):
    st.header(tr(f"learn.{section}_title", lang))
    st.markdown(tr(f"learn.{section}", lang))
st.header(tr("learn.presets_title", lang))
presets_section(lang)
st.header(tr("learn.losses_title", lang))
losses_section(lang)
st.header(tr("learn.groups_title", lang))
groups_section(lang)
st.header(tr("learn.augment_title", lang))
diffaugment_section(lang)
st.header(tr("learn.project_title", lang))
projection_section(lang)
