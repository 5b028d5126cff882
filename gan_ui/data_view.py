"""The data page's pieces: previews of the built-in datasets and turning uploaded photos into a session dataset."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import streamlit as st

from gan_core import GanError, load_dataset
from gan_core.data.datasets import PHOTO_SUFFIXES, load_saved_dataset
from gan_core.data.images import grid_scale, make_grid, png_bytes
from gan_core.data.uploads import MAX_UPLOAD_BYTES, read_photo_upload
from gan_core.i18n import number, tr
from gan_ui import charts, state
from gan_ui.train_form import choose_dataset
from gan_ui.widgets import class_label, dataset_label, uploader_note

SAMPLE_SIZE = 64
UPLOAD_TYPES = ["zip"] + [suffix.lstrip(".") for suffix in PHOTO_SUFFIXES]
LAST_UPLOAD_KEY = "data.last_upload"
PREPARED_KEY = "data.prepared"  # fingerprint of the uploaded files and size -> the dataset made from them


@st.cache_data(show_spinner=False, max_entries=8)
def builtin_preview(name: str) -> dict:
    """A fixed random sample grid (PNG bytes) and the counts of a built-in dataset."""
    dataset = load_dataset(name)
    return {
        "grid": _sample_png(dataset.images, seed=0),
        "counts": dataset.class_counts(),
        "train": len(dataset.images),
        "test": 0 if dataset.test_images is None else len(dataset.test_images),
        "shape": dataset.shape,
    }


@st.cache_data(show_spinner=False, max_entries=16)
def _npz_preview(path: str, modified: float) -> bytes:
    dataset = load_saved_dataset(Path(path))
    return _sample_png(dataset.images, seed=0)


def _sample_png(images: np.ndarray, seed: int) -> bytes:
    rng = np.random.default_rng(seed)
    picked = images[np.sort(rng.choice(len(images), min(SAMPLE_SIZE, len(images)), replace=False))]
    return png_bytes(make_grid(picked, columns=8), scale=grid_scale(images.shape[1]))


def builtin_section(lang: str) -> None:
    name = st.selectbox(tr("data.pick", lang), ("mnist", "fashion_mnist", "cifar_animals"), key="data.pick",
                        format_func=lambda n: dataset_label(n, lang))
    state.keep_choice("data.pick")
    try:
        preview = builtin_preview(name)
    except GanError as exc:
        st.error(state.say(exc, lang), icon=":material/error:")
        return
    cols = st.columns(4)
    cols[0].metric(tr("data.train_images", lang), number(preview["train"], lang))
    cols[1].metric(tr("data.test_images", lang), number(preview["test"], lang))
    cols[2].metric(tr("data.shape", lang), "×".join(map(str, preview["shape"])))
    cols[3].metric(tr("data.classes", lang), len(preview["counts"]))
    sample, counts = st.columns(2)
    sample.image(preview["grid"], caption=tr("data.sample", lang), width="stretch", output_format="PNG")
    with counts:
        st.markdown(f"**{tr('data.counts', lang)}**")
        st.plotly_chart(_class_counts_chart(name, lang), key="data.counts_chart")


@st.cache_resource(show_spinner=False, max_entries=12)
def _class_counts_chart(name: str, lang: str):
    """A built-in dataset's images per class, built once per dataset and language and only read after (st.plotly_chart
    copies it): building a plotly figure was a third of the data page's time in the 40-student load test."""
    counts = builtin_preview(name)["counts"]
    return charts.class_counts(counts, {name: class_label(name, lang) for name in counts}, lang)


