"""Data: preview the built-in datasets, and upload your own photos as a dataset for this session."""

import streamlit as st

from gan_core.i18n import tr
from gan_ui import state
from gan_ui.data_view import builtin_section, upload_section

lang = state.language()
st.title(tr("data.title", lang))
st.write(tr("data.intro", lang))
builtin, upload = st.tabs([tr("data.tab_builtin", lang), tr("data.tab_upload", lang)])
with builtin:
    builtin_section(lang)
with upload:
    upload_section(lang)
