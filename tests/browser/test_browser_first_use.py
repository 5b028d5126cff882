"""In real headless Chromium, what a new student meets first: the tab's title in the page's language, the explorer
keeping its generator across a language switch, no asset fetched from the internet, no image that fails to load
while generators change, and a server console that shows the address and the teacher hint, not TensorFlow's
start-up chatter."""

from __future__ import annotations

import re
from urllib.parse import urlparse

import pytest
from app_support import start_app
from pretrained_support import pretrained_dir  # noqa: F401 - pretrained_dir is a fixture
from test_browser_explore import ARTIFACTS, Wire, pick

from bench.app_server import server_env, stop_server

pytestmark = pytest.mark.browser

NOISE = re.compile(r"cuda|cuInit|oneDNN|absl|cpu_feature_guard|remapper|meta_optimizer|retracing", re.IGNORECASE)


@pytest.fixture(scope="module")
def served(tmp_path_factory, pretrained_dir):  # noqa: F811 - the fixture imported above
    """The app as a teacher starts it: no TF_CPP_MIN_LOG_LEVEL of our own in its environment."""
    ARTIFACTS.mkdir(exist_ok=True)
    env = server_env(tmp_path_factory.mktemp("sessions"))
    env.pop("TF_CPP_MIN_LOG_LEVEL", None)
    env["GAN_PRETRAINED_DIR"] = str(pretrained_dir)
    log = ARTIFACTS / "first-use-server.log"
    server, url = start_app(env, log, timeout=90)
    try:
        yield url, log
    finally:
        stop_server(server)


def test_first_use_language_offline_images_and_console(served, browser):
    app_url, log = served
    page = browser.new_page(viewport={"width": 1400, "height": 1500}, locale="es-ES")
    host = urlparse(app_url).netloc
    outside, broken = [], []
    page.on("request", lambda r: urlparse(r.url).scheme in ("http", "https", "ws", "wss")
            and urlparse(r.url).netloc != host and outside.append(r.url))
    page.on("console", lambda m: "Image source error" in m.text and broken.append(m.text))
    page.on("response", lambda r: "/media/" in r.url and r.status >= 400 and broken.append(f"{r.status} {r.url}"))
    wire = Wire(page)
    since = wire.mark()
    page.goto(f"{app_url}/explore?lang=es")
    page.get_by_role("heading", name="Explorar el espacio latente").wait_for(timeout=120_000)
    page.get_by_text("La imagen de este punto").wait_for(timeout=120_000)
    wire.settle(page, since)
    page.wait_for_function("document.title === 'Explorar · Aula GAN'", timeout=30_000)

    # Generators switched one after another, some before the last one has finished drawing.
    generator = page.get_by_role("combobox", name="Generador incluido")
    for name in ("MNIST condicional (elige el dígito)", "Fashion-MNIST condicional (elige la prenda)",
                 "MNIST (dígitos)", "MNIST condicional (elige el dígito)"):
        pick(page, wire, generator, name)
    page.get_by_role("button", name="Interpolar").click()
    page.get_by_role("button", name="Descargar GIF").wait_for(timeout=60_000)

    # English: the same generator, the tab's title in English.
    since = wire.mark()
    page.locator('[data-testid="stSidebar"]').get_by_text("English", exact=True).click()
    page.get_by_role("heading", name="Explore the latent space").wait_for(timeout=60_000)
    wire.settle(page, since)
    assert page.get_by_role("combobox", name="Bundled generator").input_value() == "Conditional MNIST (choose the digit)"
    page.wait_for_function("document.title === 'Explore · GAN classroom'", timeout=30_000)
    pick(page, wire, page.get_by_role("combobox", name="Bundled generator"), "MNIST (digits)")
    page.wait_for_timeout(1000)  # any image still loading reports in this second

    assert outside == [], f"fetched from outside the class server: {outside}"
    assert broken == [], broken
    page.close()

    # The console: the address and the teacher hint; none of TensorFlow's start-up lines (models were built above).
    text = log.read_text()
    assert "URL: http://127.0.0.1" in text and "Teacher view:" in text, text
    noisy = [line for line in text.splitlines() if NOISE.search(line)]
    assert noisy == [], noisy
    assert "Traceback" not in text and "Stack (most recent call last)" not in text, text
