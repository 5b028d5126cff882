"""Saving and safely loading generators: a .keras file with a JSON card beside it."""

from __future__ import annotations

import json
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .i18n import GanError

MAX_MODEL_BYTES = 100_000_000
MAX_CONFIG_BYTES = 2_000_000
ALLOWED_MEMBERS = {"config.json", "metadata.json", "model.weights.h5"}
# Layer classes our presets use, and close relatives: anything else (Lambda, custom code) is refused.
ALLOWED_CLASSES = {
    "Functional", "Sequential", "Model", "InputLayer", "Dense", "Reshape", "Flatten", "Conv2D", "Conv2DTranspose",
    "BatchNormalization", "LayerNormalization", "LeakyReLU", "ReLU", "Activation", "Dropout", "Embedding",
    "Concatenate", "Add", "Multiply", "UpSampling2D", "SpectralNormalization", "GaussianNoise", "__keras_tensor__",
    "Cropping1D", "Discretization",  # a self-conditioned generator's group cut (gan_core.clusters)
    # objects inside layer configs
    "DTypePolicy", "FloatDTypePolicy", "GlorotUniform", "GlorotNormal", "HeNormal", "HeUniform", "RandomNormal",
    "RandomUniform", "Zeros", "Ones", "Constant", "TruncatedNormal", "L2", "L1", "L1L2", "Orthogonal",
}


@dataclass
class LoadedGenerator:
    """A generator and what is known about it. Output images are in [-1, 1], (n, h, w, c)."""

    model: object
    card: dict
    latent_dim: int
    num_classes: int
    image_shape: tuple[int, int, int]

    @property
    def conditional(self) -> bool:
        return self.num_classes > 0


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
        raise GanError("error.model_file", reason="solo se aceptan archivos .keras / only .keras files are accepted")
    if path.stat().st_size > MAX_MODEL_BYTES:
        raise GanError("error.model_file", reason=f"> {MAX_MODEL_BYTES // 1_000_000} MB")
    if not zipfile.is_zipfile(path):
        raise GanError("error.model_file", reason="no es un archivo .keras (zip) / not a .keras (zip) file")
    with zipfile.ZipFile(path) as archive:
        infos = archive.infolist()
        names = {info.filename for info in infos}
        unexpected = names - ALLOWED_MEMBERS
        if unexpected or "config.json" not in names or "model.weights.h5" not in names:
            raise GanError("error.model_file", reason=f"contenido inesperado / unexpected members: {sorted(unexpected)[:5]}")
        if sum(info.file_size for info in infos) > MAX_MODEL_BYTES * 2:
            raise GanError("error.model_file", reason="demasiado grande al descomprimir / too large when unpacked")
        config_info = archive.getinfo("config.json")
        if config_info.file_size > MAX_CONFIG_BYTES:
            raise GanError("error.model_file", reason="config.json > 2 MB")
        try:
            config = json.loads(archive.read("config.json"))
        except (ValueError, UnicodeDecodeError):
            raise GanError("error.model_file", reason="config.json ilegible / unreadable") from None
    for class_name, module in _class_names(config):
        if class_name == "Lambda" or class_name not in ALLOWED_CLASSES:
            raise GanError("error.model_file", reason=f"capa no permitida (puede contener código) / layer not allowed (may carry code): {class_name}")
        if module is not None and not str(module).startswith("keras"):
            raise GanError("error.model_file", reason=f"módulo no permitido / module not allowed: {module}")
    return config


def _class_names(node):
    if isinstance(node, dict):
        if "class_name" in node:
            yield str(node["class_name"]), node.get("module")
        for value in node.values():
            yield from _class_names(value)
    elif isinstance(node, list):
        for value in node:
            yield from _class_names(value)


def load_generator(path: Path) -> LoadedGenerator:
    """Check the archive, load it with safe_mode=True, check its shapes, and read its card if present."""
    import keras

    from .presets import SUPPORTED_SHAPES

    path = Path(path)
    check_keras_archive(path)
    try:
        model = keras.saving.load_model(path, safe_mode=True, compile=False)
    except GanError:
        raise
    except Exception as exc:  # noqa: BLE001 - any failure to load is the file's fault
        raise GanError("error.model_file", reason=f"{type(exc).__name__}: {str(exc)[:200]}") from None
    inputs = model.inputs if isinstance(model.inputs, list) else [model.inputs]
    if len(inputs) not in (1, 2) or len(inputs[0].shape) != 2:
        raise GanError("error.model_file", reason="la entrada debe ser (lote, latente) / input must be (batch, latent)")
    latent_dim = int(inputs[0].shape[1])
    shape = tuple(int(d) for d in model.outputs[0].shape[1:])
    if shape not in SUPPORTED_SHAPES:
        raise GanError("error.model_file", reason=f"salida {shape} no soportada / unsupported output {shape}")
    card = {}
    card_path = path.with_name("card.json")
    if card_path.is_file() and card_path.stat().st_size < 1_000_000:
        try:
            card = json.loads(card_path.read_text())
        except ValueError:
            card = {}
    num_classes = 0
    if len(inputs) == 2:
        num_classes = int(card.get("num_classes") or _embedding_classes(model) or 0)
        if num_classes <= 0:
            raise GanError("error.model_file", reason="modelo condicional sin número de clases / conditional model without class count")
    return LoadedGenerator(model, card, latent_dim, num_classes, shape)


def _embedding_classes(model) -> int:
    for layer in model.layers:
        if type(layer).__name__ == "Embedding":
            return int(layer.input_dim)
    return 0


def _json_default(value):
    if isinstance(value, (np.floating, np.integer)):
        return value.item()
    return str(value)