def upload_section(lang: str) -> None:
    per_file_mb = st.get_option("server.maxUploadSize")  # a zip of a class's photos: the server's own maximum
    files = st.file_uploader(tr("data.upload", lang), type=UPLOAD_TYPES, accept_multiple_files=True,
                             key="data.files", help=tr("data.upload_help", lang), max_upload_size=per_file_mb)
    uploader_note(lang, per_file_mb, MAX_UPLOAD_BYTES // 1_000_000)
    left, right = st.columns(2)
    size = left.radio(tr("data.size", lang), (32, 64), horizontal=True, key="data.size",
                      format_func=lambda s: f"{s}×{s}")
    name = right.text_input(tr("data.name", lang), value=tr("data.default_name", lang), max_chars=60, key="data.name")
    if st.button(tr("data.create", lang), type="primary", disabled=not files, icon=":material/add_photo_alternate:"):
        _create_dataset(files, int(size), name.strip() or tr("data.default_name", lang), lang)
    _last_upload_report(lang)
    st.subheader(tr("data.yours", lang))
    _session_datasets(lang)


def upload_fingerprint(files, size: int) -> str:
    """The same photos at the same size give the same fingerprint, whatever order they were picked in."""
    digest = hashlib.sha256(f"size={size}".encode())
    for name, content in sorted((f.name, hashlib.sha256(f.getbuffer()).hexdigest()) for f in files):
        digest.update(f"\0{name}\0{content}".encode())
    return digest.hexdigest()


def _create_dataset(files, size: int, name: str, lang: str) -> None:
    """Decode every photo (zip members included) with the engine's upload reader, keep the result in the
    session and remember what was skipped and why. The uploader keeps its files after this: pressing the button
    again with the same files points at the dataset already made instead of making a copy."""
    fingerprint = upload_fingerprint(files, size)
    prepared = st.session_state.setdefault(PREPARED_KEY, {})
    existing = state.session_datasets().get(prepared.get(fingerprint, ""))
    if existing is not None:
        st.session_state[LAST_UPLOAD_KEY] = {"already": prepared[fingerprint], "name": existing["name"],
                                             "skipped": []}
        return
    bar = st.progress(0.0)

    def progress(done: int, total: int) -> None:
        bar.progress(done / total, tr("data.decoding", lang, done=done, total=total))

    try:
        # the uploaded files themselves (seekable, in memory already), not copies of their bytes
        result = read_photo_upload([(f.name, f) for f in files], name=name, size=size, progress=progress)
        dataset_id = state.save_session_dataset(result.dataset, name, skipped=list(result.skipped),
                                                skipped_total=result.skipped.total)
    except GanError as exc:
        skipped = exc.details or []
        st.session_state[LAST_UPLOAD_KEY] = {"error": exc.message, "skipped": list(skipped),
                                             "skipped_total": getattr(skipped, "total", len(skipped))}
        return
    finally:
        bar.empty()
    prepared[fingerprint] = dataset_id
    st.session_state[LAST_UPLOAD_KEY] = {"id": dataset_id, "name": name, "count": result.count, "skipped": []}


def _last_upload_report(lang: str) -> None:
    """What the last press of "prepare" did. The files a made set skipped are listed with the set (below, kept in
    its metadata: they are still there after leaving the page or in another tab); only a failed upload, which
    made no set, lists them here."""
    report = st.session_state.get(LAST_UPLOAD_KEY)
    if not report:
        return
    if "error" in report:
        st.error(state.say(report["error"], lang), icon=":material/error:")
    elif "already" in report:
        st.info(tr("data.already", lang, name=report["name"]), icon=":material/content_copy:")
    else:
        st.success(tr("data.created", lang, name=report["name"], count=report["count"]), icon=":material/check_circle:")
    _skipped_files(report["skipped"], report.get("skipped_total", len(report["skipped"])), lang)


def _skipped_files(skipped: list, total: int, lang: str) -> None:
    """The files an upload skipped and why, in a closed expander (nothing when none was)."""
    if not skipped:
        return
    with st.expander(tr("data.skipped", lang, count=total)):
        st.dataframe([{tr("col.file", lang): file, tr("col.reason", lang): tr("skip." + reason, lang)}
                      for file, reason in skipped], hide_index=True)
        if total > len(skipped):  # only the first ones are kept by name
            st.caption(tr("data.skipped_more", lang, count=total - len(skipped)))


def _session_datasets(lang: str) -> None:
    datasets = state.session_datasets()
    if not datasets:
        st.caption(tr("data.none_yet", lang))
        return
    for dataset_id, meta in reversed(datasets.items()):
        path = state.session_dataset_path(dataset_id)
        with st.container(border=True):
            sample, details = st.columns([1, 2])
            sample.image(_npz_preview(str(path), path.stat().st_mtime), width="stretch", output_format="PNG")
            classes = ", ".join(meta["class_names"]) if meta["class_names"] else tr("data.no_classes", lang)
            details.markdown(f"**{meta['name']}**")
            details.caption(tr("data.summary", lang, count=meta["count"], size=meta["size"], classes=classes))
            with details.container(horizontal=True):
                use = st.button(tr("data.use", lang), key=f"data.use.{dataset_id}", icon=":material/model_training:")
                st.button(tr("data.delete", lang), key=f"data.delete.{dataset_id}", icon=":material/delete:",
                          type="tertiary", on_click=state.delete_session_dataset, args=(dataset_id,))
            if use:
                choose_dataset(state.UPLOAD_PREFIX + dataset_id, photos=True)  # uploads are colour photos
                st.switch_page("app_pages/train.py")
            _skipped_files(meta.get("skipped", []), meta.get("skipped_total", 0), lang)
