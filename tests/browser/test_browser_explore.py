"""In real headless Chromium: the explorer on the bundled generators. The live image runs in the browser
(gan_ui/live_latent.js: the generator as ONNX in onnxruntime-web): a latent slider moved with the keyboard draws
the picture Keras draws for that point, with no rerun per key press; once the sliders rest the point goes back to
the server in one rerun of the live part; an interpolation's GIF downloads; a conditional generator's class changes
its image.

What reran is read off the websocket: every rerun request the browser sends (BackMsg.rerun_script) names the
fragment it is for, or none for a whole-page run, and the server ends each run with ScriptFinished saying which
kind it was."""

from __future__ import annotations

import os
import time
from pathlib import Path

import live_image_support as live
import numpy as np
import pytest
from PIL import Image
from pretrained_support import pretrained_dir  # noqa: F401 - pretrained_dir is a fixture
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

from gan_core.data import images as imaging
from gan_core.explore.generators import Generator

pytestmark = pytest.mark.browser
SERVER_TRAINS_IN = "thread"  # no test here trains a run: the server starts no worker process

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts"
DOCS_SCREENSHOT = REPO / "docs" / "screenshots" / "explore_es.png"
# The README's picture is rewritten only on request (like train_es.png), and never from the tiny stand-ins.
UPDATE_DOCS = bool(os.environ.get("GAN_UPDATE_SCREENSHOTS"))
LIVE_CAPTION = "La imagen de este punto"
FULL_RUN = ForwardMsg.ScriptFinishedStatus.Value("FINISHED_SUCCESSFULLY")
FRAGMENT_RUN = ForwardMsg.ScriptFinishedStatus.Value("FINISHED_FRAGMENT_RUN_SUCCESSFULLY")


@pytest.fixture(scope="module", autouse=True)
def _server_uses_the_generators(pretrained_dir):  # noqa: F811 - the fixture imported above
    """Before the module's `app_url` starts its server: the subprocess inherits $GAN_PRETRAINED_DIR."""
    before = os.environ.get("GAN_PRETRAINED_DIR")
    os.environ["GAN_PRETRAINED_DIR"] = str(pretrained_dir)
    yield pretrained_dir
    if before is None:
        os.environ.pop("GAN_PRETRAINED_DIR", None)
    else:
        os.environ["GAN_PRETRAINED_DIR"] = before


class Wire:
    """What crosses the page's websocket: rerun requests sent (their fragment id, '' for a whole page) and the
    status of every script run that finished."""

    def __init__(self, page):
        self.reruns: list[str] = []
        self.finished: list[int] = []
        self.running = False
        page.on("websocket", self._attach)

    def _attach(self, socket):
        socket.on("framesent", self._sent)
        socket.on("framereceived", self._received)

    def _sent(self, payload):
        if isinstance(payload, (bytes, bytearray)):
            message = BackMsg.FromString(bytes(payload))
            if message.WhichOneof("type") == "rerun_script":
                self.reruns.append(message.rerun_script.fragment_id)

    def _received(self, payload):
        if isinstance(payload, (bytes, bytearray)):
            message = ForwardMsg.FromString(bytes(payload))
            kind = message.WhichOneof("type")
            if kind == "new_session":  # sent as every run, whole or fragment, starts
                self.running = True
            elif kind == "script_finished":
                self.finished.append(message.script_finished)
                self.running = False

    def mark(self) -> tuple[int, int]:
        return len(self.reruns), len(self.finished)

    def settle(self, page, since: tuple[int, int], timeout: float = 90.0, quiet: float = 0.8) -> None:
        """Wait until a run started after `since` has finished and nothing else ran for `quiet` seconds."""
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            page.wait_for_timeout(100)  # lets Playwright deliver websocket events
            state = (len(self.reruns), len(self.finished), self.running)
            if state != last:
                last, since_change = state, time.monotonic()
            elif (len(self.finished) > since[1] and not self.running
                  and time.monotonic() - since_change >= quiet):
                return
        raise AssertionError(f"the app did not settle: reruns {self.reruns[since[0]:]}, "
                             f"finished {self.finished[since[1]:]}, running {self.running}")


