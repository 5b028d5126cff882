"""Train: set up a run, then watch it learn live (charts, grids, diagnosis, controls, downloads)."""

import streamlit as st

from gan_core.i18n import tr
from gan_ui import classroom_view, state
from gan_ui.copying_view import copying_panel
from gan_ui.live import run_panel
from gan_ui.train_form import form_box, train_form
from gan_ui.widgets import run_option_label

lang = state.language()
st.title(tr("train.title", lang))
st.write(tr("train.intro", lang))

box, picked = form_box()  # folded after a start; opened by "Entrenar con este conjunto" on the data page
with st.expander(tr("train.new", lang), on_change="rerun", icon=":material/tune:", **box):
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
