"""The explorer page through AppTest, on the bundled generators: sliders, class, interpolation GIF, samples."""

import numpy as np
import pytest
import streamlit as st
from app_support import new_app, server_drawn  # noqa: F401 - a fixture

from gan_core.i18n import TEXTS
from gan_core.training.pretrained import bundled_generators

EXPLORE = "app_pages/explore.py"


@pytest.fixture(scope="module")
def _generators_loaded_once():
    """The bundled generators load once for this module's tests, as they do once per server (explore_view's
    st.cache_resource): loading them again for each test cost 6 to 10 s each on two busy cores."""
    st.cache_resource.clear()


@pytest.fixture
def explorer(_generators_loaded_once):
    at = new_app()
    at.run()
    at.switch_page(EXPLORE).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def image_url(at) -> str:
    return at.image[0].proto.imgs[0].url


def live_data(at) -> tuple[str, dict]:
    """The browser's live image on the page: its component id and the data the server sent it."""
    import json

    (component,) = at.get("bidi_component")
    return component.proto.id, json.loads(component.proto.json)


def send_point(at, z: list, directions: list, build: str | None = None):
    """What the browser sends when its sliders rest (gan_ui/live_latent.js: setStateValue("point", ...)), with
    the other widgets' values as they are, then the run it causes."""
    import json

    from streamlit.proto.WidgetStates_pb2 import WidgetState

    component_id, data = live_data(at)
    states = at._tree.get_widget_states()
    states.widgets.append(WidgetState(id=component_id, json_value=json.dumps(
        {"point": {"build": data["build"] if build is None else build, "z": z, "directions": directions}})))
    at._run(states)
    assert not at.exception, [e.value for e in at.exception]
    return at


def choose(at, name: str):
    at.selectbox(key="explore.bundled").set_value(name).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_bundled_generators_are_offered_the_moment_the_app_starts(explorer):
    names = {b.name for b in bundled_generators()}
    assert {"mnist", "mnist-cgan", "fashion", "cifar-animals", "birds"} <= names
    assert len(explorer.selectbox(key="explore.bundled").options) == len(names)
    # It opens on the best generator by its card (Fréchet distance next to blurred real images), never birds.
    from gan_ui.explore_view import best

    assert explorer.selectbox(key="explore.bundled").value == best(bundled_generators()) != "birds"


def test_a_latent_slider_and_a_direction_slider_change_the_image(server_drawn, explorer):
    at = choose(explorer, "mnist")
    before = image_url(at)
    at.slider(key="explore.z0.bundled:mnist.0").set_value(2.5).run()
    after_dim = image_url(at)
    assert after_dim != before
    at.slider(key="explore.pc0.bundled:mnist.0").set_value(-2.0).run()
    assert image_url(at) not in (before, after_dim)
    at.button(key="explore.reset.bundled:mnist").click().run()
    assert image_url(at) == before, "reset brings back the seed's point"


def test_the_live_image_is_drawn_once_a_move_from_the_values_the_widgets_hold(server_drawn, explorer, monkeypatch):
    """The image goes out before the sliders, from the values read ahead of them: it must be the point the widgets
    then give, or it is drawn twice (and a student would see the old point first)."""
    from gan_ui import explore_view

    drawn = []
    picture = explore_view._picture
    monkeypatch.setattr(explore_view, "_picture", lambda handle, latent, label: (
        drawn.append((latent.copy(), label)), picture(handle, latent, label))[1])
    at = choose(explorer, "mnist-cgan")
    for widget, value in (("slider", ("explore.z1.bundled:mnist-cgan.0", 1.5)),
                          ("slider", ("explore.pc2.bundled:mnist-cgan.0", -1.0)),
                          ("selectbox", ("explore.class.bundled:mnist-cgan", 7))):
        drawn.clear()
        getattr(at, widget)(key=value[0]).set_value(value[1]).run()
        assert not at.exception, [e.value for e in at.exception]
        assert len(drawn) == 1, f"{widget} {value}: drawn {len(drawn)} times"
        state = at.session_state["explore.latents"]["bundled:mnist-cgan"]
        assert np.array_equal(drawn[0][0], state["current"])  # what the widgets gave: the point shown
        if value[0].startswith("explore.z1"):
            assert drawn[0][0][1] == pytest.approx(1.5)  # the slider's new value, read before the slider is drawn
    assert drawn[0][1] == 7


