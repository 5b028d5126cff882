"""The load test's browser students: real headless Chromium sessions (Playwright, Debian's chromium) following the
same lesson as the protocol clients, timing what a person sees: a slider key press until the explorer's new image is
on the screen (drawn in the browser, gan_ui/live_latent.js), on the page's own clock. Run by bench/load_test.py as a
worker process (its CPU, the browsers' included, is measured apart):

    python -m bench.load_browser PLAN.json OUT.json
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import random
import re
import shutil
import time
from pathlib import Path

from playwright.async_api import TimeoutError as PlaywrightTimeout

from bench.app_server import CHROMIUM_FLAGS
from bench.load_common import (  # noqa: I001
    MOVES,
    THINK,
    TRAINING,
    ZIPS_PER_SESSION,
    Records,
    SessionError,
    worker_main,
)

PAGE_TIMEOUT_S = 60.0  # a page that does not answer in this long is an error
SLIDER_TIMEOUT_S = 20.0  # a slider move with no new image in this long is an error

CHROMIUM_ARGS = [*CHROMIUM_FLAGS, "--disable-gpu", "--disable-dev-shm-usage"]

# Installed in every page before the app's own code: the time of the last key press, and when the explorer's live
# image (drawn in the browser: gan_ui/live_latent.js counts its pictures in data-painted) last drew a new picture
# and the next frame after it, when it is on the screen (performance.now(), page clock).
PAGE_PROBE = """
(() => {
  const probe = window.__load = {key: 0, change: 0, loaded: 0, painted: null};
  document.addEventListener('keydown', () => {
    probe.key = performance.now(); probe.visible = document.visibilityState === 'visible';
  }, true);
  const check = () => {
    const live = document.querySelector('.aula-live');
    const painted = live ? live.dataset.build + ':' + live.dataset.painted : null;
    if (live && live.dataset.painted !== '0' && painted !== probe.painted) {
      probe.painted = painted; probe.change = performance.now();
      requestAnimationFrame(() => { probe.loaded = performance.now(); });
    }
  };
  new MutationObserver(check).observe(document, {subtree: true, childList: true, attributes: true,
                                                 attributeFilter: ['data-painted']});
})();
"""

# The train page's live panel, read in one go: the run id in its header and its state, told by its controls.
TRAIN_STATE = r"""
() => {
  const main = document.querySelector('[data-testid="stMain"]');
  if (!main) return {id: null, state: null, position: null};
  if (main.querySelector('[data-testid="stException"]')) return {id: null, state: 'exception', position: null};
  const text = main.innerText || '';
  const found = text.match(/\d{8}-\d{6}-[0-9a-f]{12}/);
  const labels = [...main.querySelectorAll('button')].map((b) => b.innerText || '');
  const has = (word) => labels.some((label) => label.includes(word));
  let state = null;
  if (has('Pausar')) state = 'running';
  else if (has('Reanudar')) state = 'paused';
  else if (has('Detener')) state = 'queued';
  else if (text.includes('Entrenamiento terminado')) state = 'finished';
  else if (text.includes('Ejecución detenida')) state = 'stopped';
  else if (has('Empezar') || has('Continuar el entrenamiento')) state = 'failed';
  const position = text.match(/En cola: posición (\d+)/);
  return {id: found ? found[0] : null, state, position: position ? Number(position[1]) : null};
}
"""
WAIT_TRAIN_STATE = """
([previous, wanted]) => {
  const read = READ;
  const now = read();
  if (now.state === 'exception') return now;
  if (now.id && now.id !== previous && wanted.includes(now.state)) return now;
  return null;
}
""".replace("READ", TRAIN_STATE.strip())
WAIT_SAME_RUN_STATE = """
([runId, wanted]) => {
  const read = READ;
  const now = read();
  if (now.state === 'exception') return now;
  if (now.id === runId && wanted.includes(now.state)) return now;
  return null;
}
""".replace("READ", TRAIN_STATE.strip())
EXCEPTION_TEXT = """
() => [...document.querySelectorAll('[data-testid="stException"]')].map((e) => (e.innerText || '').slice(0, 300))
"""


# --- one student ------------------------------------------------------------------------------------------

def wire_summary(frames: list, since: float) -> list[str]:
    """The websocket's messages after `since`, one line each, decoded with the streamlit package's own classes:
    what the page asked (reruns, with the widgets whose values or triggers they carry) and what the server said
    (script runs started and finished, how many elements). Tells a click that never left the browser from a rerun
    the server ran without its trigger."""
    from streamlit.proto.BackMsg_pb2 import BackMsg
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    lines = []
    deltas = 0
    for at, way, payload in frames:
        if at < since or not isinstance(payload, (bytes, bytearray)):
            continue
        stamp = time.strftime("%H:%M:%S", time.localtime(at)) + f".{int(at * 1000) % 1000:03d}"
        try:
            if way == "sent":
                message = BackMsg.FromString(bytes(payload))
                kind = message.WhichOneof("type")
                detail = ""
                if kind == "rerun_script":
                    rerun = message.rerun_script
                    widgets = [f"{w.id.split('-')[-1][:40]}={w.WhichOneof('value')}"
                               + ("!" if w.WhichOneof("value") == "trigger_value" and w.trigger_value else "")
                               for w in rerun.widget_states.widgets]
                    detail = f" fragment={rerun.fragment_id or '-'} widgets={widgets}"
                lines.append(f"{stamp} -> {kind}{detail}")
            else:
                message = ForwardMsg.FromString(bytes(payload))
                kind = message.WhichOneof("type")
                if kind == "delta":
                    deltas += 1
                    continue
                if deltas:
                    lines.append(f"{stamp} <- {deltas} deltas")
                    deltas = 0
                detail = ""
                if kind == "script_finished":
                    detail = f" {message.script_finished}"
                elif kind == "session_status_changed":
                    detail = f" running={message.session_status_changed.script_is_running}"
                lines.append(f"{stamp} <- {kind}{detail}")
        except Exception as exc:  # noqa: BLE001 - a frame this decoder does not know is said, not fatal
            lines.append(f"{stamp} {way} undecoded ({type(exc).__name__})")
    if deltas:
        lines.append(f"<- {deltas} deltas")
    return lines


class BrowserStudent:
    def __init__(self, index: int, browser, plan: dict, stats: Records):
        self.index, self.browser, self.plan, self.stats = index, browser, plan, stats
        self.base_url, self.texts, self.deadline = plan["url"], plan["texts"], plan["deadline"]  # time.time()
        self.uploads = 0
        self.context = self.page = self.gallery_tab = None
        self.session_id: str | None = None
        self.closing = False  # a websocket closing now is expected (a reload, the end)
        self.last_run: str | None = None  # the newest run id this session has seen on the train page
        self.active_run: str | None = None  # a run this session started and has not seen end yet
        self.rng = random.Random(1000 + index)
        self.frames: collections.deque = collections.deque(maxlen=400)  # (time, way, payload): the evidence's wire

    def left(self) -> float:
        return self.deadline - time.time()

    timeout_ms = PAGE_TIMEOUT_S * 1000.0

    async def run(self) -> None:
        self.context = await self.browser.new_context(viewport={"width": 1280, "height": 1000}, locale="es-ES")
        await self.context.add_init_script(PAGE_PROBE)
        self.page = await self.context.new_page()
        self.page.on("pageerror", lambda error: self.stats.error(self.index, "javascript", str(error)))
        self.page.on("websocket", self._watch_socket)
        try:
            await self._guard(self._open("explore"))
            while self.left() > 0:
                for step in (self._explore, self._upload, self._train):
                    if self.left() <= 0:
                        break
                    await self._guard(step())
        finally:
            await self._leave()

    def _watch_socket(self, socket) -> None:
        if "_stcore/stream" not in socket.url:
            return

        def closed(_socket=None):
            if not self.closing:
                self.stats.error(self.index, "websocket", f"closed while the page was open ({socket.url})")

        socket.on("close", closed)
        socket.on("socketerror", lambda error: None if self.closing else
                  self.stats.error(self.index, "websocket", f"socket error {error}"))
        socket.on("framesent", lambda payload: self.frames.append((time.time(), "sent", payload)))
        socket.on("framereceived", lambda payload: self.frames.append((time.time(), "received", payload)))

    async def _guard(self, step) -> None:
        """Run one step; count what goes wrong and put the session back on its feet (a reload of Explorar)."""
        try:
            await step
            await self._check_exception()
        except Exception as exc:  # noqa: BLE001 - every failure is counted, the session goes on

            if isinstance(exc, SessionError):
                self.stats.error(self.index, exc.kind, exc.text)
            elif isinstance(exc, PlaywrightTimeout):
                self.stats.error(self.index, "timeout", str(exc).splitlines()[0])
            else:
                self.stats.error(self.index, "driver", f"{type(exc).__name__}: {str(exc).splitlines()[0][:200]}")
            await self._keep_evidence()
            await self._recover()

    async def _keep_evidence(self) -> None:
        """What the page showed when a step failed: a screenshot and its text, beside the run's records
        (plan["evidence"]), named by session and seconds since the start."""
        folder = self.plan.get("evidence")
        if not folder:
            return
        try:
            name = Path(folder) / f"browser{self.index:02d}-{time.time() - self.plan['t0']:06.1f}s"
            Path(folder).mkdir(parents=True, exist_ok=True)
            await self.page.screenshot(path=f"{name}.png", full_page=True, timeout=10_000)
            Path(f"{name}.txt").write_text(await self.page.evaluate("() => document.body.innerText") or "")
            Path(f"{name}.wire.txt").write_text("\n".join(wire_summary(list(self.frames), time.time() - 90)))
        except Exception:  # noqa: BLE001 - evidence is a help, never a new failure
            pass

    async def _check_exception(self) -> None:
        texts = await self.page.evaluate(EXCEPTION_TEXT)
        if texts:
            raise SessionError("exception", " | ".join(t.replace("\n", " ") for t in texts))

    async def _recover(self) -> None:
        """A fresh page load on this session (?s=): stop a run left going, then Explorar again."""
        if self.left() <= 0 and self.active_run is None:
            return
        try:
            if self.active_run is not None:
                await self._open("train")
                await self._stop_any()
            if self.left() > 0:
                await self._open("explore")
        except Exception as exc:  # noqa: BLE001
            self.stats.error(self.index, "recovery", f"{type(exc).__name__}: {str(exc).splitlines()[0][:200]}")

    async def _open(self, page_name: str) -> None:
        """Load a page from its URL (a new Streamlit session reattached to this one through ?s=)."""
        query = f"?lang=es&s={self.session_id}" if self.session_id else "?lang=es"
        self.closing = True  # the old page's websocket closes now: not an error
        started = time.monotonic()
        path = "" if page_name == "train" else page_name  # Entrenar is the default page: Streamlit serves it at "/"
        await self.page.goto(f"{self.base_url}/{path}{query}", wait_until="domcontentloaded",
                             timeout=self.timeout_ms)
        self.closing = False
        if page_name == "explore":
            await self.page.get_by_text(self.texts["explore_caption"]).wait_for(timeout=self.timeout_ms)
        else:
            await self.page.get_by_role("heading", name=self.texts["train_title"]).wait_for(timeout=self.timeout_ms)
        self.stats.add("navigation", self.index, to=f"load {page_name}",
                       ms=round((time.monotonic() - started) * 1000.0, 1))
        await self._learn_session_id()
        if self.plan.get("gallery") and self.gallery_tab is None and self.session_id:
            # --gallery: the class gallery in a second tab of the same session, open until the end.
            self.gallery_tab = await self.context.new_page()
            self.gallery_tab.on("pageerror", lambda error: self.stats.error(self.index, "javascript", str(error)))
            await self.gallery_tab.goto(f"{self.base_url}/gallery?lang=es&s={self.session_id}",
                                        wait_until="domcontentloaded", timeout=self.timeout_ms)
            # The student works in the lesson's tab, the gallery behind it: a hidden tab draws no frames (and
            # Chromium slows its timers), so the lesson's tab is the one in front, as on a student's screen.
            await self.page.bring_to_front()

    async def _learn_session_id(self) -> None:
        for _ in range(20):
            found = re.search(r"[?&]s=([0-9a-f]{32}\.[0-9a-f]{32})", self.page.url)  # the signed id
            if found:
                self.session_id = found.group(1)
                return
            await asyncio.sleep(0.25)

    async def _switch(self, link: str, title: str, ready_text: str | None = None) -> None:
        """Change page through the sidebar, as a student does (same websocket, same session)."""
        started = time.monotonic()
        nav = self.page.get_by_test_id("stSidebarNav").get_by_role("link", name=link, exact=True)
        await nav.click(timeout=self.timeout_ms)
        await self.page.get_by_role("heading", name=title).wait_for(timeout=self.timeout_ms)
        if ready_text:
            await self.page.get_by_text(ready_text).wait_for(timeout=self.timeout_ms)
        self.stats.add("navigation", self.index, to=link, ms=round((time.monotonic() - started) * 1000.0, 1))

    # --- explorer -------------------------------------------------------------------------------------

    async def _explore(self) -> None:
        page = self.page
        if not await page.get_by_role("heading", name=self.texts["explore_title"]).is_visible():
            await self._switch(self.texts["nav_explore"], self.texts["explore_title"], self.texts["explore_caption"])
        # a person moves a slider once the picture is there (the first visit loads the runtime and the model)
        await page.wait_for_function("() => Number(document.querySelector('.aula-live')?.dataset.painted) > 0",
                                     polling=100, timeout=self.timeout_ms)
        sliders = page.locator('[data-testid="stMain"] input[type="range"][aria-label^="z["]')
        count = await sliders.count()
        if not count:
            raise SessionError("explorer", "no latent slider on the page")
        for _ in range(self.rng.randint(*MOVES)):
            if self.left() <= 0:
                return
            await self._move_slider(sliders.nth(self.rng.randrange(count)))
            await asyncio.sleep(self.rng.uniform(*THINK))  # a person looks before moving again

    async def _move_slider(self, slider) -> None:
        page = self.page
        value, minimum, maximum = await slider.evaluate("(el) => [Number(el.value), Number(el.min), Number(el.max)]")
        if value >= maximum - 0.5:
            key = "ArrowLeft"
        elif value <= minimum + 0.5:
            key = "ArrowRight"
        else:
            key = self.rng.choice(["ArrowLeft", "ArrowRight"])
        before = await page.evaluate("() => window.__load.change")
        await slider.focus(timeout=self.timeout_ms)
        await slider.press(key, timeout=self.timeout_ms)
        try:
            await page.wait_for_function(
                "(before) => window.__load.change > before && window.__load.change >= window.__load.key"
                " && window.__load.loaded >= window.__load.change",
                arg=before, polling=50, timeout=SLIDER_TIMEOUT_S * 1000.0)
        except PlaywrightTimeout:
            after = await slider.evaluate("(el) => Number(el.value)")
            raise SessionError("slider", f"no new image {SLIDER_TIMEOUT_S:.0f} s after {key} "
                                         f"(value {value} -> {after})") from None
        probe = await page.evaluate("() => window.__load")
        self.stats.add("slider", self.index, src_ms=round(probe["change"] - probe["key"], 1),
                       loaded_ms=round(probe["loaded"] - probe["key"], 1), visible=probe.get("visible"))

    # --- training ------------------------------------------------------------------------------------

    async def _upload(self) -> None:
        """Datos, the "Tus fotos" tab: pick the session's next zip, press "Preparar el conjunto", see it made."""
        page = self.page
        await self._switch(self.texts["nav_data"], self.texts["data_title"])
        await page.get_by_role("tab", name=self.texts["tab_upload"]).click(timeout=self.timeout_ms)
        path = Path(self.plan["zips"]) / f"zip_{self.index}_{self.uploads % ZIPS_PER_SESSION}.zip"
        self.uploads += 1
        record = self.stats.add("uploads", self.index, upload_s=None, create_s=None, outcome=None)
        started = time.monotonic()
        await page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(str(path), timeout=self.timeout_ms)
        await page.get_by_text(path.name).first.wait_for(timeout=self.timeout_ms)  # listed under the box: uploaded
        record["upload_s"] = round(time.monotonic() - started, 2)
        await asyncio.sleep(self.rng.uniform(*THINK))
        started = time.monotonic()
        button = page.get_by_test_id("stMain").get_by_role("button", name=self.texts["create"])
        await button.click(timeout=self.timeout_ms)
        outcome = page.get_by_text(self.texts["created"]).or_(page.get_by_text(self.texts["already"]))
        try:
            await outcome.first.wait_for(timeout=self.timeout_ms)
        except PlaywrightTimeout:
            record["outcome"] = "failed"
            raise SessionError("upload", f"no dataset made from {path.name}") from None
        record["create_s"] = round(time.monotonic() - started, 2)
        record["outcome"] = "created" if await page.get_by_text(self.texts["created"]).count() else "already"
        await asyncio.sleep(self.rng.uniform(*THINK))

    async def _train(self) -> None:
        """Entrenar: `fast` on MNIST (the form's defaults) with TRAINING's epochs and images; wait in the queue as
        long as it takes, watch it until its first grid, look, press Detener."""
        page = self.page
        await self._switch(self.texts["nav_train"], self.texts["train_title"])
        now = await page.evaluate(TRAIN_STATE)
        self.last_run = now["id"] or self.last_run
        epochs = page.get_by_role("spinbutton", name=self.texts["epochs"], exact=True)
        # Open or folded, read off the expander itself: its fields may not be drawn yet right after the page switch,
        # and a click on an open form folds it (a 60-s timeout in an earlier run).
        form = page.get_by_test_id("stMain").get_by_test_id("stExpander").filter(has_text=self.texts["form"])
        details = form.locator("details").first
        await details.wait_for(timeout=self.timeout_ms)
        if await details.get_attribute("open") is None:
            await form.locator("summary").first.click(timeout=self.timeout_ms)
        await epochs.wait_for(state="visible", timeout=self.timeout_ms)
        await asyncio.sleep(self.rng.uniform(*THINK))  # a person reads the form before pressing Entrenar
        for label, value in ((self.texts["epochs"], TRAINING["epochs"]),
                             (self.texts["max_images"], TRAINING["max_images"])):
            box = page.get_by_role("spinbutton", name=label, exact=True)
            if await box.input_value() != str(value):
                await box.fill(str(value))
                await box.press("Tab")
        pressed = time.monotonic()
        await page.get_by_test_id("stMain").get_by_role("button", name=self.texts["train"], exact=True).click(
            timeout=self.timeout_ms)
        record = self.stats.add("trainings", self.index, run_id=None, outcome=None, queue_wait_s=None,
                                position=None, first_grid_s=None, stop_s=None)
        shown = await self._wait_new_run(["queued", "running", "paused", "finished", "stopped", "failed"])
        run_id = record["run_id"] = shown["id"]
        self.active_run = self.last_run = run_id
        record["position"] = shown["position"]
        grid = page.get_by_test_id("stMain").get_by_text(self.texts["grid_caption"])
        while True:  # queued, then running until its first grid (no time limit but the run's end)
            if shown["state"] == "failed":
                record["outcome"], self.active_run = "failed", None
                raise SessionError("run failed", f"run {run_id} failed")
            if shown["state"] in ("running", "paused", "finished", "stopped") and record["queue_wait_s"] is None:
                record["queue_wait_s"] = round(time.monotonic() - pressed, 2)
            if record["first_grid_s"] is None and await grid.count():
                record["first_grid_s"] = round(time.monotonic() - pressed, 2)
            if record["first_grid_s"] is not None or shown["state"] in ("finished", "stopped"):
                break
            if self.left() <= 0:
                record["outcome"] = "cancelled at the end" if shown["state"] == "queued" else "stopped at the end"
                await self._press_stop(record, run_id)
                return
            await asyncio.sleep(0.2)
            shown = await page.evaluate(TRAIN_STATE)
            if shown["state"] == "exception":
                raise SessionError("exception", " | ".join(await page.evaluate(EXCEPTION_TEXT)))
        if shown["state"] in ("finished", "stopped"):
            record["outcome"], self.active_run = shown["state"], None
            return
        await asyncio.sleep(self.rng.uniform(*THINK))  # a look at the grid, then Detener
        record["outcome"] = "stopped after its first grid"
        await self._press_stop(record, run_id)

    async def _press_stop(self, record: dict, run_id: str) -> None:
        """Press Detener (again every 10 s while the run still shows as active) until the run has ended."""

        started = time.monotonic()
        stop = self.page.get_by_test_id("stMain").get_by_role("button", name="Detener", exact=True)
        pressed_at = None
        while True:
            now = await self.page.evaluate(TRAIN_STATE)
            if now["state"] == "exception":
                raise SessionError("exception", " | ".join(await self.page.evaluate(EXCEPTION_TEXT)))
            if now["id"] == run_id and now["state"] in ("stopped", "finished", "failed"):
                break
            if time.monotonic() - started > PAGE_TIMEOUT_S:
                raise SessionError("timeout", f"run {run_id} still shows {now['state']} {PAGE_TIMEOUT_S:.0f} s "
                                              "after Detener")
            if now["id"] == run_id and now["state"] in ("queued", "running", "paused") and (
                    pressed_at is None or time.monotonic() - pressed_at > 10.0):
                try:
                    await stop.click(timeout=5000)
                    pressed_at = time.monotonic()
                except PlaywrightTimeout:
                    pass
            await asyncio.sleep(0.2)
        record["stop_s"] = round(time.monotonic() - started, 2)
        self.active_run = None
        if now["state"] == "finished" and record["outcome"] == "stopped after its first grid":
            record["outcome"] = "finished"
        if now["state"] == "failed":
            raise SessionError("run failed", f"run {run_id} failed")

    async def _stop_any(self) -> None:
        """After a reload: stop this session's current run if it is still queued or running."""
        now = await self.page.evaluate(TRAIN_STATE)
        if now["id"] and now["state"] in ("queued", "running", "paused"):
            await self._press_stop({"outcome": None}, now["id"])
        self.active_run = None

    async def _wait_new_run(self, wanted: list[str]) -> dict:
        handle = await self.page.wait_for_function(WAIT_TRAIN_STATE, arg=[self.last_run, wanted], polling=200,
                                                   timeout=self.timeout_ms)
        shown = await handle.json_value()
        if shown["state"] == "exception":
            raise SessionError("exception", " | ".join(await self.page.evaluate(EXCEPTION_TEXT)))
        return shown

    async def _wait_same_run(self, run_id: str, wanted: list[str], timeout: float) -> dict:
        handle = await self.page.wait_for_function(WAIT_SAME_RUN_STATE, arg=[run_id, wanted], polling=200,
                                                   timeout=timeout)
        shown = await handle.json_value()
        if shown["state"] == "exception":
            raise SessionError("exception", " | ".join(await self.page.evaluate(EXCEPTION_TEXT)))
        return shown

    async def _leave(self) -> None:
        """The end: no run of this session may stay queued or running."""
        if self.active_run is not None:
            try:
                if not await self.page.get_by_role("heading", name=self.texts["train_title"]).is_visible():
                    await self._switch(self.texts["nav_train"], self.texts["train_title"])
                await self._stop_any()
            except Exception as exc:  # noqa: BLE001
                self.stats.error(self.index, "leaving", f"could not stop run {self.active_run}: "
                                                         f"{type(exc).__name__}: {str(exc).splitlines()[0][:200]}")
        self.closing = True
        with contextlib.suppress(Exception):  # a browser already gone
            await self.context.close()


async def run_all(plan: dict, records: Records) -> None:
    from playwright.async_api import async_playwright

    chromium = shutil.which("chromium")
    if chromium is None:
        raise SystemExit("Debian's chromium is not installed (apt-get install chromium)")
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        students = [BrowserStudent(index, browser, plan, records) for index in plan["sessions"]]

        async def start(student):
            await asyncio.sleep(max(0.0, plan["starts"][str(student.index)] - time.time()))
            await student.run()

        await asyncio.gather(*(start(student) for student in students))
        await browser.close()


if __name__ == "__main__":
    worker_main("browser", run_all)
