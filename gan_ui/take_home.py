"""Take it home: the downloads that let a student keep a generator (gan_core.explore.export), under a finished run
(gan_ui.live) and in the explorer (gan_ui.explore_view, bundled generators included).

Each file is built when its button is pressed (a callable `data=`: Streamlit calls it on the click), in the
session's folder, so it counts against the session's disk quota while it is built, and deleted once sent."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import streamlit as st

from gan_core import GanError
from gan_core.explore import export
from gan_core.explore.generators import Generator
from gan_core.i18n import tr
from gan_ui import state

DIRECTIONS = 6  # principal directions on the page, as the explorer's (gan_ui.explore_view.DIRECTION_SLIDERS)


def work_dir(room_bytes: int = export.EXPORT_ROOM_BYTES) -> Path:
    """The session's exports folder, after checking that an export of up to room_bytes fits in its quota
    (GanError otherwise)."""
    sid = state.session_id()
    state.check_quota(sid, room_bytes)
    folder = state.registry().session_dir(sid) / "exports"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def safe_name(name: str) -> str:
    """A file name's stem from a generator's name (letters, digits, - and _)."""
    return re.sub(r"[^A-Za-z0-9_-]+", "-", name).strip("-")[:60] or "generator"


def _page_bytes(load: Callable[[], Generator], lang: str) -> bytes:
    from gan_core.explore.latent import principal_directions

    generator = load()
    work = work_dir()
    return export.offline_page(generator, principal_directions(generator, DIRECTIONS), lang,
                               export.onnx_bytes(generator, work))


def _onnx_bytes(load: Callable[[], Generator]) -> bytes:
    return export.onnx_bytes(load(), work_dir())


def downloads(load: Callable[[], Generator], name: str, key: str, lang: str,
              notebook: NotebookDownload | None = None, keras_file: Path | None = None) -> None:
    """The take-home buttons for one generator: the offline page, the ONNX file and, when `notebook` is given (one
    whose recipe is known: a run's, a bundled one's), the notebook's zip (saying so where D starts afresh), with `keras_file` (the generator the notebook
    loads, under the name it asks for) where the page has no generator download of its own. `load` returns the
    generator; it is called only when a button is pressed. With the session's quota full the buttons are shown
    disabled under the reason."""
    st.markdown(f"**{tr('export.title', lang)}**", help=tr("export.help", lang))
    blocked = None
    try:
        state.check_quota(state.session_id(), export.EXPORT_ROOM_BYTES)
    except GanError as exc:
        blocked = state.say(exc, lang)
        st.warning(blocked, icon=":material/block:")
    stem = safe_name(name)
    with st.container(horizontal=True):
        st.download_button(tr("export.page_button", lang), data=lambda: _page_bytes(load, lang),
                           file_name=f"{stem}.html", mime="text/html", on_click="ignore", disabled=bool(blocked),
                           key=f"{key}.take_home.page", icon=":material/language:")
        st.download_button(tr("export.onnx_button", lang), data=lambda: _onnx_bytes(load),
                           file_name=f"{stem}.onnx", mime="application/octet-stream", on_click="ignore",
                           disabled=bool(blocked), key=f"{key}.take_home.onnx", icon=":material/account_tree:")
        if notebook is not None:
            st.download_button(tr("export.notebook_button", lang), data=notebook, file_name=f"{stem}.zip",
                               mime="application/zip", on_click="ignore", disabled=bool(blocked),
                               help=tr("export.notebook_help", lang), key=f"{key}.take_home.notebook",
                               icon=":material/menu_book:")
            if keras_file is not None:
                st.download_button(tr("live.dl_generator", lang), data=keras_file.read_bytes,
                                   file_name=f"generator_{stem}.keras", mime="application/octet-stream",
                                   on_click="ignore", key=f"{key}.take_home.keras", icon=":material/download:")
    if notebook is not None and not notebook.continues_discriminator:
        st.caption(tr("export.notebook_fresh_d", lang))


@dataclass(frozen=True)
class NotebookDownload:
    """The notebook download of a run's (or a bundled generator's) folder: called, the zip of
    gan_core.explore.notebook.take_home_zip, built in the session's folder once its quota allows it."""

    folder: Path
    lang: str
    weights_name: str

    @property
    def continues_discriminator(self) -> bool:
        from gan_core.explore import notebook

        return notebook.has_discriminator(self.folder)

    def __call__(self) -> bytes:
        from gan_core.explore import notebook

        work = work_dir(max(export.EXPORT_ROOM_BYTES, notebook.package_bytes(self.folder)))
        stem = safe_name(self.weights_name.removesuffix(".keras").removeprefix("generator_"))
        return notebook.take_home_zip(self.folder, self.lang, stem, self.weights_name, work)


def run_notebook(run_dir: Path, lang: str, weights_name: str | None = None) -> NotebookDownload | None:
    """The notebook download for a run or a bundled generator's folder (gan_core.explore.notebook), or None where
    it cannot be written (a self-conditioned generator whose groups are not there). It loads the generator under
    `weights_name`: by default the name the run page's generator download gives it."""
    from gan_core.explore import notebook

    run_dir = Path(run_dir)
    if not notebook.can_write(run_dir):
        return None
    return NotebookDownload(run_dir, lang, weights_name or f"generator_{run_dir.name}.keras")