def test_the_live_image_goes_to_the_browser_with_the_generator_as_onnx_and_its_start_point(explorer, monkeypatch):
    """The sliders and the picture run in the student's browser: the page sends the runtime, the generator's ONNX
    bytes (which draw what Keras draws, the self-conditioned MNIST's group cut included) and the seed's point."""
    import onnxruntime

    from gan_core.data import images as imaging
    from gan_core.explore.generators import Generator
    from gan_ui import explore_view, live_latent

    sent = {}
    media_urls = live_latent.media_urls
    monkeypatch.setattr(live_latent, "media_urls", lambda model: sent.setdefault("urls", (model, media_urls(model)))[1])
    at = choose(explorer, "mnist")
    _, data = live_data(at)
    model, urls = sent["urls"]
    assert data["urls"] == urls and len(set(urls.values())) == 3
    assert data["build"] == "bundled:mnist:0"
    handle = Generator.load(next(b.path for b in bundled_generators() if b.name == "mnist"))
    base = handle.sample_latents(1, 0)[0]
    np.testing.assert_allclose(data["base"], base, rtol=1e-6)
    assert data["dim_values"] == pytest.approx(np.clip(base[:explore_view.LATENT_SLIDERS], -3, 3).tolist())
    assert data["direction_values"] == [0.0] * explore_view.DIRECTION_SLIDERS == [0.0] * len(data["directions"])
    assert data["label"] is None and data["texts"]["caption"] == TEXTS["explore.image_caption"]["es"]
    assert not [image for image in at.image if image.proto.imgs[0].caption == data["texts"]["caption"]], \
        "no image drawn by the server"

    points = handle.sample_latents(4, 5)
    points[:, 0] = [-2.9, -1.0, 1.0, 2.9]  # across the self-conditioned generator's group cuts on z[0]
    session = onnxruntime.InferenceSession(model)
    drawn = session.run(["image"], {"latent": points.astype(np.float32)})[0]
    assert np.abs(imaging.to_uint8(drawn).astype(int) - imaging.to_uint8(handle.generate(points)).astype(int)).max() <= 2


def test_the_point_the_browser_sends_back_is_the_live_point_and_a_reset_starts_again(explorer):
    key = "bundled:mnist-cgan"
    at = choose(explorer, "mnist-cgan")
    _, data = live_data(at)
    assert data["label"] == 0
    z = list(data["dim_values"])
    z[1] = 1.5
    directions = [0.0] * len(data["directions"])
    directions[2] = -1.0
    at = send_point(at, z, directions)
    latents = at.session_state["explore.latents"][key]
    expected = np.asarray(data["base"], np.float32)
    expected[:len(z)] = z
    expected = expected - 1.0 * np.asarray(data["directions"][2], np.float32)
    np.testing.assert_allclose(latents["current"], expected, rtol=1e-5, atol=1e-6)
    at.run()  # drawn again (a language switch, a page switch back): the sliders where the student left them
    assert live_data(at)[1]["dim_values"][1] == 1.5 and live_data(at)[1]["direction_values"][2] == -1.0
    at.selectbox(key=f"explore.class.{key}").set_value(7).run()
    assert live_data(at)[1]["label"] == 7 and live_data(at)[1]["build"] == data["build"]
    at.button(key=f"explore.reset.{key}").click().run()
    _, after = live_data(at)
    assert after["build"] != data["build"] and after["dim_values"] == data["dim_values"]
    assert after["direction_values"] == [0.0] * len(directions)


