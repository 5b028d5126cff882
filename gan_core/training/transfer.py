"""Transfer learning for small folders (Wang et al. 2018, "Transferring GANs"; Mo et al. 2020, "FreezeD").

A run can start from another generator's G and D instead of random weights: a bundled one (`pretrained/NAME`) or
a finished run's folder. A few hundred photos are far too few to learn what an animal looks like from nothing, but
enough to move an animal generator towards eagles. The source's networks are kept as `networks.npz` beside its
generator (`save_networks`), keyed by each variable's path ("g_conv0/kernel"), so copying works by name between
networks built by the same preset, whatever the backend.

A conditional source can seed an unconditional run: its class embedding is folded into the layers that read it,
for one class (the one the new photos look most like, by the source dataset's classifier) or for the mean of its
classes. The first layers of D can be frozen (FreezeD): they keep the source's low-level features.
"""

from __future__ import annotations

import json
from pathlib import Path

import keras
import numpy as np

from ..i18n import GanError
from . import metrics
from .config import AUTO  # init_from "auto": the bundled animals for a photo folder when the shapes allow, else nothing
from .presets import PRESETS
from .pretrained import pretrained_dir
from .run_folder import NETWORKS_FILE

AUTO_BASE = "cifar-animals"


# --- saving a source -------------------------------------------------------------------------------------------

def save_networks(gan, path: Path) -> None:
    """G as shown (its moving average, if any) and D, keyed by variable path."""
    arrays = {}
    for prefix, model in (("generator", gan.sampling_generator), ("discriminator", gan.discriminator)):
        for variable in model.weights:
            arrays[f"{prefix}/{variable.path}"] = _numpy(variable)
    path = Path(path)
    tmp = path.with_name(path.stem + ".tmp.npz")
    np.savez(tmp, **arrays)
    tmp.replace(path)


def _numpy(variable) -> np.ndarray:
    return keras.ops.convert_to_numpy(variable.value)


# --- finding a source ------------------------------------------------------------------------------------------

def source_folder(init_from: str) -> Path:
    """`pretrained/NAME` (or a bare bundled name) or a run folder, as a folder holding networks.npz and card.json."""
    text = str(init_from)
    name = text.split("/", 1)[1] if text.startswith("pretrained/") else text
    candidates = [pretrained_dir() / name, Path(text).expanduser()]
    for folder in candidates:
        if (folder / NETWORKS_FILE).is_file() and (folder / "card.json").is_file():
            return folder
    raise GanError("error.init_from_missing", value=text)


def source_card(folder: Path) -> dict:
    return json.loads((Path(folder) / "card.json").read_text())


def compatible(card: dict, preset_name: str, image_shape, latent_dim: int) -> bool:
    """True when a source built by `card`'s preset can seed a run of `preset_name` on images of `image_shape`."""
    source, target = PRESETS.get(card.get("preset", "")), PRESETS.get(preset_name)
    return (source is not None and target is not None
            and source.build_generator is target.build_generator
            and source.build_discriminator is target.build_discriminator
            and list(card.get("image_shape", [])) == list(image_shape)
            and int(card.get("latent_dim", -1)) == int(latent_dim))


def resolve(init_from: str | None, preset_name: str, dataset, latent_dim: int, builtin: bool) -> str:
    """What `auto` means for this run: the bundled animals for a photo folder when the shapes allow, else ""."""
    if init_from != AUTO and init_from is not None:
        if init_from:
            card = source_card(source_folder(init_from))
            if not compatible(card, preset_name, dataset.shape, latent_dim):
                raise GanError("error.init_from_incompatible", value=init_from, preset=card.get("preset", "?"),
                               shape="x".join(map(str, card.get("image_shape", []))),
                               wanted_preset=preset_name, wanted_shape="x".join(map(str, dataset.shape)))
        return init_from
    if builtin:
        return ""
    try:
        card = source_card(source_folder(f"pretrained/{AUTO_BASE}"))
    except GanError:
        return ""
    return f"pretrained/{AUTO_BASE}" if compatible(card, preset_name, dataset.shape, latent_dim) else ""


