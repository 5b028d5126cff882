"""GAN classroom: `streamlit run app.py`. Session, language and navigation; each page lives in app_pages/."""

import os
from pathlib import Path

# TensorFlow's start-up lines stay off the teacher's console (gan_core.training.device.import_engine, run
# when gan_core is first imported, here and in the training worker); a teacher who sets a level gets what it lets by.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import streamlit as st  # noqa: E402

from gan_core.i18n import LANGUAGE_NAMES, LANGUAGES, GanError, tr  # noqa: E402
from gan_core.server import garbage  # noqa: E402
from gan_ui import keras_guard, retention_view, state, teacher_view  # noqa: E402

FAVICON = Path(__file__).with_name("gan_ui") / "assets" / "favicon.png"
# Every page: no Plotly toolbar on a touch screen, which has no hover to hide it behind, so on a phone it stayed over
# every chart. A mouse still brings it up on hover.
PAGE_STYLE = """<style>
@media (hover: none) { .modebar-container { display: none !important; } }
</style>"""

# Once per server, at its first page: every module the pages use imported, the objects of those imports out of the
# garbage collector's scans, and its full collections spaced out (gan_core.server.garbage): each one held every
# student's page for 100-600 ms.
garbage.freeze_startup_objects("gan_ui", space_full_collections=True)
keras_guard.install()  # before this run ends: Streamlit would reset Keras under the training threads
teacher_view.log_hint_once()  # the console says where the teacher view is, its password and a one-time sign-in link
lang = state.language_from_url()
# The tab's icon first, before the navigation: the browser shows a page's own icon in the tab until a page icon is
# set, and a Material icon there is fetched from fonts.gstatic.com, which a class server may not reach. This one is
# a PNG the app serves itself. (An emoji favicon is no better: it is text, drawn with the machine's emoji font.)
st.set_page_config(page_icon=str(FAVICON), layout="wide")
with st.sidebar:  # ?lang=en in the URL (state.language_in_url), so a reload or a shared link keeps the language
    st.radio(tr("app.language", lang), LANGUAGES, key="lang", horizontal=True,
             format_func=LANGUAGE_NAMES.get, on_change=state.keep_choices_across_languages)
# Material Symbols in the sidebar: Streamlit ships that font and serves it itself (static/media), so the icons draw
# on a class server without internet and on a lab PC without an emoji font, where emoji were empty boxes.
page = st.navigation([
    st.Page("app_pages/train.py", title=tr("nav.train", lang), icon=":material/model_training:", url_path="train",
            default=True),
    st.Page("app_pages/runs.py", title=tr("nav.runs", lang), icon=":material/folder_open:", url_path="runs"),
    st.Page("app_pages/data.py", title=tr("nav.data", lang), icon=":material/photo_library:", url_path="data"),
    st.Page("app_pages/explore.py", title=tr("nav.explore", lang), icon=":material/explore:", url_path="explore"),
    st.Page("app_pages/learn.py", title=tr("nav.learn", lang), icon=":material/school:", url_path="learn"),
    st.Page("app_pages/playground.py", title=tr("nav.playground", lang), icon=":material/scatter_plot:",
            url_path="playground"),
    st.Page("app_pages/gallery.py", title=tr("nav.gallery", lang), icon=":material/groups:", url_path="gallery"),
    st.Page("app_pages/projector.py", title=tr("nav.projector", lang), icon=":material/co_present:",
            url_path="projector"),
    st.Page("app_pages/teacher.py", title=tr("nav.teacher", lang), icon=":material/key:", url_path="teacher"),
])
try:
    # Reattaches this browser's runs after a reload (?s= in the URL); never in the address of a page shown to the room.
    sid = state.session_id(in_url=page.url_path not in state.KEYLESS_PAGES)
except GanError as refusal:  # a server set up unsafely (a Ray cluster without authentication): said on every page
    st.error(refusal.text(lang), icon=":material/gpp_bad:")
    st.stop()
teacher_view.restore_sign_in(sid)  # the teacher's session stays signed in across reloads, until it expires
state.language_in_url(lang)
# The tab's title in the page's language.
st.set_page_config(page_title=f"{page.title} · {tr('app.title', lang)}",
                   initial_sidebar_state="collapsed" if page.url_path == "projector" else "auto")  # a clean screen
st.html(PAGE_STYLE)  # a style only: Streamlit draws it in no place of the page
st.sidebar.caption(tr("app.session", lang))
retention_view.sidebar(lang)  # until when this session's files are kept, and all its runs in one zip
st.session_state[state.KEPT_CHOICES_KEY] = {}  # only the choices this page draws are kept across languages
page.run()