def test_a_hand_made_point_is_ignored_and_the_live_point_stays(explorer):
    key = "bundled:mnist"
    at = choose(explorer, "mnist")
    _, data = live_data(at)
    z, directions = list(data["dim_values"]), list(data["direction_values"])
    good = list(z)
    good[0] = 2.0
    at = send_point(at, good, directions)
    kept = at.session_state["explore.latents"][key]["current"].copy()
    for bad in ((["x"] + z[1:], directions), (z[:-1], directions), (z, directions + [1.0]),
                ([float("nan")] + z[1:], directions), ([True] + z[1:], directions), ("0" * 100, directions)):
        at = send_point(at, *bad)
        np.testing.assert_array_equal(at.session_state["explore.latents"][key]["current"], kept)
    at = send_point(at, z, directions, build="bundled:mnist:99")  # an old page's point: not this one
    np.testing.assert_array_equal(at.session_state["explore.latents"][key]["current"], kept)


def test_a_generator_with_no_onnx_form_gets_its_live_image_from_the_server(explorer, monkeypatch):
    import weakref

    from gan_core import GanError
    from gan_core.explore import export
    from gan_ui import live_latent

    def fails(handle, work_dir):
        raise GanError("error.export_failed", reason="Unsupported ops: Bucketize")

    monkeypatch.setattr(live_latent, "_ONNX", weakref.WeakKeyDictionary())  # nothing exported yet
    monkeypatch.setattr(export, "onnx_bytes", fails)
    at = choose(explorer, "mnist")
    assert not at.get("bidi_component")
    assert at.image[0].proto.imgs[0].caption == TEXTS["explore.image_caption"]["es"]
    before = image_url(at)
    at.slider(key="explore.z0.bundled:mnist.0").set_value(2.5).run()
    assert not at.exception and image_url(at) != before


def test_class_control_changes_a_conditional_image(server_drawn, explorer):
    at = choose(explorer, "mnist-cgan")
    key = "explore.class.bundled:mnist-cgan"
    at.selectbox(key=key).set_value(3).run()
    three = image_url(at)
    at.selectbox(key=key).set_value(8).run()
    assert image_url(at) != three


def test_interpolation_makes_a_strip_and_a_gif(explorer):
    at = choose(explorer, "mnist")
    at.radio(key="explore.method.bundled:mnist").set_value("lerp")
    at.slider(key="explore.steps.bundled:mnist").set_value(6)
    images_before = len(at.image)
    at.button(key="FormSubmitter:explore.interp.bundled:mnist-Interpolar").click().run()
    assert not at.exception
    assert len(at.image) == images_before + 1
    gif_button = [b for b in at.get("download_button") if "interpolation" in str(b.proto)]
    assert gif_button, "a GIF download appears beside the strip"


@pytest.mark.slow
def test_interpolation_ends_come_from_a_grid_sample_the_live_image_or_the_dice(server_drawn, explorer):
    import numpy as np

    from gan_core.data import images as imaging
    from gan_core.explore.generators import Generator

    key = "bundled:mnist"
    at = choose(explorer, "mnist")
    at.slider(key=f"explore.z3.{key}.0").set_value(2.5).run()  # the live image is no longer its seed's point
    at.selectbox(key=f"explore.source_a.{key}").set_value("sample")
    at.number_input(key=f"explore.seed_a.{key}").set_value(5)
    at.selectbox(key=f"explore.source_b.{key}").set_value("current")
    at.radio(key=f"explore.method.{key}").set_value("lerp")
    at.slider(key=f"explore.steps.{key}").set_value(4)
    at.checkbox(key=f"explore.keep_group.{key}").uncheck()  # B's own group: the strip ends on B itself
    at.button(key=f"FormSubmitter:explore.interp.{key}-Interpolar").click().run()
    assert not at.exception, [e.value for e in at.exception]
    strip = at.session_state[f"explore.strip.{key}"]
    handle = Generator.load(next(b.path for b in bundled_generators() if b.name == "mnist"))
    grid = imaging.to_uint8(handle.generate(handle.sample_latents(32, 1000)))  # the grid below, seed 0
    live = at.session_state["explore.latents"][key]["current"]
    assert live[3] == pytest.approx(2.5)
    shown = imaging.to_uint8(handle.generate(live[None]))[0]
    assert strip.shape[0] == 4
    assert np.abs(strip[0].astype(int) - grid[4]).max() <= 2  # sample no. 5
    assert np.abs(strip[0].astype(int) - grid[5]).max() > 50  # ... and not its neighbour
    assert np.abs(strip[-1].astype(int) - shown).max() <= 2  # the image above

    at.button(key=f"explore.random_ends.{key}").click().run()
    seeds = at.number_input(key=f"explore.seed_a.{key}").value, at.number_input(key=f"explore.seed_b.{key}").value
    assert at.selectbox(key=f"explore.source_a.{key}").value == "seed" and seeds != (5, 2) and seeds[0] != seeds[1]


