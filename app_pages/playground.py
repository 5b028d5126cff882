"""2-D playground: GAN Lab's picture in our engine (data, networks, live heatmap, manifold, arrows, slow motion)."""

import streamlit as st

from gan_core.i18n import tr
from gan_ui import state
from gan_ui.playground_view import playground_page

lang = state.language()
st.title(tr("pg.title", lang))
st.write(tr("pg.intro", lang))
playground_page(lang)
