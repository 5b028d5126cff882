"""GAN classroom: `streamlit run app.py`. Session, language and navigation; each page lives in app_pages/."""

import os

# TensorFlow's start-up lines stay off the teacher's console (gan_core.training.device.import_tensorflow_quietly, run
# when gan_core is first imported, here and in the training worker); a teacher who sets a level gets what it lets by.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import streamlit as st  # noqa: E402

from gan_core.i18n import LANGUAGE_NAMES, LANGUAGES, GanError, tr  # noqa: E402
from gan_ui import keras_guard, retention_view, state, teacher_view  # noqa: E402

keras_guard.install()  # before this run ends: Streamlit would reset Keras under the training threads
teacher_view.log_hint_once()  # the console says where the teacher view is, its password and a one-time sign-in link
lang = state.language_from_url()
with st.sidebar:  # bound to ?lang= in the URL, so a reload or a shared link keeps the language
    st.radio(tr("app.language", lang), LANGUAGES, key="lang", horizontal=True, bind="query-params",
             format_func=LANGUAGE_NAMES.get, on_change=state.keep_choices_across_languages)
page = st.navigation([
    st.Page("app_pages/train.py", title=tr("nav.train", lang), icon="🏋️", url_path="train",
            default=True),
    st.Page("app_pages/runs.py", title=tr("nav.runs", lang), icon="🗂️", url_path="runs"),
    st.Page("app_pages/data.py", title=tr("nav.data", lang), icon="🖼️", url_path="data"),
    st.Page("app_pages/explore.py", title=tr("nav.explore", lang), icon="🧭", url_path="explore"),
    st.Page("app_pages/learn.py", title=tr("nav.learn", lang), icon="🎓", url_path="learn"),
    st.Page("app_pages/playground.py", title=tr("nav.playground", lang), icon="🔬", url_path="playground"),
    st.Page("app_pages/gallery.py", title=tr("nav.gallery", lang), icon="👥", url_path="gallery"),
    st.Page("app_pages/projector.py", title=tr("nav.projector", lang), icon="📽️", url_path="projector"),
    st.Page("app_pages/teacher.py", title=tr("nav.teacher", lang), icon="🔑",
            url_path="teacher"),
])
try:
    # Reattaches this browser's runs after a reload (?s= in the URL); never in the address of a page shown to the room.
    sid = state.session_id(in_url=page.url_path not in state.KEYLESS_PAGES)
except GanError as refusal:  # a server set up unsafely (a Ray cluster without authentication): said on every page
    st.error(refusal.text(lang), icon=":material/gpp_bad:")
    st.stop()
teacher_view.restore_sign_in(sid)  # the teacher's session stays signed in across reloads, until it expires
# The tab's title in the page's language. Page icons are emoji because the tab shows the page's icon: the browser
# draws an emoji itself, while a Material icon there is fetched from a font server on the internet, which a class
# server may not reach (inside the page, Material icons come with Streamlit and are fine).
st.set_page_config(page_title=f"{page.title} · {tr('app.title', lang)}", page_icon="🎨", layout="wide",
                   initial_sidebar_state="collapsed" if page.url_path == "projector" else "auto")  # a clean screen
st.sidebar.caption(tr("app.session", lang))
retention_view.sidebar(lang)  # until when this session's files are kept, and all its runs in one zip
st.session_state[state.KEPT_CHOICES_KEY] = {}  # only the choices this page draws are kept across languages
page.run()
