"""Take it home (gan_core.explore.export): the ONNX file gives Keras' numbers for every bundled generator."""

from __future__ import annotations

import json

import numpy as np
import onnx
import onnxruntime
import pytest
from app_support import new_app, server_drawn, sessions_dir, texts  # noqa: F401 - fixtures

from gan_core.explore.export import MAX_PAGE_BYTES, ONNX_OUTPUT, offline_page, onnx_bytes
from gan_core.explore.generators import Generator
from gan_core.explore.latent import Directions
from gan_core.i18n import TEXTS
from gan_core.training.pretrained import PRETRAINED_DIR, bundled_generators

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
    # the offline page carries this file and the runtime, within its size limit, for every bundled generator
    assert len(offline_page(handle, some_directions(handle), "es", data)) <= MAX_PAGE_BYTES


def some_directions(handle: Generator, count: int = 6) -> Directions:
    vectors = np.eye(count, handle.latent_dim, dtype=np.float32)
    return Directions(vectors, np.full(count, 0.1, np.float32), "dense")


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


def test_the_page_writes_peoples_words_as_text_only(tmp_path):
    """Class names come from a student's photo folders: in the page they stay JSON text inside its data element
    (no "<" that could close it), and the script sets them with textContent, never as HTML."""
    handle = Generator.load(BUNDLED["mnist-cgan"].path)
    handle.class_names = ["</script><img src=x onerror=alert(1)>", "__MODEL__", *handle.class_names[2:]]
    page = offline_page(handle, some_directions(handle), "en", b"onnx").decode()
    assert "<img src=x" not in page and page.count("</script>") == page.count("<script")
    assert "\\u003c/script\\u003e\\u003cimg" in page and '"__MODEL__"' in page
    assert "innerHTML" not in page


# --- the buttons: the explorer (bundled generators) and a finished run's page -------------------------------------

EXPLORE = "app_pages/explore.py"


@pytest.mark.parametrize("lang", ["es", "en"])
@pytest.mark.slow
def test_explorer_offers_the_take_home_downloads_of_bundled_generators(sessions_dir, server_drawn, lang):
    # The downloads, not the live image (tests/test_app_explore.py's): no browser export of each of three generators
    at = new_app()
    at.query_params["lang"] = lang
    at.run()
    at.switch_page(EXPLORE).run()
    assert not at.exception, [e.value for e in at.exception]
    page, onnx_label, notebook = (TEXTS[f"export.{name}_button"][lang] for name in ("page", "onnx", "notebook"))
    assert TEXTS["export.title"][lang] in "\n".join(texts(at))
    at.selectbox(key="explore.bundled").set_value("mnist-cgan").run()
    labels = {button.proto.label for button in at.get("download_button")}
    assert {page, onnx_label, notebook, TEXTS["live.dl_generator"][lang]} <= labels  # its notebook and its file
    fresh_d = TEXTS["export.notebook_fresh_d"][lang]
    assert fresh_d in texts(at)  # it ships without its D: the notebook starts D afresh, and the page says so
    at.selectbox(key="explore.bundled").set_value("cifar-animals").run()
    assert notebook in {button.proto.label for button in at.get("download_button")} and fresh_d not in texts(at)
    # the self-conditioned mnist ships without the groups it trained on: no notebook, page and ONNX file only
    at.selectbox(key="explore.bundled").set_value("mnist").run()
    labels = {button.proto.label for button in at.get("download_button")}
    assert {page, onnx_label} <= labels and notebook not in labels


def test_a_full_quota_disables_the_exports_and_says_why(sessions_dir, monkeypatch):
    from gan_core.server import housekeeping

    monkeypatch.setattr(housekeeping, "DEFAULT_QUOTA_BYTES", 1_000_000)  # less than one export needs
    at = new_app()
    at.run()
    at.switch_page(EXPLORE).run()
    assert not at.exception, [e.value for e in at.exception]
    buttons = [button for button in at.get("download_button")
               if button.proto.label in (TEXTS["export.page_button"]["es"], TEXTS["export.onnx_button"]["es"])]
    assert len(buttons) == 2 and all(button.proto.disabled for button in buttons)
    quota_start = TEXTS["error.quota"]["es"].split("(")[0].strip()
    assert any(warning.value.startswith(quota_start) for warning in at.warning)


@pytest.mark.slow
def test_a_finished_runs_page_and_the_explorer_offer_all_three_downloads(sessions_dir):
    """A tiny real run (64 MNIST images, two steps) left finished in a session: under its live view and in the
    explorer's "my runs" come the page, the ONNX file and its notebook."""
    import uuid

    from run_support import finished_session_run

    from gan_core.server import housekeeping

    session_id = uuid.uuid4().hex
    finished_session_run(sessions_dir, session_id)
    wanted = {TEXTS[f"export.{name}_button"]["es"] for name in ("page", "onnx", "notebook")}

    at = new_app()
    at.query_params["s"] = housekeeping.session_token(sessions_dir, session_id)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert wanted <= {button.proto.label for button in at.get("download_button")}

    at.switch_page(EXPLORE).run()
    at.radio(key="explore.source").set_value("runs").run()
    assert not at.exception, [e.value for e in at.exception]
    assert wanted <= {button.proto.label for button in at.get("download_button")}
