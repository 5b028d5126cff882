"""Take it home (gan_core.explore.export): the ONNX file gives Keras' numbers for every bundled generator."""

from __future__ import annotations

import json

import numpy as np
import onnx
import onnxruntime
import pytest

from gan_core.explore.export import ONNX_OUTPUT, onnx_bytes
from gan_core.explore.generators import Generator
from gan_core.explore.pretrained import PRETRAINED_DIR, bundled_generators

BUNDLED = {b.name: b for b in bundled_generators(PRETRAINED_DIR)}
TOLERANCE = 1e-4


def onnx_images(data: bytes, latents, labels=None) -> np.ndarray:
    session = onnxruntime.InferenceSession(data, providers=["CPUExecutionProvider"])
    feeds = {"latent": np.asarray(latents, np.float32)}
    if labels is not None:
        feeds["label"] = np.asarray(labels, np.int32).reshape(-1, 1)
    return session.run([ONNX_OUTPUT], feeds)[0]


def fixed_inputs(handle: Generator, n: int = 12):
    """Fixed latents (seed 7) and, for a conditional generator, every class in turn."""
    latents = handle.sample_latents(n, 7)
    labels = (np.arange(n) % handle.num_classes).astype(np.int32) if handle.conditional else None
    return latents, labels


@pytest.mark.parametrize("name", sorted(BUNDLED))
def test_onnx_file_gives_keras_numbers_for_every_bundled_generator(name, tmp_path):
    handle = Generator.load(BUNDLED[name].path)
    data = onnx_bytes(handle, tmp_path)
    latents, labels = fixed_inputs(handle)
    expected = handle.generate(latents, labels)
    got = onnx_images(data, latents, labels)
    assert got.shape == expected.shape == (len(latents), *handle.image_shape)
    assert float(np.abs(got - expected).max()) <= TOLERANCE
    assert list(tmp_path.iterdir()) == [], "the export's temporary files are removed"
    graph = onnx.load_from_string(data)
    described = {entry.key: entry.value for entry in graph.metadata_props}
    assert json.loads(described["latent_dim"]) == handle.latent_dim
    assert json.loads(described["class_names"]) == handle.class_names
    if handle.conditional:  # another class gives another image, as in Keras
        other = (labels + 1) % handle.num_classes
        assert float(np.abs(onnx_images(data, latents, other) - got).max()) > 0.1


def test_self_conditioned_group_cut_matches_keras_at_its_boundaries(tmp_path):
    """The bundled mnist generator's Discretization (z[0] picks one of its groups) has no ONNX form and is exported
    as comparisons and a sum: z[0] exactly on a boundary, just below and just above falls in Keras' bucket."""
    handle = Generator.load(BUNDLED["mnist"].path)
    assert handle.groups > 1
    group = next(layer for layer in handle.model.layers if type(layer).__name__ == "Discretization")
    bounds = np.asarray(group.get_config()["bin_boundaries"], np.float32)
    picked = bounds[[0, len(bounds) // 3, len(bounds) // 2, -1]]
    first = np.concatenate([picked, np.nextafter(picked, -np.inf), np.nextafter(picked, np.inf)])
    latents = np.repeat(handle.sample_latents(1, 11), len(first), axis=0)
    latents[:, 0] = first
    expected = handle.generate(latents)
    got = onnx_images(onnx_bytes(handle, tmp_path), latents)
    assert float(np.abs(got - expected).max()) <= TOLERANCE
    # the cut matters: the same latent on either side of a boundary draws another group's image
    assert float(np.abs(expected[0] - expected[len(picked)]).max()) > 0.05
