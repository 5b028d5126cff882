"""My runs: this session's runs with their state and newest grid; compare two or more side by side."""

import streamlit as st

from gan_core.i18n import tr
from gan_ui import state
from gan_ui.runs_view import compare_runs, run_list

lang = state.language()
st.title(tr("runs.title", lang))
st.write(tr("runs.intro", lang))

runs = state.session_runs()
if not runs:
    st.info(tr("runs.empty", lang), icon=":material/info:")
    st.page_link("app_pages/train.py", label=tr("runs.go_train", lang), icon=":material/model_training:")
else:
    run_list(lang, any(run.snapshot(history=False).active for run in runs))
    st.divider()
    compare_runs(runs, lang)
