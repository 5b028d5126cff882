"""The offline page (gan_core.explore.export.offline_page) in a real headless Chromium, opened from disk with every
request that is not a file refused: it draws a grid, a slider changes the image, the class selector the class."""

from __future__ import annotations

import base64
import io
import os
import zipfile
from pathlib import Path

import numpy as np
import pytest
from app_support import wait_until
from PIL import Image

from gan_core.explore.export import MAX_PAGE_BYTES, offline_page, onnx_bytes
from gan_core.explore.generators import Generator
from gan_core.explore.latent import principal_directions
from gan_core.training.pretrained import PRETRAINED_DIR

pytestmark = pytest.mark.browser
SERVER_TRAINS_IN = "thread"  # no test here trains a run: the server starts no worker process


@pytest.fixture(scope="module")
def page_file(tmp_path_factory):
    handle = Generator.load(PRETRAINED_DIR / "mnist-cgan" / "generator.keras")
    folder = tmp_path_factory.mktemp("take-home")
    data = offline_page(handle, principal_directions(handle, 6), "en", onnx_bytes(handle, folder))
    assert len(data) <= MAX_PAGE_BYTES
    path = folder / "mnist-cgan.html"
    path.write_bytes(data)
    return path, handle


def page_latents(n: int, seed: int, latent_dim: int) -> np.ndarray:
    """The page's own seeded latents (its `latents` function: mulberry32 and Box-Muller), computed here."""
    state = (seed & 0xFFFFFFFF) ^ 0x9E3779B9
    mask = 0xFFFFFFFF

    def uniform():
        nonlocal state
        state = (state + 0x6D2B79F5) & mask
        t = state
        t = ((t ^ (t >> 15)) * (t | 1)) & mask
        t = (t ^ ((t + (((t ^ (t >> 7)) * (t | 61)) & mask)) & mask)) & mask
        return ((t ^ (t >> 14)) + 1) / 4294967297

    out = np.zeros(n * latent_dim, np.float64)
    for i in range(0, len(out), 2):
        radius, angle = np.sqrt(-2 * np.log(uniform())), 2 * np.pi * uniform()
        out[i] = radius * np.cos(angle)
        if i + 1 < len(out):
            out[i + 1] = radius * np.sin(angle)
    return out.astype(np.float32).reshape(n, latent_dim)


def pixels(page, canvas_id: str) -> np.ndarray:
    url = page.evaluate(f"() => document.getElementById('{canvas_id}').toDataURL('image/png')")
    return np.asarray(Image.open(io.BytesIO(base64.b64decode(url.split(",", 1)[1]))).convert("L"), np.int16)


def renders(page) -> int:
    return int(page.evaluate("() => Number(document.body.dataset.renders)"))


def test_offline_page_runs_the_generator_from_disk_with_the_network_blocked(browser, page_file):
    path, handle = page_file
    context, page, refused, errors = open_offline(browser, path)
    try:
        assert page.evaluate("() => document.body.dataset.ready") == "1", (
            page.evaluate("() => document.getElementById('status').textContent"), errors)
        assert not errors and not refused, (errors, refused)

        # the first image's time is reported, not asserted: a timed test races the machine (CI machines differ 5x)
        first_ms = int(page.evaluate("() => Number(document.body.dataset.firstImageMs)"))
        print(f"first image {first_ms} ms, load {os.getloadavg()[0]:.1f}, marks "
              f"{page.evaluate('() => document.body.dataset.marks')}")
        assert first_ms > 0, "the page timed its first image"

        # the grid: 4 x 4 digits, drawn (not black, not flat)
        grid = pixels(page, "grid")
        height, width = handle.image_shape[:2]
        assert grid.shape == (4 * height, 4 * width)
        assert grid.std() > 20 and (grid > 128).mean() > 0.03
        # and it is the generator's own: Keras draws the same digits for the page's latents (class 0, seed 0)
        keras_images = handle.generate(page_latents(16, 1000, handle.latent_dim), np.zeros(16, np.int32))
        tiles = np.clip(np.round((keras_images[..., 0] + 1) * 127.5), 0, 255).astype(np.int16)
        expected = tiles.reshape(4, 4, height, width).transpose(0, 2, 1, 3).reshape(4 * height, 4 * width)
        assert np.abs(grid - expected).max() <= 2

        # a slider on z changes the explored image
        before = pixels(page, "image")
        count = renders(page)
        page.evaluate("""() => { const slider = document.querySelector('#dims input');
                                 slider.value = String(-Number(slider.value) || 2.5);
                                 slider.dispatchEvent(new Event('input')); }""")
        wait_until(lambda: renders(page) > count, 30, "the image to be drawn again")
        assert np.abs(pixels(page, "image") - before).mean() > 2

        # a principal direction too
        before, count = pixels(page, "image"), renders(page)
        page.evaluate("""() => { const slider = document.querySelector('#directions input');
                                 slider.value = '3'; slider.dispatchEvent(new Event('input')); }""")
        wait_until(lambda: renders(page) > count, 30, "the image to be drawn again")
        assert np.abs(pixels(page, "image") - before).mean() > 2

        # another class: grid, image and interpolation drawn again, and the grid shows other digits
        assert page.locator("#class option").count() == handle.num_classes == 10
        before, count = pixels(page, "grid"), renders(page)
        page.select_option("#class", "7")
        wait_until(lambda: renders(page) >= count + 3, 30, "the class's grid, image and strip")
        assert np.abs(pixels(page, "grid") - before).mean() > 5

        # a new seed draws other samples
        before, count = pixels(page, "grid"), renders(page)
        page.click("#new-seed")
        wait_until(lambda: renders(page) > count, 30, "a new grid")
        assert np.abs(pixels(page, "grid") - before).mean() > 5
        assert not errors and not refused, (errors, refused)
    finally:
        context.close()


