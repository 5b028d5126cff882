"""Train: set up a run, then watch it learn live (charts, grids, diagnosis, controls, downloads)."""

import streamlit as st

from gan_core.i18n import tr
from gan_ui import classroom_view, state
from gan_ui.copying_view import copying_panel
from gan_ui.live import run_panel
from gan_ui.train_form import COLLAPSE_FORM_KEY, FORM_OPEN_KEY, open_form_if_picked, train_form
from gan_ui.widgets import run_option_label

lang = state.language()
st.title(tr("train.title", lang))
st.write(tr("train.intro", lang))

if st.session_state.pop(COLLAPSE_FORM_KEY, False):
    st.session_state[FORM_OPEN_KEY] = False  # a run just started: make room for it
picked = open_form_if_picked()  # "Entrenar con este conjunto" on the data page: the form, open, filled in
opened = {} if FORM_OPEN_KEY in st.session_state else {"expanded": state.current_run_id() is None}
with st.expander(tr("train.new", lang), key=FORM_OPEN_KEY, on_change="rerun", icon=":material/tune:", **opened):
    train_form(lang, picked)
classroom_view.show_exercise_link(lang)  # outside the form's box: seen even when it folds

current = state.current_run_id()
if current is None:
    st.info(tr("train.none_yet", lang), icon=":material/info:")
else:
    runs = {run.run_id: run for run in state.session_runs()}
    if len(runs) > 1:
        labels = {run_id: run_option_label(run.snapshot(), lang) for run_id, run in runs.items()}
        ids = list(runs)
        chosen = st.selectbox(tr("train.watching", lang), ids, index=ids.index(current), format_func=labels.get)
        if chosen != current:
            state.set_current_run(chosen)
            current = chosen
    state.show_run_in_url(current)
    st.divider()
    run_panel(current, lang)
    shown = state.get_run(current)
    if shown is not None:
        copying_panel(shown, lang)
        classroom_view.share_panel(shown, lang)
