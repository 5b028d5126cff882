"""Take it home: a generator as an ONNX file (for Netron, onnxruntime in any language), as one offline web page that
runs it in the browser (the notebook that rebuilds its run in plain Keras is gan_core.explore.notebook).

Every export is built on demand in a folder of the caller's choosing (the session's, so it counts against its
disk quota while it is built), returned as bytes and deleted: nothing is kept.

ONNX goes through Keras 3's own `model.export(format="onnx")` (tf2onnx with the TensorFlow backend). One layer
of ours has no ONNX form there: a self-conditioned generator's `Discretization` (its group cut, see
gan_core.training.clusters) becomes TensorFlow's `Bucketize`, which tf2onnx does not convert. The exported copy
computes the same cut with ops ONNX has: the number of boundaries at or below the value (`ThresholdCount`)."""

from __future__ import annotations

import re
import shutil
import tempfile
from pathlib import Path

import numpy as np

from ..i18n import GanError
from .generators import Generator

ONNX_OUTPUT = "image"  # the exported graph's output name (tf2onnx calls it "Identity:0")
# An export never needs more than this much room while it is built (the largest bundled generator's ONNX file is
# under 10 MB; the page carries it, base64, with the runtime): asked of the session's quota before building.
EXPORT_ROOM_BYTES = 40_000_000


def _threshold_layer_class():
    """The ThresholdCount layer class, made when first needed (Keras is imported lazily across gan_core)."""
    import keras

    class ThresholdCount(keras.layers.Layer):
        """Discretization's cut written with comparisons and a sum: the index of the bucket x falls in is the number
        of boundaries b with b <= x (the same as TensorFlow's Bucketize), as int64 like Discretization's output."""

        def __init__(self, bin_boundaries, **kwargs):
            super().__init__(**kwargs)
            self.bin_boundaries = [float(b) for b in bin_boundaries]

        def call(self, inputs):
            ops = keras.ops
            bounds = ops.convert_to_tensor(np.asarray(self.bin_boundaries, np.float32))
            above = ops.greater_equal(ops.expand_dims(ops.cast(inputs, "float32"), -1), bounds)
            return ops.sum(ops.cast(above, "int64"), axis=-1)

        def compute_output_shape(self, input_shape):
            return input_shape

    return ThresholdCount


def exportable_model(generator: Generator):
    """A copy of the generator's Keras model as ONNX can hold it: the same layers and weights, a Discretization
    replaced by a ThresholdCount. A copy even without one: exporting traces the model, and the handle's own model
    may be drawing for someone else at that moment (a bundled generator is shared by the whole server)."""
    import keras

    threshold_count = _threshold_layer_class()

    def clone(layer):
        if type(layer).__name__ == "Discretization":
            return threshold_count(layer.get_config()["bin_boundaries"], name=layer.name)
        return layer.__class__.from_config(layer.get_config())

    copy = keras.models.clone_model(generator.model, clone_function=clone)
    copy.set_weights(generator.model.get_weights())
    return copy


def onnx_bytes(generator: Generator, work_dir: Path) -> bytes:
    """The generator as an ONNX model (opset of Keras' exporter, dynamic batch): inputs `latent` (n, latent_dim)
    float32 and, for a conditional generator, `label` (n, 1) int32; output `image` (n, h, w, c) in [-1, 1]. Built
    in a temporary folder inside work_dir, which is removed afterwards."""
    import onnx

    model = exportable_model(generator)
    latents = generator.sample_latents(2, 0)
    folder = Path(tempfile.mkdtemp(prefix="export-", dir=work_dir))
    try:
        model([latents, np.zeros((2, 1), np.int32)] if generator.conditional else latents, training=False)
        model.export(str(folder / "generator.onnx"), format="onnx", verbose=False)
        graph = onnx.load(str(folder / "generator.onnx"))
    except Exception as exc:  # noqa: BLE001 - any exporter failure is said in the reader's language
        raise GanError("error.export_failed", reason=f"{type(exc).__name__}: {str(exc)[:200]}") from None
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    _name_output(graph, ONNX_OUTPUT)
    _describe(graph, generator)
    return graph.SerializeToString()


def _name_output(graph, name: str) -> None:
    """Rename the graph's single output (and every node input that reads it) to `name`."""
    old = graph.graph.output[0].name
    for node in graph.graph.node:
        node.output[:] = [name if value == old else value for value in node.output]
        node.input[:] = [name if value == old else value for value in node.input]
    graph.graph.output[0].name = name


