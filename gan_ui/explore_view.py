"""The explorer's pieces: which generator, the live latent sliders, interpolation, class morph, samples, metrics."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import streamlit as st

from gan_core import GanError
from gan_core.data import images as imaging
from gan_core.data.uploads import MAX_MODEL_UPLOAD_BYTES
from gan_core.explore.generators import Generator
from gan_core.explore.latent import interpolate, principal_directions, reads_classes, typical_latent
from gan_core.i18n import TEXTS, tr
from gan_core.training.pretrained import bundled_generators
from gan_ui import live_latent, state
from gan_ui import take_home as downloads
from gan_ui.widgets import class_label, dataset_label, run_created, uploader_note

LATENT_SLIDERS = 8
DIRECTION_SLIDERS = 6
SLIDER_RANGE = 3.0
PREVIEW_PIXELS = 256


# --- generators, loaded once per server (bundled) or per file version (a run's) --------------------

@st.cache_resource(show_spinner=False)
def bundled_handle(name: str) -> Generator:
    """A bundled generator, loaded once for the whole server with safe_mode=True."""
    for bundled in bundled_generators():
        if bundled.name == name:
            return Generator.load(bundled.path)
    raise KeyError(name)


@st.cache_resource(show_spinner=False, max_entries=32)
def file_handle(path: str, epoch: int | None, modified: float) -> Generator:
    """A run's generator (latest, or the generator of a kept epoch's checkpoint). Keyed by path and mtime (no
    leading underscore: Streamlit leaves `_`-named arguments out of the key, and a training run rewrites its
    generator.keras every epoch)."""
    from gan_core.training.run_folder import RunFolder, load_generator_weights

    handle = Generator.load(Path(path))
    if epoch is not None:
        # A private copy: the latest generator's handle may be in use by another page at the same time.
        import keras

        model = keras.models.clone_model(handle.model)
        checkpoint = RunFolder(Path(path).parent).checkpoint_path(epoch)
        load_generator_weights(model, checkpoint)
        handle = Generator(model, handle.card, name=f"{handle.name}@{epoch}")
    return handle


@st.cache_resource(show_spinner=False, max_entries=32)
def directions_for(_handle: Generator, key: str):
    """GANSpace directions, computed once per generator (key names it)."""
    return principal_directions(_handle, DIRECTION_SLIDERS)


def best(bundled) -> str:
    """The bundled generator the explorer opens on: the one whose Fréchet distance is smallest next to its own
    dataset's lightly blurred real images (its card's quality); one without scores comes last."""
    def ratio(generator):
        quality = generator.card.get("quality") or {}
        blurred = (quality.get("reference") or {}).get("blurred", {}).get("fd")
        return quality["fd"] / blurred if blurred and "fd" in quality else float("inf")

    return min(bundled, key=ratio).name


def choose_generator(lang: str) -> tuple[Generator, str, dict] | None:
    """The source picker. Returns (handle, cache key, quality record or {})."""
    sources = ["bundled", "runs", "upload"]
    source = st.radio(tr("explore.source", lang), sources, horizontal=True, key="explore.source",
                      format_func=lambda s: tr(f"explore.source.{s}", lang))
    state.keep_choice("explore.source")
    if source == "bundled":
        bundled = bundled_generators()
        if not bundled:
            st.warning(tr("explore.no_bundled", lang))
            return None
        names = [b.name for b in bundled]
        if st.session_state.get("explore.bundled") not in names:  # first visit: open on the best one
            st.session_state["explore.bundled"] = best(bundled)
        name = st.selectbox(tr("explore.generator", lang), names, key="explore.bundled",
                            format_func=lambda n: tr(f"pretrained.{n}", lang) if f"pretrained.{n}" in TEXTS else n)
        state.keep_choice("explore.bundled")
        card = next(b.card for b in bundled if b.name == name)
        # a photo folder's generator has no quality record: what its starting set's classifier sees stands in
        seen = {"as_seen_by": card["as_seen_by"]} if card.get("as_seen_by") else {}
        return bundled_handle(name), f"bundled:{name}", card.get("quality") or seen
    if source == "runs":
        runs = [run for run in state.session_runs() if (run.folder.generator_path).exists()]
        if not runs:
            st.info(tr("explore.no_runs", lang))
            return None
        by_id = {run.run_id: run for run in runs}
        labels = {rid: tr("explore.run_label", lang, when=run_created(rid), preset=run.config.preset,
                          dataset=dataset_label(run.config.dataset, lang))  # names, never paths
                  for rid, run in by_id.items()}
        run_id = st.selectbox(tr("explore.run", lang), list(by_id), key="explore.run_id", format_func=labels.get)
        run = by_id[run_id]
        kept = run.kept_epochs()
        epoch = st.selectbox(tr("explore.epoch", lang), [None, *kept], key="explore.epoch",
                             format_func=lambda e: tr("explore.latest", lang) if e is None else str(e))
        state.keep_choice("explore.run_id")
        state.keep_choice("explore.epoch")
        path = run.folder.generator_path
        scored = [record for record in run.snapshot().quality if epoch is None or record.get("epoch") == epoch]
        return (file_handle(str(path), epoch, path.stat().st_mtime), f"run:{run_id}:{epoch}",
                scored[-1] if scored else {})  # the chosen epoch's scores, not the latest's
    # Streamlit writes its own limit under the box, in English: make it the true one (our check, in MB).
    uploaded = st.file_uploader(tr("explore.upload", lang), type=["keras"], key="explore.upload_file",
                                help=tr("explore.upload_help", lang, limit=MAX_MODEL_UPLOAD_BYTES // 1_000_000),
                                max_upload_size=MAX_MODEL_UPLOAD_BYTES // 1_000_000)
    uploader_note(lang, MAX_MODEL_UPLOAD_BYTES // 1_000_000)
    if uploaded is None:
        return None
    key = f"upload:{uploaded.file_id}"
    if st.session_state.get("explore.upload_key") != key:
        from gan_core.server.model_uploads import save_model_upload

        try:
            state.make_room(uploaded.size)  # the server's disk budget, before anything is written
            handle = save_model_upload(uploaded.name, uploaded.getvalue(),
                                       state.registry().session_dir(state.session_id()))
        except GanError as exc:
            st.error(state.say(exc, lang), icon=":material/block:")
            return None
        st.session_state["explore.upload_key"] = key
        st.session_state["explore.upload_handle"] = handle
    return st.session_state["explore.upload_handle"], key, {}


# --- the live image ----------------------------------------------------------------------------------

def _latent_state(handle: Generator, key: str) -> dict:
    """Per session and generator: the base latent, its seed, and a version that renames the sliders on reset."""
    store = st.session_state.setdefault("explore.latents", {})
    if key not in store or store[key]["base"].shape[0] != handle.latent_dim:
        store[key] = {"seed": 0, "base": handle.sample_latents(1, 0)[0], "version": 0}
    return store[key]


def set_base(handle: Generator, key: str, latent: np.ndarray, seed: int | None = None) -> None:
    latent_state = _latent_state(handle, key)
    latent_state["base"] = np.asarray(latent, np.float32)
    if seed is not None:
        latent_state["seed"] = seed
    latent_state["version"] += 1


MAX_PHOTOS = 8  # projected photos kept per generator, numbered from 1 for the interpolation's ends


def use_projection(handle: Generator, key: str, latent: np.ndarray, label: int | None) -> None:
    """Start the explorer from a projected photo: the sliders and directions from its latent, the class selectors
    at its class, and the photo kept as an interpolation end ("Your photo no. n", the newest last). Called before
    the live image's widgets are drawn."""
    set_base(handle, key, latent)
    latent_state = _latent_state(handle, key)
    latent_state["current"] = np.asarray(latent, np.float32)
    photos = latent_state.setdefault("photos", [])
    photos.append({"latent": np.asarray(latent, np.float32), "label": label})
    del photos[:-MAX_PHOTOS]
    if handle.conditional and label is not None:
        st.session_state[f"explore.class.{key}"] = int(label)
        st.session_state[f"explore.interp_class.{key}"] = int(label)
        state.keep_choice(f"explore.class.{key}")


