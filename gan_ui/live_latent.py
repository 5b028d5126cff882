"""The explorer's live image, drawn in the student's browser: the generator, exported to ONNX once per loaded
generator (gan_core.explore.export, as the take-home page), runs there with onnxruntime-web's wasm backend, so
moving a slider costs the class's server nothing and shows its image in a few milliseconds whatever the server is
doing (forty students on two cores: bench/RESULTS.md, "the live image in the browser"). GAN Lab works the same way.

The browser part is `live_latent.js`, a Streamlit component (st.components.v2) with the sliders and the picture. The
server sends it the start point, the principal directions and three addresses: onnxruntime-web's module, its wasm
binary and the generator's ONNX bytes, each registered once per page run with Streamlit's media files (one copy in
memory for the whole server, found again by its hash). When the sliders rest, the browser sends back the point it
shows, which this module keeps for the rest of the page (an interpolation from "the live image").

The server draws the live image as before (gan_ui.explore_view) for a generator with no ONNX form (an export that
fails), for a session whose disk quota is full (an export is built in its folder), and everywhere with
GAN_LIVE_IMAGE=server (browsers where WebAssembly is turned off)."""

from __future__ import annotations

import os
import threading
import weakref
from pathlib import Path

import numpy as np
import streamlit as st

from gan_core import GanError
from gan_core.explore import export
from gan_core.explore.generators import Generator
from gan_core.i18n import tr

LIVE_IMAGE_ENV = "GAN_LIVE_IMAGE"  # "server": every live image drawn by the server (browsers without WebAssembly)
SYNC_MS = 700  # the point goes back to the server this long after the last slider move
JS = (Path(__file__).resolve().parent / "live_latent.js").read_text(encoding="utf-8")
COMPONENT = st.components.v2.component("aula_gan.live_latent", js=JS, isolate_styles=False)

# onnxruntime-web's files, served as they are in the package (the wasm stays gzipped: the browser unzips it)
RUNTIME_FILES = {"module": ("ort.wasm.bundle.min.mjs", "text/javascript"),
                 "wasm": ("ort-wasm-simd-threaded.wasm.gz", "application/octet-stream")}


# --- the generator as ONNX, once per loaded generator -----------------------------------------------------------

_ONNX: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # Generator -> bytes, or None where export failed
_ONNX_LOCK = threading.Lock()  # one export at a time: forty students opening the same generator export it once


def in_browser() -> bool:
    """Whether live images are drawn in the browser (the default) or, with GAN_LIVE_IMAGE=server, by the server."""
    return os.environ.get(LIVE_IMAGE_ENV, "browser").strip().lower() != "server"


def onnx_model(handle: Generator, work_dir) -> bytes | None:
    """The generator's ONNX bytes, exported the first time anyone asks (about 1-2 s) and kept while the loaded
    generator lives (a bundled one for the server's life, a run's while its file is the same); None where the
    export fails, remembered too. `work_dir()` gives the folder an export is built in (the session's)."""
    with _ONNX_LOCK:
        if handle not in _ONNX:
            try:
                _ONNX[handle] = export.onnx_bytes(handle, work_dir())
            except GanError as exc:
                if exc.message.key != "error.export_failed":
                    raise  # the session's quota: not the generator's fault, tried again next time
                _ONNX[handle] = None
        return _ONNX[handle]


@st.cache_resource(show_spinner=False)
def _runtime_bytes() -> dict[str, bytes]:
    return {part: (export.RUNTIME_DIR / name).read_bytes() for part, (name, _) in RUNTIME_FILES.items()}


def media_urls(model: bytes) -> dict[str, str]:
    """Addresses the browser fetches the runtime and the model from: Streamlit's media files, registered for this
    session in this page run (kept through the live part's reruns, dropped with the page)."""
    from streamlit import runtime

    manager = runtime.get_instance().media_file_mgr
    # As downloads: a file no page names any more is dropped one clean-up later than an image, so a fetch the
    # browser started just before the student chose another generator still finds it.
    urls = {part: manager.add(data, RUNTIME_FILES[part][1], f"aula_gan.live_latent.{part}", is_for_static_download=True)
            for part, data in _runtime_bytes().items()}
    urls["model"] = manager.add(model, "application/octet-stream", "aula_gan.live_latent.model",
                                is_for_static_download=True)
    return urls


# --- the component ----------------------------------------------------------------------------------------------

def draw(handle: Generator, urls: dict[str, str], base: np.ndarray, build: str, directions, label: int | None,
         dim_values: list[float], direction_values: list[float], preview_pixels: int, lang: str, key: str):
    """Mounts the live image. Returns the point the browser last sent back ({"build", "z", "directions"}) or None."""
    data = {
        "urls": urls, "build": build, "latent_dim": handle.latent_dim, "image_shape": list(handle.image_shape),
        "base": [float(v) for v in base], "label": None if label is None else int(label),
        "dim_values": dim_values, "direction_values": direction_values,
        "directions": [[float(v) for v in vector] for vector in directions.vectors],
        "direction_labels": [tr("explore.direction", lang, index=k + 1, share=float(share))
                             for k, share in enumerate(directions.explained)],
        "preview_pixels": preview_pixels, "sync_ms": SYNC_MS,
        "texts": {"caption": tr("explore.image_caption", lang), "dims_help": tr("explore.dims_help", lang),
                  "directions": tr("explore.directions", lang),
                  "directions_help": tr("explore.directions_help", lang),
                  "loading": tr("export.page.loading", lang), "failed": tr("export.page.failed", lang)},
    }
    result = COMPONENT(key=key, data=data, default={"point": None}, on_point_change=lambda: None)
    return result.get("point")  # a ComponentResult: a dict of the component's state
