"""The generator file: a .keras file with a JSON card beside it. Written here by the trainer (save_generator), and
read by the explorer's `Generator` (gan_core.explore.generators), the shipped classifiers (gan_core.training.metrics)
and the 2-D playground, each after check_keras_archive: members, layer classes and declared sizes inspected without
loading, then keras.saving.load_model with safe_mode=True (safe_load). Training writes the format and explore reads
it, so it lives in the lower layer both can import."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import numpy as np

from ..i18n import Count, GanError

MAX_MODEL_BYTES = 100_000_000
MAX_CONFIG_BYTES = 2_000_000
ALLOWED_MEMBERS = {"config.json", "metadata.json", "model.weights.h5"}
# Layer classes our presets use, and close relatives: anything else (Lambda, custom code) is refused.
ALLOWED_CLASSES = {
    "Functional", "Sequential", "Model", "InputLayer", "Dense", "Reshape", "Flatten", "Conv2D", "Conv2DTranspose",
    "BatchNormalization", "LayerNormalization", "LeakyReLU", "ReLU", "Activation", "Dropout", "Embedding",
    "Concatenate", "Add", "Multiply", "UpSampling2D", "SpectralNormalization", "GaussianNoise", "__keras_tensor__",
    "Cropping1D", "Discretization",  # a self-conditioned generator's group cut (gan_core.training.clusters)
    # objects inside layer configs
    "DTypePolicy", "FloatDTypePolicy", "GlorotUniform", "GlorotNormal", "HeNormal", "HeUniform", "RandomNormal",
    "RandomUniform", "Zeros", "Ones", "Constant", "TruncatedNormal", "L2", "L1", "L1L2", "Orthogonal",
}
# What a generator can sensibly need: ours have 0.4-3 million parameters, the largest recipe at 64x64x3 with a
# 1024-dimensional latent about 17 million; no layer of ours outputs more than 64x64x64 values per image.
MAX_GENERATOR_PARAMS = 30_000_000
MAX_LAYER_VALUES = 4_000_000  # one layer's output for one image, as the file declares it


def save_generator(generator, path: Path, card: dict) -> None:
    """Write generator.keras and card.json atomically (a reader never sees half a file)."""
    path = Path(path)
    tmp = path.with_name(path.stem + ".tmp.keras")
    generator.save(tmp)
    tmp.replace(path)
    card_path = path.with_name("card.json")
    card_tmp = card_path.with_name("card.json.tmp")
    card_tmp.write_text(json.dumps(card, indent=2, default=_json_default))
    card_tmp.replace(card_path)



def check_keras_archive(path: Path) -> dict:
    """Inspect a .keras file without loading it: members, sizes and every class name. Returns its config."""
    path = Path(path)
    if path.suffix != ".keras":
        raise GanError("error.model_file.not_keras")
    if path.stat().st_size > MAX_MODEL_BYTES:
        raise GanError("error.model_file", reason=f"> {MAX_MODEL_BYTES // 1_000_000} MB")
    if not zipfile.is_zipfile(path):
        raise GanError("error.model_file.not_zip")
    with zipfile.ZipFile(path) as archive:
        infos = archive.infolist()
        names = {info.filename for info in infos}
        unexpected = names - ALLOWED_MEMBERS
        if unexpected or "config.json" not in names or "model.weights.h5" not in names:
            raise GanError("error.model_file.unexpected_members", members=str(sorted(unexpected)[:5]))
        if sum(info.file_size for info in infos) > MAX_MODEL_BYTES * 2:
            raise GanError("error.model_file.unpacked_too_large")
        config_info = archive.getinfo("config.json")
        if config_info.file_size > MAX_CONFIG_BYTES:
            raise GanError("error.model_file", reason="config.json > 2 MB")
        try:
            config = json.loads(archive.read("config.json"))
        except (ValueError, UnicodeDecodeError):
            raise GanError("error.model_file.config_unreadable") from None
    for class_name, module in _class_names(config):
        if class_name == "Lambda" or class_name not in ALLOWED_CLASSES:
            raise GanError("error.model_file.layer_not_allowed", layer=class_name)
        if module is not None and not str(module).startswith("keras"):
            raise GanError("error.model_file.module_not_allowed", module=str(module))
    params, values = estimate_size(config)
    if params > MAX_GENERATOR_PARAMS:
        raise GanError("error.model_too_big", params=Count(params), limit=Count(MAX_GENERATOR_PARAMS))
    if values > MAX_LAYER_VALUES:
        raise GanError("error.model_too_big_layer", values=Count(values), limit=Count(MAX_LAYER_VALUES))
    return config



def estimate_size(config: dict) -> tuple[int, int]:
    """(parameters, largest layer output per image) as the config declares them, before Keras builds anything.
    Input widths come from the shapes the file records for each layer's inputs; a file can lie about those, which
    is why an upload is also built in a child process with a memory limit (check_in_child)."""
    params, largest = 0, 0
    for layer in _layers(config):
        kind, settings = layer["class_name"], layer.get("config") or {}
        if kind == "SpectralNormalization" and isinstance(settings.get("layer"), dict):
            kind, settings = settings["layer"].get("class_name"), settings["layer"].get("config") or {}
        width = _declared_input_width(layer)
        if kind == "Dense":
            units = _positive(settings.get("units"))
            params += units * (width + 1)
            largest = max(largest, units)
        elif kind in ("Conv2D", "Conv2DTranspose"):
            filters = _positive(settings.get("filters"))
            kernel = _product(settings.get("kernel_size"), 2)
            params += filters * (kernel * width + 1)
        elif kind == "Embedding":
            params += _positive(settings.get("input_dim")) * _positive(settings.get("output_dim"))
        elif kind == "Reshape":
            largest = max(largest, _product(settings.get("target_shape"), 1))
        elif kind == "InputLayer":
            shape = settings.get("batch_shape") or settings.get("batch_input_shape") or []
            largest = max(largest, _product(shape[1:], 1))
        elif kind == "Discretization":
            params += len(settings.get("bin_boundaries") or [])
    return params, largest



def _layers(node):
    """Every layer dict in a (possibly nested) model config."""
    for found in _objects(node):
        if isinstance(found.get("config"), dict) and found["class_name"] not in (
                "Functional", "Sequential", "Model", "__keras_tensor__"):
            yield found



def _declared_input_width(layer: dict) -> int:
    """The last dimension of the layer's input as the file records it (build_config or the inbound tensors)."""
    shapes = []
    build = layer.get("build_config") or {}
    if isinstance(build.get("input_shape"), list):
        shapes.append(build["input_shape"])
    for node in layer.get("inbound_nodes") or []:
        for tensor in _tensors(node):
            shapes.append(tensor.get("config", {}).get("shape"))
    widths = [_positive(shape[-1]) for shape in shapes if isinstance(shape, list) and shape
              and not isinstance(shape[-1], list)]
    return max(widths, default=1)



