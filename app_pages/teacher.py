"""Teacher: all jobs on the server, machine load, stop any job. Behind the password in .streamlit/secrets.toml."""

import streamlit as st

from gan_ui import state
from gan_ui import teacher_view as view
from gan_ui.texts import tr

lang = state.language()
st.title(tr("teacher.title", lang))
st.write(tr("teacher.intro", lang))
if view.signed_in(lang):
    view.jobs(lang)
