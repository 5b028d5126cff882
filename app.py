"""GAN classroom: `streamlit run app.py`. Session, language and navigation; each page lives in app_pages/."""

import logging
import os

# Before TensorFlow loads: its C++ start-up chatter (CUDA probing, oneDNN, CPU features, the graph remapper) is
# not for a teacher's console. A teacher who wants it back sets TF_CPP_MIN_LOG_LEVEL=0.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
logging.getLogger("tensorflow").setLevel(logging.ERROR)  # its Python side: retracing notices and the like

import streamlit as st  # noqa: E402

from gan_ui import keras_guard, state, teacher_view  # noqa: E402
from gan_ui.texts import LANGUAGE_NAMES, LANGUAGES, tr  # noqa: E402

keras_guard.install()  # before this run ends: Streamlit would reset Keras under the training threads
teacher_view.log_hint_once()  # the console says where the teacher view is and whether it has a password
state.session_id()  # reattaches this browser's runs after a reload (?s= in the URL)
lang = state.language_from_url()
with st.sidebar:  # bound to ?lang= in the URL, so a reload or a shared link keeps the language
    st.radio(tr("app.language", lang), LANGUAGES, key="lang", horizontal=True, bind="query-params",
             format_func=LANGUAGE_NAMES.get, on_change=state.keep_choices_across_languages)
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
# The tab's title in the page's language. The icon is an emoji, which the browser draws itself: a Material icon
# here would be fetched from a font server on the internet, which a class server may not reach.
st.set_page_config(page_title=f"{page.title} · {tr('app.title', lang)}", page_icon="🎨", layout="wide")
st.sidebar.caption(tr("app.session", lang))
st.session_state[state.KEPT_CHOICES_KEY] = {}  # only the choices this page draws are kept across languages
page.run()