def projected_photos(handle: Generator, key: str) -> list[dict]:
    """The photos projected into this generator in this session: {"latent", "label"}, oldest first."""
    return list(_latent_state(handle, key).get("photos", []))


def latent_controls(handle: Generator, key: str, lang: str) -> None:
    """The seed, the dice and the reset above the live image. Drawn before its fragment, outside it: a change reruns
    the page, which draws the image from the new point in the same run, and a slider's rerun does not send these
    seven elements again."""
    latent_state = _latent_state(handle, key)
    seed_col, random_col, reset_col = st.columns([2, 1, 1], vertical_alignment="bottom")
    seed = seed_col.number_input(tr("explore.seed", lang), 0, 2**31 - 1, int(latent_state["seed"]),
                                 key=f"explore.seed.{key}.{latent_state['version']}")
    if seed != latent_state["seed"]:
        set_base(handle, key, handle.sample_latents(1, int(seed))[0], int(seed))
    if random_col.button(tr("explore.randomise", lang), icon=":material/casino:", key=f"explore.random.{key}"):
        new_seed = int(np.random.default_rng().integers(0, 2**31 - 1))
        set_base(handle, key, handle.sample_latents(1, new_seed)[0], new_seed)
    if reset_col.button(tr("explore.reset", lang), icon=":material/restart_alt:", key=f"explore.reset.{key}"):
        set_base(handle, key, handle.sample_latents(1, int(latent_state["seed"]))[0])