def pick(page, wire, combobox, option: str, reruns: bool = True) -> None:
    """Choose an option; wait for the rerun it causes (none inside a form, or when it is already chosen)."""
    if combobox.input_value() == option:
        return
    since = wire.mark()
    combobox.scroll_into_view_if_needed()  # clicked while Playwright scrolls to it, the list can close at once
    page.wait_for_timeout(300)
    combobox.click()
    page.get_by_role("option", name=option, exact=True).click()
    if reruns:
        wire.settle(page, since)
    assert combobox.input_value() == option


def test_explorer_sliders_gif_and_classes(app_url, browser, tmp_path, pretrained_dir):  # noqa: F811
    page = browser.new_page(viewport={"width": 1400, "height": 1500}, locale="es-ES")
    wire = Wire(page)
    since = wire.mark()
    page.goto(f"{app_url}/explore?lang=es")
    page.get_by_role("heading", name="Explorar el espacio latente").wait_for(timeout=90_000)
    page.get_by_text(LIVE_CAPTION).wait_for(timeout=120_000)
    wire.settle(page, since)

    generator = page.get_by_role("combobox", name="Generador incluido")
    pick(page, wire, generator, "MNIST (dígitos)")
    assert generator.input_value() == "MNIST (dígitos)"

    # --- a latent slider, moved with the keyboard: drawn in the browser, sent back once it rests ---------
    live.wait_drawn(page, "bundled:mnist:0")
    title_count = page.evaluate("""() => {
        const title = document.querySelector('[data-testid="stMain"] h1');
        title.__explorerMark = 'same node';
        window.__notReloaded = true;
        return document.querySelectorAll('[data-testid="stMain"] h1').length;
    }""")
    assert title_count == 1
    before = live.picture(page)
    slider = page.get_by_role("slider", name="z[0]")
    value_before = float(slider.input_value())
    painted = live.painted(page)
    since = wire.mark()
    slider.focus()
    for _ in range(8):
        slider.press("ArrowRight")
    expected = min(3.0, value_before + 0.4)
    page.wait_for_function(f"() => Math.abs(Number(document.querySelector('.aula-live input[aria-label=\"z[0]\"]')"
                           f".value) - {expected}) < 0.026")
    live.wait_drawn(page, "bundled:mnist:0", painted)
    after = live.picture(page)
    assert after != before, "the live image did not change"
    # the picture is the generator's at that point: Keras on the test's side, ONNX in the browser
    handle = Generator.load(pretrained_dir / "mnist" / "generator.keras")
    point = handle.sample_latents(1, 0)
    point[0, 0] = float(slider.input_value())
    wanted = imaging.to_uint8(handle.generate(point))[0]
    assert np.abs(live.pixels(page).astype(int) - wanted.astype(int)).max() <= 2
    wire.settle(page, since, quiet=2.0)  # the point goes back once the sliders rest
    new_reruns, new_finishes = wire.reruns[since[0]:], wire.finished[since[1]:]
    assert 1 <= len(new_reruns) < 8, f"a rerun per key press, or none: {new_reruns}"
    assert all(new_reruns), f"a whole-page rerun was asked for: {new_reruns}"
    assert FRAGMENT_RUN in new_finishes and FULL_RUN not in new_finishes, new_finishes
    assert page.evaluate("""() => window.__notReloaded === true &&
        document.querySelector('[data-testid="stMain"] h1').__explorerMark === 'same node'""")
    assert live.picture(page) == after and float(slider.input_value()) == pytest.approx(expected, abs=0.026)

    # --- interpolation (a form outside the fragment) and its GIF ----------------------------------------
    since = wire.mark()
    page.get_by_role("button", name="Interpolar").click()
    download_button = page.get_by_role("button", name="Descargar GIF")
    download_button.wait_for(timeout=60_000)
    wire.settle(page, since)
    with page.expect_download(timeout=60_000) as download_info:
        download_button.click()
    download = download_info.value
    assert download.suggested_filename.endswith(".gif")
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    assert saved.read_bytes()[:4] == b"GIF8"
    with Image.open(saved) as gif:
        assert gif.n_frames >= 8 + 6  # there and back: 8 steps forward, 6 back without repeating the ends
    assert live.picture(page) == after, "the live point survives the interpolation's rerun"

    ARTIFACTS.mkdir(exist_ok=True)
    page.mouse.move(900, 30)  # over nothing: no hover toolbar, no sidebar collapse button
    page.screenshot(path=ARTIFACTS / "explore_es_mnist.png")

    # --- the conditional generator: the class picks the digit ----------------------------------------------
    pick(page, wire, generator, "MNIST condicional (elige el dígito)")
    live.wait_drawn(page, "bundled:mnist-cgan:0")
    assert live.picture(page) != after
    live_class = page.get_by_role("combobox", name="Clase").first
    assert live_class.input_value() == "0"
    sources = {"0": live.picture(page)}
    since = wire.mark()
    for digit in ("7", "3"):
        painted = live.painted(page)
        pick(page, wire, live_class, digit)
        assert live_class.input_value() == digit
        live.wait_drawn(page, "bundled:mnist-cgan:0", painted)
        sources[digit] = live.picture(page)
    assert len(set(sources.values())) == 3, f"the class does not change the image: {sources}"
    assert all(wire.reruns[since[0]:]) and FULL_RUN not in wire.finished[since[1]:], \
        "changing the class reruns only the fragment"
    assert page.evaluate("window.__notReloaded === true")
    page.screenshot(path=ARTIFACTS / "explore_es_cgan.png")
    if UPDATE_DOCS:
        _docs_screenshot(page, wire, pretrained_dir)

    # --- in English: the live image's words change, its sliders and picture stay --------------------------
    z1 = page.get_by_role("slider", name="z[1]")
    painted = live.painted(page)
    z1.focus()
    z1.press("ArrowLeft")
    live.wait_drawn(page, "bundled:mnist-cgan:0", painted)
    moved, picture = z1.input_value(), live.picture(page)
    page.locator('[data-testid="stSidebar"]').get_by_text("English", exact=True).click()
    page.locator(".aula-live-caption").filter(has_text="The image of this point").wait_for(timeout=60_000)
    assert page.get_by_role("slider", name="Direction 1", exact=False).count() == 1
    assert page.get_by_role("slider", name="z[1]").input_value() == moved and live.picture(page) == picture

    # --- a reload: the runtime and the models this browser fetched come from its own copy, not the server ------
    fetched = {load["url"] for load in page.evaluate("window.__aulaGanLive.loads") if load["from"] == "network"}
    assert len(fetched) >= 4, fetched  # the runtime's module and wasm, MNIST's model, the conditional MNIST's
    page.reload()
    live.wait_drawn(page)
    loads = page.evaluate("window.__aulaGanLive.loads")
    again = [load for load in loads if load["url"] in fetched]
    assert len(again) >= 3 and all(load["from"] == "kept" for load in again), loads  # the runtime and a model
    page.close()


def _docs_screenshot(page, wire, pretrained_dir: Path) -> None:
    """The README's picture: the conditional generator drawing a 3, and a slerp between two 3s below it."""
    assert "tiny-generators" not in str(pretrained_dir), "refresh the README's picture from real generators"
    page.set_viewport_size({"width": 1400, "height": 1800})
    pick(page, wire, page.get_by_role("combobox", name="Clase").nth(1), "3", reruns=False)  # in the form
    since = wire.mark()
    page.get_by_role("button", name="Interpolar").click()
    page.get_by_role("button", name="Descargar GIF").wait_for(timeout=60_000)
    wire.settle(page, since)
    page.evaluate("document.querySelector('[data-testid=\"stMain\"]').scrollTo(0, 0); window.scrollTo(0, 0)")
    page.mouse.move(900, 30)
    page.wait_for_timeout(500)
    page.screenshot(path=ARTIFACTS / "explore_es_docs.png")
    DOCS_SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    shot = Image.open(ARTIFACTS / "explore_es_docs.png").convert("RGB")  # 256 colours: same look, smaller file
    shot.quantize(256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE).save(DOCS_SCREENSHOT, optimize=True)
