"""Class gallery: every run a student chose to share, under their nickname, live."""

import streamlit as st

from gan_ui import classroom_view, state
from gan_ui.texts import tr

lang = state.language()
st.title(tr("gallery.title", lang))
st.write(tr("gallery.intro", lang))
classroom_view.gallery_view(lang)