def _describe(graph, generator: Generator) -> None:
    """What a reader of the file needs besides the graph, as ONNX metadata (Netron shows it)."""
    import json

    graph.producer_name = "Aula GAN"
    graph.doc_string = ("GAN generator: latent (n, latent_dim) float32 from N(0, I)"
                        + (", label (n, 1) int32" if generator.conditional else "")
                        + " -> image (n, h, w, c) in [-1, 1]")
    info = {"name": generator.name, "latent_dim": generator.latent_dim, "image_shape": list(generator.image_shape),
            "num_classes": generator.num_classes, "class_names": generator.class_names,
            "preset": generator.card.get("preset", ""), "dataset": generator.card.get("dataset", "")}
    for key, value in info.items():
        entry = graph.metadata_props.add()
        entry.key, entry.value = key, value if isinstance(value, str) else json.dumps(value)


# --- the offline page ------------------------------------------------------------------------------------------

RUNTIME_DIR = Path(__file__).resolve().parent / "onnxruntime_web"  # scripts/fetch_onnxruntime_web.sh rebuilds it
PAGE_TEMPLATE = Path(__file__).resolve().parent / "offline_page.html"
MAX_PAGE_BYTES = 20_000_000
PAGE_SLIDERS = 8  # the first latent dimensions, as the explorer's (gan_ui.explore_view.LATENT_SLIDERS)
PAGE_TEXTS = ("intro", "loading", "class", "samples", "new_seed", "seed", "explore", "dims_help", "directions_help",
              "interpolation", "seed_a", "seed_b", "interpolate", "about", "failed")


def runtime_version() -> str:
    """The onnxruntime-web version the page carries (its VERSION file)."""
    for line in (RUNTIME_DIR / "VERSION").read_text().splitlines():
        if line.startswith("version="):
            return line.split("=", 1)[1].strip()
    return "?"


def offline_page(generator: Generator, directions, lang: str, onnx_data: bytes) -> bytes:
    """One self-contained HTML file that runs the generator (onnx_data, from onnx_bytes) in the browser with
    onnxruntime-web's wasm backend, single-threaded: a grid of samples with a new-seed button, sliders on the first
    latent dimensions and on `directions` (gan_core.explore.latent.Directions, computed here and written into the
    page), the class selector of a conditional generator and an interpolation between two seeds. Everything it
    needs is inside (base64, the runtime and model gzipped): it works opened from disk with the network off."""
    import base64
    import gzip

    from ..i18n import tr

    def encoded(data: bytes, compress: bool) -> str:
        return base64.b64encode(gzip.compress(data, 9, mtime=0) if compress else data).decode("ascii")

    info = {
        "latent_dim": generator.latent_dim, "image_shape": list(generator.image_shape),
        "num_classes": generator.num_classes, "class_names": generator.class_names, "groups": generator.groups,
        "sliders": PAGE_SLIDERS,
        "directions": [[round(float(v), 6) for v in vector] for vector in directions.vectors],
        "direction_labels": [tr("explore.direction", lang, index=k + 1, share=float(share))
                             for k, share in enumerate(directions.explained)],
        "texts": {key: tr(f"export.page.{key}", lang) for key in PAGE_TEXTS},
    }
    info["texts"]["title"] = tr("export.page.title", lang, name=generator.name or "GAN")
    values = {"__LANG__": lang, "__ORT_VERSION__": runtime_version(), "__INFO__": _script_json(info),
              "__ORT_MODULE__": encoded((RUNTIME_DIR / "ort.wasm.bundle.min.mjs").read_bytes(), False),
              "__ORT_WASM__": base64.b64encode((RUNTIME_DIR / "ort-wasm-simd-threaded.wasm.gz").read_bytes())
              .decode("ascii"),
              "__MODEL__": encoded(onnx_data, True)}
    # one pass: a value (a class name) that happens to hold a marker is never replaced in its turn
    page = re.sub("|".join(values), lambda match: values[match.group(0)],
                  PAGE_TEMPLATE.read_text(encoding="utf-8"))
    data = page.encode("utf-8")
    if len(data) > MAX_PAGE_BYTES:
        raise GanError("error.export_page_too_big", size=round(len(data) / 1e6, 1), limit=MAX_PAGE_BYTES // 1_000_000)
    return data


def _script_json(value) -> str:
    """JSON safe inside a <script> element: no "<", ">" or "&" that could close it (class names are people's)."""
    import json

    text = json.dumps(value, ensure_ascii=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
