"""Class gallery: every run a student chose to share, under their nickname, live."""

import streamlit as st

from gan_core.i18n import tr
from gan_ui import classroom_view, state

lang = state.language()
st.title(tr("gallery.title", lang))
st.write(tr("gallery.intro", lang))
classroom_view.gallery_view(lang)