def _z_key(index: int, key: str, version: int) -> str:
    return f"explore.z{index}.{key}.{version}"


def _direction_key(index: int, key: str, version: int) -> str:
    return f"explore.pc{index}.{key}.{version}"


def _z_default(base: np.ndarray, index: int) -> float:
    """A z slider's starting value: the base point's coordinate, within the slider's range."""
    return float(np.clip(base[index], -SLIDER_RANGE, SLIDER_RANGE))


def _point_in_widgets(handle: Generator, key: str, version: int, directions) -> tuple[np.ndarray, int | None]:
    """The point and class the live image's widgets hold in this run (what the browser sent, or their defaults),
    read before they are drawn, so the image can go first."""
    base = _latent_state(handle, key)["base"]
    values = st.session_state
    z = [values.get(_z_key(index, key, version), _z_default(base, index))
         for index in range(min(LATENT_SLIDERS, handle.latent_dim))]
    amounts = [values.get(_direction_key(index, key, version), 0.0) for index in range(len(directions.vectors))]
    return _point(base, z, amounts, directions), (values.get(f"explore.class.{key}", 0) if handle.conditional else None)


def _point(base: np.ndarray, z: list[float], amounts: list[float], directions) -> np.ndarray:
    """The point the sliders give: the base with its first coordinates set to the z sliders' values, plus each
    principal direction times its slider's amount (all within the sliders' range)."""
    latent = base.copy()
    latent[:len(z)] = np.clip(np.asarray(z, np.float32), -SLIDER_RANGE, SLIDER_RANGE)
    for amount, vector in zip(amounts, directions.vectors):
        latent = latent + float(np.clip(amount, -SLIDER_RANGE, SLIDER_RANGE)) * vector
    return latent