# --- copying ---------------------------------------------------------------------------------------------------

def initialise(gan, init_from: str, images: np.ndarray | None = None) -> dict:
    """Copy the source's G and D into `gan` (built, before training). Returns what the card records."""
    folder = source_folder(init_from)
    card = source_card(folder)
    with np.load(folder / NETWORKS_FILE, allow_pickle=False) as data:
        source = {key: data[key] for key in data.files}
    source_classes = int(card.get("num_classes") or 0)
    target_classes = gan.num_classes if gan.conditional else 0
    chosen_class = None
    if source_classes and not target_classes:
        chosen_class = nearest_class(card, images) if images is not None else None
        _fold_condition(source, source_classes, chosen_class)
    elif source_classes != target_classes:
        raise GanError("error.init_from_classes", value=init_from, source=source_classes, target=target_classes)
    copied = 0
    for prefix, models in (("generator", [gan.generator] + ([gan.generator_ema] if gan.generator_ema else [])),
                           ("discriminator", [gan.discriminator])):
        for model in models:
            for variable in model.weights:
                value = source.get(f"{prefix}/{variable.path}")
                if value is not None and tuple(value.shape) == tuple(variable.shape):
                    variable.assign(value)
                    copied += 1
    class_names = card.get("class_names") or []
    return {"from": str(init_from), "source_preset": card.get("preset"), "source_dataset": card.get("dataset"),
            "source_steps": card.get("steps"), "variables_copied": copied,
            "class": None if chosen_class is None else (class_names[chosen_class] if chosen_class < len(class_names)
                                                         else chosen_class),
            "class_rule": None if not source_classes or target_classes else
            ("nearest" if chosen_class is not None else "mean")}


def nearest_class(card: dict, images: np.ndarray) -> int | None:
    """The source class the new images look most like: the most frequent prediction of the source dataset's
    classifier on (up to 500 of) them. None when no classifier fits."""
    dataset_name = card.get("dataset", "")
    if not metrics.has_classifier(dataset_name, images.shape[1:]):
        return None
    sample = images[np.random.default_rng(0).choice(len(images), min(500, len(images)), replace=False)]
    _, probabilities = metrics.load_classifier(dataset_name).features_and_probabilities(metrics.as_unit_range(sample))
    return int(np.bincount(probabilities.argmax(axis=1), minlength=probabilities.shape[1]).argmax())


def _fold_condition(source: dict, num_classes: int, chosen: int | None) -> None:
    """Make a conditional source's arrays fit unconditional networks built by the same preset:
    G: the class embedding's share of the first dense layer becomes a constant, absorbed by the BatchNorm after it;
    D: the projection (features . class vector) joins the logit's weights."""
    def vector(table: np.ndarray) -> np.ndarray:
        return table[chosen] if chosen is not None else table.mean(axis=0)

    embedding = source.pop("generator/g_class_embedding/embeddings", None)
    kernel = source.get("generator/g_dense/kernel")
    if embedding is not None and kernel is not None:
        latent = kernel.shape[0] - embedding.shape[1]
        shift = vector(embedding) @ kernel[latent:]
        source["generator/g_dense/kernel"] = kernel[:latent]
        mean = source.get("generator/g_dense_bn/moving_mean")
        if mean is not None:
            source["generator/g_dense_bn/moving_mean"] = mean - shift
    projection = source.pop("discriminator/d_class_embedding/embeddings", None)
    for key in [k for k in source if k.startswith("discriminator/") and k.endswith("d_logit/kernel")]:
        if projection is not None:
            source[key] = source[key] + vector(projection)[:, None]


def freeze_discriminator_layers(discriminator, count: int) -> list[str]:
    """FreezeD: the first `count` layers of D that hold weights stop training. Returns their names."""
    frozen = []
    for layer in discriminator.layers:
        if len(frozen) >= count:
            break
        if layer.weights and not layer.name.startswith(("d_class_embedding", "sn_d_logit")):
            layer.trainable = False
            frozen.append(layer.name)
    return frozen