def _tensors(node):
    """The Keras tensors a config tree names (layer inputs and outputs)."""
    return (item for item in _objects(node) if item["class_name"] == "__keras_tensor__")



def _positive(value) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 1



def _product(values, length: int) -> int:
    if isinstance(values, int):
        return _positive(values) ** length
    total = 1
    for value in values if isinstance(values, list) else []:
        total *= _positive(value)
    return total



def check_built_size(model) -> None:
    """The same limits as estimate_size, on the built model's real shapes (what a file may have lied about)."""
    params = int(model.count_params())
    if params > MAX_GENERATOR_PARAMS:
        raise GanError("error.model_too_big", params=Count(params), limit=Count(MAX_GENERATOR_PARAMS))
    layers = model._flatten_layers(include_self=False) if hasattr(model, "_flatten_layers") else model.layers
    for layer in layers:
        try:
            outputs = layer.output if isinstance(layer.output, (list, tuple)) else [layer.output]
        except (AttributeError, ValueError):  # a layer used more than once, or never called: no single output
            continue
        for output in outputs:
            values = int(np.prod([d for d in output.shape[1:] if d is not None], dtype=np.int64))
            if values > MAX_LAYER_VALUES:
                raise GanError("error.model_too_big_layer", values=Count(values), limit=Count(MAX_LAYER_VALUES))



def _objects(node):
    """Every dict with a class_name in a config tree (layers, models, initializers, policies), depth first."""
    if isinstance(node, dict):
        if "class_name" in node:
            yield node
        for value in node.values():
            yield from _objects(value)
    elif isinstance(node, list):
        for value in node:
            yield from _objects(value)



def _class_names(node):
    for found in _objects(node):
        yield str(found["class_name"]), found.get("module")



def load_keras_file(path: Path):
    """Any model file already checked with check_keras_archive (a cached encoder): safe_mode=True, compile=False."""
    return safe_load(Path(path))



def safe_load(path: Path):
    """keras.saving.load_model with safe_mode=True and compile=False; any failure is the file's, said without paths."""
    import keras

    try:
        return keras.saving.load_model(path, safe_mode=True, compile=False)
    except Exception as exc:  # noqa: BLE001 - any failure to load is the file's fault
        detail = str(exc).replace(str(path.resolve().parent), "").replace(str(path.parent), "")  # no server paths
        raise GanError("error.model_file", reason=f"{type(exc).__name__}: {detail[:200]}") from None



def _json_default(value):
    if isinstance(value, (np.floating, np.integer)):
        return value.item()
    return str(value)