def _picture(handle: Generator, latent: np.ndarray, label: int | None) -> bytes:
    image = handle.generate(latent[None], None if label is None else [label])[0]
    return imaging.png_bytes(imaging.to_uint8(image), scale=max(1, PREVIEW_PIXELS // image.shape[0]))


def live_image(handle: Generator, key: str, lang: str) -> None:
    """The sliders and the image they drive: drawn in the student's browser (gan_ui.live_latent) from the generator's
    ONNX form, or by the server for a generator that has none (or everywhere, with GAN_LIVE_IMAGE=server). Called
    outside a fragment: the browser's files are registered in the page's run, and only the live part reruns after
    that."""
    try:
        model = live_latent.onnx_model(handle, downloads.work_dir) if live_latent.in_browser() else None
    except GanError:  # the session's quota is full: the export is built in its folder, so the server draws
        model = None
    if model is None:
        _live_image_on_server(handle, key, lang)
    else:
        _live_image_in_browser(handle, key, lang, live_latent.media_urls(model))


def _class_choice(handle: Generator, key: str, lang: str) -> int | None:
    if not handle.conditional:
        return None
    label = st.selectbox(tr("explore.class", lang), range(handle.num_classes), key=f"explore.class.{key}",
                         format_func=lambda c: class_label(handle.class_names[c], lang))
    state.keep_choice(f"explore.class.{key}")
    return label


def _sent_point(point, build: str, dims: int, direction_count: int) -> bool:
    """Whether what the browser sent back is a point of this build: its slider values, as many as the sliders, each
    a finite number (a hand-made message is ignored, never an error)."""
    if not isinstance(point, dict) or point.get("build") != build:
        return False
    values = (point.get("z"), point.get("directions"))
    if not all(isinstance(v, list) for v in values) or (len(values[0]), len(values[1])) != (dims, direction_count):
        return False
    return all(isinstance(x, (int, float)) and not isinstance(x, bool) and np.isfinite(x) for v in values for x in v)


@st.fragment
def _live_image_in_browser(handle: Generator, key: str, lang: str, urls: dict[str, str]) -> None:
    """The browser's live image (gan_ui.live_latent). A fragment: the point the browser sends back when its sliders
    rest, and a change of class, rerun only this part."""
    latent_state = _latent_state(handle, key)
    version = latent_state["version"]
    directions = directions_for(handle, key)
    label = _class_choice(handle, key, lang)
    if handle.groups:
        st.caption(tr("explore.group_dim_help", lang, groups=handle.groups))
    base = latent_state["base"]
    build = f"{key}:{version}"
    dims = min(LATENT_SLIDERS, handle.latent_dim)
    sent = st.session_state.get(f"explore.live_point.{key}")
    if sent and sent.get("build") == build:
        dim_values, direction_values = sent["z"], sent["directions"]
    else:
        dim_values = [_z_default(base, index) for index in range(dims)]
        direction_values = [0.0] * len(directions.vectors)
    point = live_latent.draw(handle, urls, base, build, directions, label, dim_values, direction_values,
                             PREVIEW_PIXELS, lang, key=f"explore.live.{key}")
    if _sent_point(point, build, dims, len(directions.vectors)):
        st.session_state[f"explore.live_point.{key}"] = point
        dim_values, direction_values = point["z"], point["directions"]
    latent_state["current"] = _point(base, dim_values, direction_values, directions)  # an interpolation's end


@st.fragment
def _live_image_on_server(handle: Generator, key: str, lang: str) -> None:
    """Sliders and the image they drive, drawn by the server (gan_ui.live_latent says when). A fragment: moving a
    slider reruns only this part of the page (the seed's controls above it are drawn by `latent_controls`). The
    image is drawn first, from the values the widgets hold, and reaches the browser before the sliders' thirty-odd
    elements; should a widget give back another value (none does today), the image is drawn again in its place."""
    latent_state = _latent_state(handle, key)
    version = latent_state["version"]
    directions = directions_for(handle, key)
    shown, shown_label = _point_in_widgets(handle, key, version, directions)
    image_col, sliders_col = st.columns([1, 2])
    caption = tr("explore.image_caption", lang)
    picture = image_col.image(_picture(handle, shown, shown_label), caption=caption, width=PREVIEW_PIXELS,
                              output_format="PNG")
    base = latent_state["base"]
    with sliders_col:
        label = _class_choice(handle, key, lang)
        dims_tab, pca_tab = st.tabs([tr("explore.dims", lang), tr("explore.directions", lang)])
        with dims_tab:
            st.caption(tr("explore.dims_help", lang))
            if handle.groups:
                st.caption(tr("explore.group_dim_help", lang, groups=handle.groups))
            columns = st.columns(2)
            z = [columns[index % 2].slider(f"z[{index}]", -SLIDER_RANGE, SLIDER_RANGE, _z_default(base, index), 0.05,
                                           key=_z_key(index, key, version))
                 for index in range(min(LATENT_SLIDERS, handle.latent_dim))]
        with pca_tab:
            st.caption(tr("explore.directions_help", lang))
            columns = st.columns(2)
            amounts = [columns[index % 2].slider(
                tr("explore.direction", lang, index=index + 1, share=float(directions.explained[index])),
                -SLIDER_RANGE, SLIDER_RANGE, 0.0, 0.1, key=_direction_key(index, key, version))
                for index in range(len(directions.vectors))]
    latent = _point(base, z, amounts, directions)
    latent_state["current"] = latent  # the point shown: an interpolation can start or end here
    if label != shown_label or not np.array_equal(latent, shown):
        picture.image(_picture(handle, latent, label), caption=caption, width=PREVIEW_PIXELS, output_format="PNG")


# --- interpolation and morph ----------------------------------------------------------------------

POINT_SOURCES = ("seed", "sample", "current", "photo")  # where an interpolation's end comes from


def _random_ends(key: str) -> None:
    """The dice beside the interpolation: both ends become new random seeds (a callback: before the form is drawn)."""
    rng = np.random.default_rng()
    for end in ("a", "b"):
        st.session_state[f"explore.source_{end}.{key}"] = "seed"
        st.session_state[f"explore.seed_{end}.{key}"] = int(rng.integers(0, 2**31 - 1))


def end_latent(handle: Generator, key: str, source: str, number: int) -> np.ndarray:
    """An interpolation's end: the latent of a seed, of sample no. `number` in the grid below, of the live image, or
    of projected photo no. `number`."""
    if source == "sample":
        latents = grid_latents(handle, key)
        return latents[min(max(int(number), 1), len(latents)) - 1]
    if source == "photo":  # a projected photo, numbered from 1; none yet: the live image
        photos = projected_photos(handle, key)
        if photos:
            return photos[min(max(int(number), 1), len(photos)) - 1]["latent"]
        source = "current"
    if source == "current":
        latent_state = _latent_state(handle, key)
        return latent_state.get("current", latent_state["base"])  # "current": set by the live image above
    return handle.sample_latents(1, int(number))[0]


def interpolation(handle: Generator, key: str, lang: str) -> None:
    for end, default in (("a", 1), ("b", 2)):  # set here, not as widget defaults, so the dice can change them
        st.session_state.setdefault(f"explore.source_{end}.{key}", "seed")
        st.session_state.setdefault(f"explore.seed_{end}.{key}", default)
    # A self-conditioned generator jumps between kinds of digit wherever z[0] crosses a group's cut: what a student
    # expects of an interpolation is a morph, so A's group is kept unless they untick it.
    st.session_state.setdefault(f"explore.keep_group.{key}", True)
    st.button(tr("explore.random_ends", lang), icon=":material/casino:", key=f"explore.random_ends.{key}",
              on_click=_random_ends, args=(key,))
    with st.form(f"explore.interp.{key}", border=False):
        ends = {}
        for end, column in zip(("a", "b"), st.columns(2)):
            source = column.selectbox(tr(f"explore.end_{end}", lang), POINT_SOURCES, key=f"explore.source_{end}.{key}",
                                      format_func=lambda s: tr(f"explore.end_source.{s}", lang))
            number = column.number_input(tr("explore.end_number", lang), 0, 2**31 - 1, key=f"explore.seed_{end}.{key}",
                                         help=tr("explore.end_number_help", lang))
            ends[end] = (source, number)
        col_method, col_steps = st.columns(2)
        method = col_method.radio(tr("explore.method", lang), ["slerp", "lerp"], key=f"explore.method.{key}",
                                  format_func=lambda m: tr(f"explore.method.{m}", lang), horizontal=True)
        steps = col_steps.slider(tr("explore.steps", lang), 3, 16, 8, key=f"explore.steps.{key}")
        label = None
        if handle.conditional:
            label = st.selectbox(tr("explore.class", lang), range(handle.num_classes),
                                 key=f"explore.interp_class.{key}",
                                 format_func=lambda c: class_label(handle.class_names[c], lang))
        keep_group = bool(handle.groups) and st.checkbox(
            tr("explore.keep_group", lang), key=f"explore.keep_group.{key}", help=tr("explore.keep_group_help", lang))
        submitted = st.form_submit_button(tr("explore.interpolate", lang), icon=":material/linear_scale:")
    for end in ("a", "b"):
        state.keep_choice(f"explore.source_{end}.{key}")
    state.keep_choice(f"explore.method.{key}")
    if handle.conditional:
        state.keep_choice(f"explore.interp_class.{key}")
    if submitted:
        a, b = (end_latent(handle, key, *ends[end]) for end in ("a", "b"))
        path = interpolate(a, b, steps, method, keep_group)
        frames = handle.generate(path, None if label is None else [label] * steps)
        st.session_state[f"explore.strip.{key}"] = imaging.to_uint8(frames)
        st.session_state[f"explore.strip_jumps.{key}"] = bool(handle.groups) and not keep_group
    _show_strip(st.session_state.get(f"explore.strip.{key}"), f"interpolation-{key}", lang)
    if st.session_state.get(f"explore.strip_jumps.{key}") and f"explore.strip.{key}" in st.session_state:
        st.caption(tr("explore.jumps_explained", lang, groups=handle.groups))


WEAK_CLASS_EFFECT = 0.5  # below this share (Generator.class_effect) a class morph at one z barely changes


def morph(handle: Generator, key: str, lang: str, classifier: str | None = None) -> None:
    """The class morph: the class embedding slides from one class to another at the explorer's z. Where the class
    alone barely changes a picture (the CIFAR animals: bird to cat was eight near-identical frames, issue #26) the
    page says so, in numbers, and, when `classifier` (the generator's dataset) can read its pictures, the morph
    travels z too, from a picture of the first class that classifier reads surest to one of the second."""
    for end, default in (("a", 0), ("b", 1)):  # in session state, not as widget defaults: kept across languages
        st.session_state.setdefault(f"explore.class_{end}.{key}", default)
    with st.form(f"explore.morph.{key}", border=False):
        col_a, col_b, col_steps = st.columns(3)
        fmt = lambda c: class_label(handle.class_names[c], lang)  # noqa: E731
        class_a = col_a.selectbox(tr("explore.class_a", lang), range(handle.num_classes), format_func=fmt,
                                  key=f"explore.class_a.{key}")
        class_b = col_b.selectbox(tr("explore.class_b", lang), range(handle.num_classes), format_func=fmt,
                                  key=f"explore.class_b.{key}")
        steps = col_steps.slider(tr("explore.steps", lang), 3, 16, 8, key=f"explore.morph_steps.{key}")
        submitted = st.form_submit_button(tr("explore.morph_button", lang), icon=":material/swap_horiz:")
    state.keep_choice(f"explore.class_a.{key}")
    state.keep_choice(f"explore.class_b.{key}")
    effect = handle.class_effect()
    travels = effect < WEAK_CLASS_EFFECT and reads_classes(handle, classifier)
    if effect < WEAK_CLASS_EFFECT:
        names = {"a": fmt(class_a), "b": fmt(class_b)}
        st.caption(tr("explore.morph_weak", lang, effect=f"{effect:.0%}") + " "
                   + tr("explore.morph_weak_travel" if travels else "explore.morph_weak_still", lang, **names))
    if submitted:
        latent = _latent_state(handle, key)["base"]
        if travels:  # a typical picture of each class at the ends, and the path between them on the sphere
            start = typical_latent(handle, classifier, class_a, latent)
            end = typical_latent(handle, classifier, class_b, latent, seed=1)
            latent = interpolate(start, end, steps)
        st.session_state[f"explore.morph_strip.{key}"] = imaging.to_uint8(
            handle.class_morph(latent, class_a, class_b, steps))
    _show_strip(st.session_state.get(f"explore.morph_strip.{key}"), f"morph-{key}", lang)


def _show_strip(frames, name: str, lang: str) -> None:
    if frames is None:
        return
    scale = max(1, 96 // frames.shape[1])
    st.image(imaging.png_bytes(imaging.make_grid(frames, columns=len(frames)), scale=scale), width="stretch",
             output_format="PNG")
    gif = imaging.gif_bytes(list(frames) + list(frames[::-1])[1:-1], duration_ms=150, scale=4)
    safe_name = "".join(ch if ch.isalnum() else "-" for ch in name)[:60]
    st.download_button(tr("explore.download_gif", lang), gif, f"{safe_name}.gif", "image/gif",
                       icon=":material/download:", key=f"explore.gif.{name}")


# --- samples and metrics ---------------------------------------------------------------------------

SAMPLES = 32  # the grid of random samples: a starting point for the sliders or an interpolation's end


def grid_latents(handle: Generator, key: str) -> np.ndarray:
    """The latents of the samples grid, numbered from 1; its seed is the grid's own seed box."""
    return handle.sample_latents(SAMPLES, int(st.session_state.get(f"explore.samples_seed.{key}", 0)) + 1000)


def samples(handle: Generator, key: str, lang: str) -> None:
    columns = 8
    seed_col, pick_col, use_col = st.columns([1, 1, 1], vertical_alignment="bottom")
    seed_col.number_input(tr("explore.samples_seed", lang), 0, 2**31 - 1, 0, key=f"explore.samples_seed.{key}")
    latents = grid_latents(handle, key)
    labels = (np.arange(SAMPLES) % handle.num_classes) if handle.conditional else None
    grid = imaging.make_grid(imaging.to_uint8(handle.generate(latents, labels)), columns)
    st.image(imaging.png_bytes(grid, scale=imaging.grid_scale(handle.image_shape[0])),
             caption=tr("explore.samples_caption", lang), width="stretch", output_format="PNG")
    pick = pick_col.number_input(tr("explore.pick", lang), 1, SAMPLES, 1, key=f"explore.pick.{key}")
    if use_col.button(tr("explore.use_sample", lang), icon=":material/ads_click:", key=f"explore.use.{key}"):
        set_base(handle, key, latents[int(pick) - 1])
        st.rerun()


def quality(record: dict, lang: str) -> None:
    from gan_core.training import metrics

    seen = metrics.describe_seen(record.get("as_seen_by") or {}, lang) if record else []
    if seen:
        st.write(seen[0])
        for line in seen[1:]:
            st.write("- " + line)
        return
    if not record:
        st.caption(tr("explore.no_metrics", lang))
        return
    for line in metrics.describe(record, lang):
        st.write("- " + line)


# --- take it home ----------------------------------------------------------------------------------

def take_home(handle: Generator, key: str, lang: str) -> None:
    """The take-home downloads of the generator on show (gan_ui.take_home): the offline page and the ONNX file for
    any generator; for one of the session's runs or a bundled generator also its notebook, with the generator file
    it loads (a run's latest: an earlier epoch's generator is not a file of its own)."""
    folder = None
    if key.startswith("run:"):
        run = state.get_run(key.split(":")[1])
        folder = run.folder.directory if run is not None and key.endswith(":None") else None
    elif key.startswith("bundled:"):
        folder = next((b.directory for b in bundled_generators() if f"bundled:{b.name}" == key), None)
    stem = downloads.safe_name(handle.name or "generator")
    notebook = None if folder is None else downloads.run_notebook(folder, lang, f"generator_{stem}.keras")
    downloads.downloads(lambda: handle, handle.name or "generator", f"explore.{key}", lang, notebook=notebook,
                        keras_file=None if notebook is None else folder / "generator.keras")
