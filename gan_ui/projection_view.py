"""The explorer's "Project your photo": pick or upload a photo, project it into the generator off the page's thread,
show what the generator made of it, and hand the latent to the explorer (explore_view.use_projection).

One projection at a time per session: a `ProjectionTask` (gan_core.explore.projection) works in its own thread and
writes its progress behind a lock; a fragment with a timer reads it while it works and reruns the page once when it
ends. The task never touches Streamlit."""

from __future__ import annotations

import numpy as np
import streamlit as st

from gan_core import GanError, load_dataset
from gan_core.data import images as imaging
from gan_core.data.datasets import PHOTO_SUFFIXES, load_saved_dataset
from gan_core.explore import projection
from gan_core.explore.generators import Generator
from gan_core.i18n import tr
from gan_core.training.pretrained import pretrained_dir
from gan_ui import explore_view, state
from gan_ui.widgets import dataset_label, uploader_note

TASK_KEY = "project.task"  # the session's one ProjectionTask (running or ended)
RESULTS_KEY = "project.results"  # generator key -> the last Projection shown for it
LAST_KEY = "project.last"  # the last projection and its generator's name: the Learn page explains it
PROGRESS_SECONDS = 0.5
PHOTO_TYPES = [suffix.lstrip(".") for suffix in PHOTO_SUFFIXES]
BUILTIN = ("mnist", "fashion_mnist", "cifar_animals")
SHOWN_PIXELS = 160


def busy() -> bool:
    """Whether this session's projection is still working."""
    task = st.session_state.get(TASK_KEY)
    return task is not None and task.view().active


def apply_finished(handle: Generator, key: str) -> None:
    """Before the explorer draws its sliders: a projection into this generator that ended since the last run moves
    the explorer to its latent and class (once), and is kept for display and for the Learn page."""
    task = st.session_state.get(TASK_KEY)
    if task is None:
        return
    view = task.view()
    if view.phase != "done" or view.extra.get("key") != key or view.extra.get("applied"):
        return
    task.note(applied=True)
    result = view.result
    st.session_state.setdefault(RESULTS_KEY, {})[key] = result
    st.session_state[LAST_KEY] = {"result": result, "generator": view.extra.get("name", "")}
    explore_view.use_projection(handle, key, result.latent, result.label)


def photo_section(handle: Generator, key: str, lang: str) -> None:
    """The section: the photo's source, the button, the progress while it works, then the result."""
    st.caption(tr("project.intro", lang))
    source = st.radio(tr("project.source", lang), ["upload", "dataset"], horizontal=True, key="project.source",
                      format_func=lambda s: tr(f"project.source.{s}", lang))
    state.keep_choice("project.source")
    photo = _uploaded_photo(handle, lang) if source == "upload" else _dataset_photo(handle, lang)
    working = busy()
    pressed = st.button(tr("project.button", lang), icon=":material/center_focus_strong:", type="primary",
                        key="project.go", disabled=photo is None or working)
    if working:
        st.caption(tr("project.busy", lang))
    if pressed and photo is not None and not working:
        _start(handle, key, photo)
        working = True
    task = st.session_state.get(TASK_KEY)
    if working and task is not None:
        st.fragment(_progress, run_every=PROGRESS_SECONDS)(lang)
    elif task is not None and task.view().phase == "failed" and task.view().extra.get("key") == key:
        st.error(state.say(task.view().error, lang), icon=":material/error:")
    result = st.session_state.get(RESULTS_KEY, {}).get(key)
    if result is not None:
        show_result(result, lang)


def _uploaded_photo(handle: Generator, lang: str) -> np.ndarray | None:
    """The uploaded photo as the generator sees it, or None (nothing uploaded, or refused: the reason is shown)."""
    limit_mb = projection.MAX_PHOTO_BYTES // 1_000_000
    uploaded = st.file_uploader(tr("project.upload", lang), type=PHOTO_TYPES, key="project.file",
                                help=tr("project.upload_help", lang), max_upload_size=limit_mb)
    uploader_note(lang, limit_mb)
    if uploaded is None:
        return None
    try:
        return projection.read_photo(uploaded.name, uploaded.getvalue(), handle.image_shape)
    except GanError as exc:
        st.error(state.say(exc, lang), icon=":material/block:")
        return None


