"""GAN classroom: `streamlit run app.py`. Session, language and navigation; each page lives in app_pages/."""

import streamlit as st

from gan_ui import keras_guard, state
from gan_ui.texts import LANGUAGE_NAMES, LANGUAGES, tr

keras_guard.install()  # before this run ends: Streamlit would reset Keras under the training threads
st.set_page_config(page_title="GAN classroom", page_icon=":material/blur_on:", layout="wide")
state.session_id()  # reattaches this browser's runs after a reload (?s= in the URL)
lang = state.language_from_url()
with st.sidebar:  # bound to ?lang= in the URL, so a reload or a shared link keeps the language
    st.radio(tr("app.language", lang), LANGUAGES, key="lang", horizontal=True, bind="query-params",
             format_func=LANGUAGE_NAMES.get)
page = st.navigation([
    st.Page("app_pages/train.py", title=tr("nav.train", lang), icon=":material/model_training:", url_path="train",
            default=True),
    st.Page("app_pages/runs.py", title=tr("nav.runs", lang), icon=":material/history:", url_path="runs"),
    st.Page("app_pages/data.py", title=tr("nav.data", lang), icon=":material/photo_library:", url_path="data"),
    st.Page("app_pages/explore.py", title=tr("nav.explore", lang), icon=":material/explore:", url_path="explore"),
    st.Page("app_pages/learn.py", title=tr("nav.learn", lang), icon=":material/school:", url_path="learn"),
    st.Page("app_pages/teacher.py", title=tr("nav.teacher", lang), icon=":material/admin_panel_settings:",
            url_path="teacher"),
])
st.sidebar.caption(tr("app.session", lang))
page.run()
