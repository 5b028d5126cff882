"""In real headless Chromium: the explorer's "Proyecta tu foto". A photo uploaded through the page is projected (the
progress timer runs until it ends), the generator's reconstruction appears, the live image (drawn in the browser)
starts again from it, and a latent slider then moves the image from there."""

from __future__ import annotations

import os

import live_image_support as live
import numpy as np
import pytest
from app_support import wait_until
from pretrained_support import pretrained_dir  # noqa: F401 - pretrained_dir is a fixture

from gan_core import load_dataset
from gan_core.data import images as imaging
from gan_core.explore.projection import SHIPPED_ENCODER

pytestmark = pytest.mark.browser
SERVER_TRAINS_IN = "thread"  # no test here trains a run: the server starts no worker process

LIVE_CAPTION = "La imagen de este punto"
SEEN_CAPTION = "Tu foto, como la ve el generador"


@pytest.fixture(scope="module", autouse=True)
def _server_settings(pretrained_dir):  # noqa: F811 - the fixture imported above
    """Before the module's `app_url` starts its server (the subprocess inherits them): the generators, and a quick
    encoder where none is shipped (the tiny stand-ins of tests/pretrained_support.py). With the bundled generators'
    own encoders the server's settings are the other explorer modules' and it shares their server
    (scheduling_support.ONE_SERVER_MODULES)."""
    saved = {name: os.environ.get(name) for name in ("GAN_PRETRAINED_DIR", "GAN_ENCODER_STEPS")}
    os.environ["GAN_PRETRAINED_DIR"] = str(pretrained_dir)
    if not all((folder / SHIPPED_ENCODER).is_file() for folder in pretrained_dir.iterdir() if folder.is_dir()):
        os.environ["GAN_ENCODER_STEPS"] = "40"
    yield
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


def test_a_photo_is_projected_and_a_slider_moves_it(app_url, browser, tmp_path):
    digit = load_dataset("mnist").test_images[7]  # a real test digit, never seen in training
    photo = tmp_path / "mi-digito.png"
    photo.write_bytes(imaging.png_bytes(np.repeat(digit, 3, axis=2), scale=4))  # a 112 px colour PNG
    page = browser.new_page(viewport={"width": 1400, "height": 1600}, locale="es-ES")
    page.goto(f"{app_url}/explore?lang=es")
    page.get_by_text(LIVE_CAPTION).wait_for(timeout=120_000)
    generator = page.get_by_role("combobox", name="Generador incluido")
    if generator.input_value() != "MNIST (dígitos)":
        generator.click()
        page.get_by_role("option", name="MNIST (dígitos)", exact=True).click()
        wait_until(lambda: generator.input_value() == "MNIST (dígitos)", 60, "the MNIST generator")
    live.wait_drawn(page, "bundled:mnist:0")
    before = live.picture(page)

    uploader = page.locator('[data-testid="stFileUploader"]').filter(has_text="Tu foto")
    uploader.locator('input[type="file"]').set_input_files(str(photo))
    button = page.get_by_role("button", name="Proyectar")
    wait_until(lambda: button.is_enabled(), 60, "the Proyectar button to accept the photo")
    button.click()
    page.get_by_text(SEEN_CAPTION).wait_for(timeout=240_000)  # the reconstruction, once the projection ended
    page.get_by_text("Lo más parecido que sabe dibujar").wait_for(timeout=10_000)
    live.wait_drawn(page, "bundled:mnist:1")  # the photo's point: a new start for the sliders
    projected = live.picture(page)
    assert projected != before

    slider = page.get_by_role("slider", name="z[1]")
    key = "ArrowLeft" if float(slider.input_value()) > 0 else "ArrowRight"  # away from the end it may sit at
    drawn = live.painted(page)
    slider.focus()
    for _ in range(10):
        slider.press(key)
    live.wait_drawn(page, "bundled:mnist:1", drawn)
    wait_until(lambda: live.picture(page) not in (projected, before), 60,
               "the slider to move the image from the photo's point")
    page.screenshot(path=str(tmp_path / "projection.png"))
    page.close()