def _dataset_photo(handle: Generator, lang: str) -> np.ndarray | None:
    """An image of a dataset: the held-out test images of a built-in one (the generator never saw those), or a
    photo of one of this session's uploads."""
    own = state.session_datasets()
    choices = [*BUILTIN, *own]
    name = st.selectbox(tr("project.dataset", lang), choices, key="project.dataset",
                        format_func=lambda n: dataset_label(n, lang) if n in BUILTIN else own[n].get("name", n))
    state.keep_choice("project.dataset")
    try:
        if name in BUILTIN:
            dataset = load_dataset(name)
            pool = dataset.test_images if dataset.test_images is not None else dataset.images
        else:
            path = state.session_dataset_path(name)
            pool = load_saved_dataset(path).images if path is not None else None
    except GanError as exc:
        st.error(state.say(exc, lang), icon=":material/error:")
        return None
    if pool is None or not len(pool):
        return None
    index = st.number_input(tr("project.index", lang, count=len(pool)), 1, len(pool), 1, key="project.index")
    photo = projection.fit_image(pool[int(index) - 1], handle.image_shape)
    st.image(imaging.png_bytes(photo, scale=max(1, 96 // photo.shape[0])), width=96, output_format="PNG")
    return photo


def _start(handle: Generator, key: str, photo: np.ndarray) -> None:
    """Start the session's projection: the encoder shipped beside a bundled generator, else one cached beside a
    run's generator or in the session's folder (counted against its quota)."""
    from gan_core.server import housekeeping

    session_dir = state.registry().session_dir(state.session_id())
    shipped, cache_dir = None, session_dir / "encoders"
    if key.startswith("bundled:"):
        shipped = pretrained_dir() / key.split(":", 1)[1] / projection.SHIPPED_ENCODER
    elif key.startswith("run:"):
        run = state.get_run(key.split(":")[1])
        if run is not None:
            cache_dir = run.folder.generator_path.parent

    def quota_check(incoming: int) -> None:
        housekeeping.check_quota(session_dir, incoming)

    st.session_state[TASK_KEY] = projection.ProjectionTask(
        handle, photo, cache_dir, shipped, quota_check, extra={"key": key, "name": handle.name}).start()


def _progress(lang: str) -> None:
    """While the task works: its phase and progress; once it has ended, the whole page once (the explorer moves)."""
    task = st.session_state.get(TASK_KEY)
    if task is None:
        return
    view = task.view()
    if not view.active:
        st.rerun()
    st.progress(min(max(view.fraction, 0.0), 1.0), text=tr(f"project.phase.{view.phase}", lang))


def show_result(result: projection.Projection, lang: str) -> None:
    """The photo as the generator sees it, its reconstruction, and how close it got, in words."""
    scale = max(1, SHOWN_PIXELS // result.target.shape[0])
    seen_col, made_col, words_col = st.columns([1, 1, 2])
    seen_col.image(imaging.png_bytes(result.target, scale=scale), caption=tr("project.seen", lang),
                   width=SHOWN_PIXELS, output_format="PNG")
    made_col.image(imaging.png_bytes(result.image, scale=scale), caption=tr("project.reconstruction", lang),
                   width=SHOWN_PIXELS, output_format="PNG")
    with words_col:
        verdict = tr(f"project.verdict.{result.verdict}", lang)
        (st.success if result.verdict != "far" else st.warning)(verdict)
        st.caption(tr("project.distance", lang, distance=f"{result.distance:.3f}", typical=f"{result.typical:.3f}",
                      seconds=f"{result.seconds:.1f}"))
        st.caption(tr("project.applied", lang))