def open_offline(browser, path: Path):
    """The page at `path` opened from disk in a context where every request that is not a file is refused;
    returns (context, page, refused addresses, page errors) once it started (or failed: then it says why)."""
    context = browser.new_context()
    refused, errors = [], []

    def only_files(route):
        if route.request.url.startswith("file:"):
            route.continue_()
        else:
            refused.append(route.request.url)
            route.abort()

    context.route("**/*", only_files)
    page = context.new_page()
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(path.as_uri())
    wait_until(lambda: page.evaluate("() => document.body.dataset.ready") != "0", 60, "the page to start")
    return context, page, refused, errors


def test_the_explorers_downloads_through_the_app(app_url, browser, tmp_path):
    """Through the real app: the explorer's page, ONNX and notebook buttons build their files on the click and send
    them; the page runs from disk offline, the ONNX file gives the bundled generator's images, the notebook's zip
    holds the notebook, the generator it loads and, where the generator ships its D, the training state."""
    import onnxruntime

    from gan_core.explore.export import ONNX_OUTPUT
    from gan_core.explore.notebook import has_discriminator
    from gan_core.training.pretrained import pretrained_dir

    context = browser.new_context(accept_downloads=True)
    page = context.new_page()
    files = {}
    try:
        page.goto(f"{app_url}/explore?lang=en")
        for label in ("Offline page (HTML)", "ONNX model", "Jupyter notebook (.zip)"):
            button = page.get_by_role("button", name=label)
            button.wait_for(timeout=120_000)
            with page.expect_download(timeout=120_000) as download_info:
                button.click()
            path = tmp_path / download_info.value.suggested_filename
            download_info.value.save_as(path)
            files[path.suffix] = path
    finally:
        context.close()
    html, onnx_file = files[".html"], files[".onnx"]
    assert 0 < html.stat().st_size <= MAX_PAGE_BYTES and html.stem == onnx_file.stem  # the bundled one's name
    assert files[".zip"].stem == html.stem
    with zipfile.ZipFile(files[".zip"]) as archive:
        names = set(archive.namelist())
    assert {f"{html.stem}.ipynb", f"generator_{html.stem}.keras"} <= names
    assert (f"training_{html.stem}.npz" in names) == has_discriminator(pretrained_dir() / html.stem)
    offline, offline_view, refused, errors = open_offline(browser, html)
    try:
        assert offline_view.evaluate("() => document.body.dataset.ready") == "1" and not refused and not errors
        assert offline_view.evaluate("() => document.documentElement.lang") == "en"
    finally:
        offline.close()
    handle = Generator.load(pretrained_dir() / html.stem / "generator.keras")
    latents = handle.sample_latents(4, 1)
    labels = np.arange(4, dtype=np.int32) % handle.num_classes if handle.conditional else None
    feeds = {"latent": latents, **({"label": labels.reshape(-1, 1)} if handle.conditional else {})}
    session = onnxruntime.InferenceSession(str(onnx_file), providers=["CPUExecutionProvider"])
    assert float(np.abs(session.run([ONNX_OUTPUT], feeds)[0] - handle.generate(latents, labels)).max()) <= 1e-4
