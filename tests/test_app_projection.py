"""The explorer's "Project your photo" through AppTest on the bundled 32 px animals: a refused upload changes
nothing; while a projection works the page keeps answering (a slider moves the live image, the button waits its
turn); when it ends the sliders, the class and the interpolation start from the photo."""

from __future__ import annotations

import threading

import numpy as np
import pytest
import streamlit as st
from app_support import new_app, poll, server_drawn, sessions_dir  # noqa: F401 - fixtures

from gan_core.data import images as imaging
from gan_core.explore import projection
from gan_core.explore.generators import Generator
from gan_core.i18n import tr
from gan_core.training.pretrained import PRETRAINED_DIR

EXPLORE = "app_pages/explore.py"
NAME = "cifar-animals"
KEY = f"bundled:{NAME}"


@pytest.fixture
def explorer(sessions_dir, server_drawn, monkeypatch):  # noqa: F811 - the fixtures imported above
    # The live image drawn by the server (server_drawn): these tests read its picture and move its sliders while a
    # projection works; the browser's live image is tests/test_app_explore.py's.
    monkeypatch.setenv("GAN_PRETRAINED_DIR", str(PRETRAINED_DIR))
    st.cache_resource.clear()
    at = new_app()
    at.run()
    at.switch_page(EXPLORE).run()
    at.selectbox(key="explore.bundled").set_value(NAME).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def live_url(at) -> str:
    return at.image[0].proto.imgs[0].url


def test_an_upload_that_breaks_the_image_rules_is_refused_and_changes_nothing(explorer):
    at = explorer
    before = live_url(at)
    tiny = imaging.png_bytes(np.zeros((8, 8, 3), np.uint8))
    at.file_uploader(key="project.file").set_value(("tiny.png", tiny, "image/png")).run()
    assert not at.exception, [e.value for e in at.exception]
    assert any(tr("skip.too_small", "es") in e.value and "tiny.png" in e.value for e in at.error), \
        [e.value for e in at.error]
    assert at.button(key="project.go").disabled
    assert "project.task" not in at.session_state
    assert live_url(at) == before


@pytest.mark.slow
def test_the_page_answers_while_it_projects_then_the_explorer_starts_from_the_photo(explorer, monkeypatch):
    # The projection waits until the test has looked at the page while it works, then runs its own 200 steps: held by
    # an event, not made long, so no machine is too quick or too slow for the check.
    looked, real_project = threading.Event(), projection.project

    def held_project(*args, **kwargs):
        assert looked.wait(120), "the test never let the projection go on"
        return real_project(*args, **kwargs)

    monkeypatch.setattr(projection, "project", held_project)
    monkeypatch.setattr(projection, "ENCODER_STEPS", 30)  # where no encoder is shipped: a quick one
    handle = Generator.load(PRETRAINED_DIR / NAME / "generator.keras")
    made = imaging.to_uint8(handle.generate(handle.sample_latents(1, 77), [2])[0])  # a deer the generator drew
    at = explorer
    at.file_uploader(key="project.file").set_value(("deer.png", imaging.png_bytes(made), "image/png")).run()
    before = live_url(at)
    at.button(key="project.go").click().run()
    task = at.session_state["project.task"]
    assert task.view().active, "the click returns while the projection works"
    at.slider(key=f"explore.z1.{KEY}.0").set_value(2.0).run()  # the page answers meanwhile
    assert not at.exception, [e.value for e in at.exception]
    assert at.button(key="project.go").disabled, "one at a time"
    assert at.get("progress"), "its progress is on the page"
    assert live_url(at) != before
    assert task.view().active, "the projection is held until the test has looked"
    looked.set()
    at = poll(at, lambda a: KEY in a.session_state["project.results"] if "project.results" in a.session_state
              else False, timeout=240, interval=0.5)
    result = at.session_state["project.results"][KEY]
    assert result.distance < 0.05 and result.label == 2
    assert any(tr("project.verdict.near", "es") in s.value for s in at.success)
    latents = at.session_state["explore.latents"][KEY]
    np.testing.assert_allclose(latents["base"], result.latent)
    assert at.selectbox(key=f"explore.class.{KEY}").value == 2
    shown = at.image[0].proto.imgs[0].url
    assert shown != before
    # The interpolation's A is the projected photo: its first frame is the reconstruction.
    at.selectbox(key=f"explore.source_a.{KEY}").set_value("photo")
    at.number_input(key=f"explore.seed_a.{KEY}").set_value(1)
    at.slider(key=f"explore.steps.{KEY}").set_value(3)
    at.button(key=f"FormSubmitter:explore.interp.{KEY}-Interpolar").click().run()
    assert not at.exception, [e.value for e in at.exception]
    strip = at.session_state[f"explore.strip.{KEY}"]
    assert np.abs(strip[0].astype(int) - result.image).max() <= 2
    # The Learn page explains this very result.
    at.switch_page("app_pages/learn.py").run()
    assert not at.exception, [e.value for e in at.exception]
    page = "\n".join(m.value for m in at.markdown)
    assert f"distancia {result.distance:.3f}" in page and f"{100 * result.ratio:.0f} %" in page, page[-600:]
    assert tr("learn.project_difference", "es") in [c for i in at.image for c in [i.proto.imgs[0].caption]]
