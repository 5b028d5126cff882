"""Teacher: all jobs on the server, the class gallery, class limits, exercise links and the disk. Behind the teacher's
sign-in: the password (secrets, or the one the server made and printed at start) or the console's one-time link."""

import streamlit as st

from gan_core.i18n import tr
from gan_ui import classroom_view, state
from gan_ui import teacher_view as view

lang = state.language()
st.title(tr("teacher.title", lang))
st.write(tr("teacher.intro", lang))
if view.signed_in(lang):
    view.sign_out(lang)
    jobs, gallery, limits, exercise, disk = st.tabs([tr("teacher.tab_jobs", lang), tr("teacher.tab_gallery", lang),
                                                     tr("teacher.tab_limits", lang), tr("teacher.tab_exercise", lang),
                                                     tr("teacher.tab_disk", lang)])
    with jobs:
        view.jobs(lang)
        view.device_check_panel(lang)
    with gallery:
        classroom_view.gallery_view(lang, teacher=True)
    with limits:
        st.write(tr("limits.intro", lang))
        classroom_view.limits_form(lang)
    with exercise:
        st.write(tr("teacher.exercise_how", lang))
        st.page_link("app_pages/train.py", label=tr("nav.train", lang), icon=":material/model_training:")
    with disk:
        view.disk(lang)