@pytest.mark.slow
def test_a_self_conditioned_generator_morphs_within_its_group_by_default_and_explains_jumps(explorer):
    import numpy as np

    from gan_core.data import images as imaging
    from gan_core.explore.generators import Generator
    from gan_core.explore.latent import interpolate

    key = "bundled:mnist"
    at = choose(explorer, "mnist")
    jumps = TEXTS["explore.jumps_explained"]["es"][:30]
    assert at.checkbox(key=f"explore.keep_group.{key}").value is True, "a morph is what a student expects"
    at.radio(key=f"explore.method.{key}").set_value("lerp")
    at.slider(key=f"explore.steps.{key}").set_value(4)
    at.button(key=f"FormSubmitter:explore.interp.{key}-Interpolar").click().run()
    assert not at.exception, [e.value for e in at.exception]
    strip = at.session_state[f"explore.strip.{key}"]
    handle = Generator.load(next(b.path for b in bundled_generators() if b.name == "mnist"))
    a, b = handle.sample_latents(1, 1)[0], handle.sample_latents(1, 2)[0]  # the default ends: seeds 1 and 2
    within, across = (imaging.to_uint8(handle.generate(interpolate(a, b, 4, "lerp", keep))) for keep in (True, False))
    assert np.abs(strip.astype(int) - within).max() <= 2
    assert np.abs(strip[-1].astype(int) - across[-1]).max() > 50  # B's own group draws another digit
    assert not any(c.value.startswith(jumps) for c in at.caption)

    # Unticked, the strip goes to B's group through the cuts, and the page says why it jumps.
    at.checkbox(key=f"explore.keep_group.{key}").uncheck()
    at.button(key=f"FormSubmitter:explore.interp.{key}-Interpolar").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert np.abs(at.session_state[f"explore.strip.{key}"].astype(int) - across).max() <= 2
    assert any(c.value.startswith(jumps) for c in at.caption)
    assert "z[0]" in at.checkbox(key=f"explore.keep_group.{key}").help
    choose(at, "mnist-cgan")
    assert not at.get("checkbox") or all("keep_group" not in c.key for c in at.checkbox)  # only with groups


def test_class_names_read_alike_in_both_languages():
    """Every class name a person reads comes from the table, written the same way (lower case, as in a sentence)."""
    from gan_ui import widgets

    classes = {key: entry for key, entry in TEXTS.items() if key.startswith("class.")}
    assert classes
    for key, entry in classes.items():
        for lang, name in entry.items():
            assert name[0] == name[0].lower(), (key, lang, name)
    assert widgets.class_label("T-shirt/top", "en") == "t-shirt/top"
    assert widgets.class_label("Trouser", "es") == "pantalón"


