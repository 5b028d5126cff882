"""Explore: move through a generator's latent space, bundled generators or the student's own."""

import streamlit as st

from gan_core.i18n import tr
from gan_ui import explore_view as view
from gan_ui import projection_view, state

lang = state.language()
st.title(tr("explore.title", lang))
st.write(tr("explore.intro", lang))

chosen = view.choose_generator(lang)
if chosen is not None:
    handle, key, quality_record = chosen
    projection_view.apply_finished(handle, key)  # a projection that ended moves the sliders below, before they draw
    view.latent_controls(handle, key, lang)
    view.live_image(handle, key, lang)
    st.divider()
    st.subheader(tr("project.title", lang))
    projection_view.photo_section(handle, key, lang)
    st.divider()
    st.subheader(tr("explore.interp_title", lang))
    st.caption(tr("explore.interp_help", lang))
    view.interpolation(handle, key, lang)
    if handle.conditional:
        st.subheader(tr("explore.morph_title", lang))
        st.caption(tr("explore.morph_help", lang))
        view.morph(handle, key, lang, classifier=quality_record.get("classifier"))
    st.divider()
    samples_col, metrics_col = st.columns([2, 1])
    with samples_col:
        st.subheader(tr("explore.samples_title", lang))
        view.samples(handle, key, lang)
    with metrics_col:
        st.subheader(tr("explore.metrics_title", lang))
        view.quality(quality_record, lang)
    st.divider()
    view.take_home(handle, key, lang)