@pytest.mark.slow
def test_class_morph_for_conditional_models(explorer):
    at = choose(explorer, "mnist-cgan")
    at.selectbox(key="explore.class_a.bundled:mnist-cgan").set_value(1)
    at.selectbox(key="explore.class_b.bundled:mnist-cgan").set_value(7)
    images_before = len(at.image)
    at.button(key="FormSubmitter:explore.morph.bundled:mnist-cgan-Transformar").click().run()
    assert not at.exception and len(at.image) == images_before + 1


def _morph(at, name: str, class_a: int, class_b: int):
    key = f"bundled:{name}"
    at.selectbox(key=f"explore.class_a.{key}").set_value(class_a)
    at.selectbox(key=f"explore.class_b.{key}").set_value(class_b)
    at.button(key=f"FormSubmitter:explore.morph.{key}-Transformar").click().run()
    assert not at.exception, [e.value for e in at.exception]
    return at.session_state[f"explore.morph_strip.{key}"]


@pytest.mark.slow
def test_a_class_morph_on_the_animals_changes_from_one_animal_to_the_other_and_says_why_it_travels_z(explorer):
    """Issue #26, item 9: bird to cat at one z was eight almost identical frames (the animals' class only tints
    what z draws), while MNIST's 0 to 1 is lovely. The animals' page says so, with the measured share, and its
    morph goes from a picture the animals classifier reads as a bird to one it reads as a cat."""
    from gan_core.training import metrics

    at = choose(explorer, "cifar-animals")
    said = " ".join(caption.value for caption in at.caption)
    assert "la clase sola cambia poco la imagen" in said and "recorre a la vez la clase y z" in said, said
    frames = _morph(at, "cifar-animals", 0, 1)  # bird, cat
    _, probabilities = metrics.load_classifier("cifar_animals").features_and_probabilities(frames[[0, -1]])
    assert list(probabilities.argmax(axis=1)) == [0, 1], probabilities.round(2)
    moved = np.abs(frames[0].astype(float) - frames[-1].astype(float)).mean() / 255
    assert moved > 0.15, moved  # at one z the two ends differed by about 0.08 of the range

    at = choose(at, "mnist-cgan")  # where the class decides the picture: no such note, the z stays
    assert not any("la clase sola cambia poco" in caption.value for caption in at.caption)
    digits = _morph(at, "mnist-cgan", 0, 1)
    _, probabilities = metrics.load_classifier("mnist").features_and_probabilities(digits[[0, -1]])
    assert list(probabilities.argmax(axis=1)) == [0, 1]


def test_metrics_are_shown_beside_their_references(explorer):
    at = choose(explorer, "mnist")
    text = " ".join(m.value for m in at.markdown)
    assert "ruido" in text and "imágenes reales" in text


def test_a_runs_generator_is_loaded_again_when_its_file_changes(tmp_path):
    """A training run rewrites generator.keras every epoch: the explorer's cache is keyed by the file's time."""
    import shutil

    from gan_ui.explore_view import file_handle

    st.cache_resource.clear()
    path = tmp_path / "generator.keras"
    shutil.copyfile(next(b.path for b in bundled_generators() if b.name == "mnist"), path)
    first = file_handle(str(path), None, 1.0)
    assert file_handle(str(path), None, 1.0) is first
    assert file_handle(str(path), None, 2.0) is not first


def test_the_birds_generator_shows_what_its_starting_classifier_sees_as_the_readme_quotes(explorer):
    """Issue #26, item 15: the explorer said "No hay métricas de calidad" for the birds while the README quotes
    57% of its samples read as birds (71% of the real photos). Its card keeps both; the explorer says them."""
    at = choose(explorer, "birds")
    assert TEXTS["explore.no_metrics"]["es"] not in [caption.value for caption in at.caption]
    said = "\n".join(markdown.value for markdown in at.markdown)
    assert "«pájaro» en el 57% de las muestras (en las fotos reales: 71%)" in said, said
    assert "rana 22%" in said
    assert "57% of its samples" in open(__file__.replace("tests/test_app_explore.py", "README.md")).read()
