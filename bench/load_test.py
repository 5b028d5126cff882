"""Load test: N real browser sessions (Playwright, Debian's chromium) against a local app for M minutes.

Each simulated student has its own browser context, so its own Streamlit session (the app keeps the session id
in `?s=`), and loops until the time is up:

1. on Explorar, moves a latent slider a few times with the keyboard, timing each key press until the live image
   has a new `src` and until that image has loaded (both read off the page's own clock);
2. switches to Entrenar through the sidebar, starts a short training (the form's `fast` recipe on MNIST, 512 images,
   10 epochs of 8 steps), times its wait in the queue (press until the page shows it running), watches it 4-8 s
   and stops it with Detener; a run still queued after `--queue-timeout` seconds is cancelled with the same button,
   so no session leaves jobs behind (runs still active at the end are counted as errors);
3. switches back to Explorar.

Errors counted: a Streamlit exception element on the page, a page that does not answer within `--timeout`
seconds, a websocket that closes while its page is open, a JavaScript error, a Python traceback in the server's
log, a run that fails. The server's memory (RSS of the streamlit process and its children) is sampled every
`--sample-every` seconds. The server is started and stopped here (its sessions in a temporary folder); traffic
goes only to 127.0.0.1.

    nice -n 10 python3 -m bench.load_test --sessions 30 --minutes 10
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.app_server import (  # noqa: E402
    CHROMIUM_FLAGS,
    free_port,
    server_env,
    start_server,
    stop_server,
)

CHROMIUM_ARGS = [*CHROMIUM_FLAGS, "--disable-gpu", "--disable-dev-shm-usage"]
LIVE_CAPTION = "La imagen de este punto"  # the explorer's live image (the app's default language, Spanish)
EXPLORE_TITLE = "Explorar el espacio latente"
TRAIN_TITLE = "Entrenar una GAN"
FORM_EXPANDER = "Nueva ejecución"
EPOCHS_LABEL = "Épocas"
MAX_IMAGES_LABEL = "Máximo de imágenes (0 = todas)"
# The fast recipe on MNIST (the form's defaults) on 512 images, batch 64: 8 steps an epoch, each epoch a grid and a
# checkpoint. Ten epochs, so that it is still training when the session stops it a few seconds in.
TRAINING = {"epochs": "10", "max_images": "512"}
SLIDER_BAR_MS = 300.0
MEMORY_GROWTH_BAR = 0.10

# Installed in every page before the app's own code: the time of the last key press, and when the explorer's
# live image last got a new src and when that image finished loading (performance.now(), page clock).
PAGE_PROBE = """
(() => {
  const probe = window.__load = {key: 0, change: 0, loaded: 0, src: null, img: null};
  const live = () => {
    for (const box of document.querySelectorAll('[data-testid="stImage"]')) {
      if ((box.textContent || '').includes(CAPTION)) return box.querySelector('img');
    }
    return null;
  };
  document.addEventListener('keydown', () => { probe.key = performance.now(); }, true);
  document.addEventListener('load', (event) => {
    if (event.target && event.target === probe.img) probe.loaded = performance.now();
  }, true);
  const check = () => {
    const img = live();
    const src = img && img.getAttribute('src');
    if (src && src !== probe.src) {
      probe.src = src; probe.img = img; probe.change = performance.now();
      if (img.complete && img.naturalWidth) probe.loaded = probe.change;
    }
  };
  new MutationObserver(check).observe(document, {subtree: true, childList: true, attributes: true,
                                                 attributeFilter: ['src']});
})();
""".replace("CAPTION", json.dumps(LIVE_CAPTION))

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


class SessionError(Exception):
    """One counted error; the session recovers and goes on."""

    def __init__(self, kind: str, text: str):
        super().__init__(f"{kind}: {text}")
        self.kind, self.text = kind, text


# --- the server ---------------------------------------------------------------------------------------------

def left_active(sessions_dir: Path, settle: float = 30.0) -> list[tuple[str, str]]:
    """Runs whose status.json still says queued, running or paused once every session has ended (after `settle`
    seconds for stops in progress to land)."""
    deadline = time.monotonic() + settle
    while True:
        active = []
        for status in sessions_dir.glob("*/runs/*/status.json"):
            try:
                state = json.loads(status.read_text()).get("state")
            except (OSError, ValueError):
                continue
            if state in ("queued", "running", "paused"):
                active.append((status.parent.name, state))
        if not active or time.monotonic() > deadline:
            return active
        time.sleep(1.0)


def server_tracebacks(log_path: Path) -> list[str]:
    """Every Python traceback in the server's log, as its first frame line and its last line."""
    lines = log_path.read_text(errors="replace").splitlines() if log_path.is_file() else []
    found = []
    for index, line in enumerate(lines):
        if line.startswith("Traceback (most recent call last)"):
            end = index + 1
            while end < len(lines) and (lines[end].startswith((" ", "\t")) or not lines[end].strip()):
                end += 1
            last = lines[end] if end < len(lines) else lines[end - 1]
            frames = [entry.strip() for entry in lines[index + 1:end] if entry.strip().startswith("File ")]
            found.append(f"{last.strip()}  [{frames[-1] if frames else 'no frame'}]")
    return found


# --- what is measured ---------------------------------------------------------------------------------------

class Stats:
    def __init__(self):
        self.t0 = time.monotonic()
        self.slider: list[dict] = []  # t, session, src_ms, loaded_ms
        self.navigation: list[dict] = []  # t, session, to, ms
        self.trainings: list[dict] = []  # t, session, run_id, outcome, queue_wait_s, position, stop_s
        self.errors: list[dict] = []  # t, session, kind, text
        self.memory: list[dict] = []  # t, rss_mb, cpu_percent, load
        self.first_page_s: float | None = None

    def now(self) -> float:
        return round(time.monotonic() - self.t0, 3)

    def error(self, session: int, kind: str, text: str) -> None:
        self.errors.append({"t": self.now(), "session": session, "kind": kind, "text": text[:400]})
        print(f"  [{self.now():7.1f} s] session {session}: {kind}: {text[:200]}", flush=True)


def percentile(values, q: float) -> float:
    values = sorted(values)
    if not values:
        return float("nan")
    position = (len(values) - 1) * q / 100.0
    low, high = math.floor(position), math.ceil(position)
    return values[low] + (values[high] - values[low]) * (position - low)


# --- one student ------------------------------------------------------------------------------------------

class Student:
    def __init__(self, index: int, browser, base_url: str, stats: Stats, args, deadline: float):
        self.index, self.browser, self.base_url, self.stats, self.args = index, browser, base_url, stats, args
        self.deadline = deadline  # time.monotonic()
        self.context = self.page = None
        self.session_id: str | None = None
        self.closing = False  # a websocket closing now is expected (a reload, the end)
        self.last_run: str | None = None  # the newest run id this session has seen on the train page
        self.active_run: str | None = None  # a run this session started and has not seen end yet
        self.rng = random.Random(1000 + index)

    def left(self) -> float:
        return self.deadline - time.monotonic()

    @property
    def timeout_ms(self) -> float:
        return self.args.timeout * 1000.0

    async def run(self) -> None:
        self.context = await self.browser.new_context(viewport={"width": 1280, "height": 1000}, locale="es-ES")
        await self.context.add_init_script(PAGE_PROBE)
        self.page = await self.context.new_page()
        self.page.on("pageerror", lambda error: self.stats.error(self.index, "javascript", str(error)))
        self.page.on("websocket", self._watch_socket)
        try:
            await self._guard(self._open("explore"))
            while self.left() > 0:
                await self._guard(self._explore())
                if self.left() <= 0:
                    break
                await self._guard(self._train())
                if self.left() <= 0:
                    break
                await self._guard(self._switch("Explorar", EXPLORE_TITLE, LIVE_CAPTION))
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

    async def _guard(self, step) -> None:
        """Run one step; count what goes wrong and put the session back on its feet (a reload of Explorar)."""
        try:
            await step
            await self._check_exception()
        except Exception as exc:  # noqa: BLE001 - every failure is counted, the session goes on
            from playwright.async_api import TimeoutError as PlaywrightTimeout

            if isinstance(exc, SessionError):
                self.stats.error(self.index, exc.kind, exc.text)
            elif isinstance(exc, PlaywrightTimeout):
                self.stats.error(self.index, "timeout", str(exc).splitlines()[0])
            else:
                self.stats.error(self.index, "driver", f"{type(exc).__name__}: {str(exc).splitlines()[0][:200]}")
            await self._recover()

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
            await self.page.get_by_text(LIVE_CAPTION).wait_for(timeout=self.timeout_ms)
        else:
            await self.page.get_by_role("heading", name=TRAIN_TITLE).wait_for(timeout=self.timeout_ms)
        self.stats.navigation.append({"t": self.stats.now(), "session": self.index, "to": f"load {page_name}",
                                      "ms": round((time.monotonic() - started) * 1000.0, 1)})
        await self._learn_session_id()

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
        self.stats.navigation.append({"t": self.stats.now(), "session": self.index, "to": link,
                                      "ms": round((time.monotonic() - started) * 1000.0, 1)})

    # --- explorer -------------------------------------------------------------------------------------

    async def _explore(self) -> None:
        page = self.page
        await page.get_by_text(LIVE_CAPTION).wait_for(timeout=self.timeout_ms)
        sliders = page.locator('[data-testid="stMain"] input[type="range"][aria-label^="z["]')
        try:  # the image's caption can be drawn a moment before the sliders beside it
            await sliders.first.wait_for(timeout=10_000)
        except Exception:  # noqa: BLE001 - counted below
            pass
        count = await sliders.count()
        if not count:
            raise SessionError("explorer", "no latent slider on the page")
        for _ in range(self.rng.randint(self.args.moves_min, self.args.moves_max)):
            if self.left() <= 0:
                return
            await self._move_slider(sliders.nth(self.rng.randrange(count)))
            await asyncio.sleep(self.rng.uniform(*self.args.think))  # a person looks before moving again

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
                arg=before, polling=50, timeout=self.args.slider_timeout * 1000.0)
        except Exception:
            after = await slider.evaluate("(el) => Number(el.value)")
            raise SessionError("slider", f"no new image {self.args.slider_timeout:.0f} s after {key} "
                                         f"(value {value} -> {after})") from None
        probe = await page.evaluate("() => window.__load")
        self.stats.slider.append({"t": self.stats.now(), "session": self.index,
                                  "src_ms": round(probe["change"] - probe["key"], 1),
                                  "loaded_ms": round(probe["loaded"] - probe["key"], 1)})

    # --- training ------------------------------------------------------------------------------------

    async def _train(self) -> None:
        page = self.page
        await self._switch("Entrenar", TRAIN_TITLE)
        now = await page.evaluate(TRAIN_STATE)
        self.last_run = now["id"] or self.last_run
        epochs = page.get_by_role("spinbutton", name=EPOCHS_LABEL, exact=True)
        if not await epochs.is_visible():
            await page.get_by_test_id("stExpander").filter(has_text=FORM_EXPANDER).locator("summary").click(
                timeout=self.timeout_ms)
            await epochs.wait_for(state="visible", timeout=self.timeout_ms)
        for label, value in ((EPOCHS_LABEL, TRAINING["epochs"]), (MAX_IMAGES_LABEL, TRAINING["max_images"])):
            box = page.get_by_role("spinbutton", name=label, exact=True)
            if await box.input_value() != value:
                await box.fill(value)
                await box.press("Tab")
        pressed = time.monotonic()
        await page.get_by_test_id("stMain").get_by_role("button", name="Entrenar", exact=True).click(
            timeout=self.timeout_ms)
        record = {"t": self.stats.now(), "session": self.index, "run_id": None, "outcome": None,
                  "queue_wait_s": None, "position": None, "stop_s": None}
        self.stats.trainings.append(record)
        shown = await self._wait_new_run(["queued", "running", "paused", "finished", "stopped", "failed"])
        run_id = record["run_id"] = shown["id"]
        self.active_run = run_id
        self.last_run = run_id
        record["position"] = shown["position"]
        if shown["state"] == "queued":
            time_up = self.left() < self.args.queue_timeout
            budget = min(self.args.queue_timeout, max(self.left(), 0.0)) * 1000.0
            try:
                shown = await self._wait_same_run(run_id, ["running", "paused", "finished", "stopped", "failed"],
                                                  timeout=max(budget, 1.0))
            except Exception as exc:  # noqa: BLE001 - still queued: cancel it
                from playwright.async_api import TimeoutError as PlaywrightTimeout

                if not isinstance(exc, PlaywrightTimeout):
                    raise
                record["queue_wait_s"] = round(time.monotonic() - pressed, 2)
                record["outcome"] = "cancelled at the end" if time_up else "cancelled in the queue"
                await self._press_stop(record, run_id)
                return
        if shown["state"] in ("running", "paused", "finished"):
            record["queue_wait_s"] = round(time.monotonic() - pressed, 2)
        if shown["state"] == "failed":
            record["outcome"] = "failed"
            self.active_run = None
            raise SessionError("run failed", f"run {run_id} failed")
        if shown["state"] == "finished":
            record["outcome"] = "finished"
            self.active_run = None
            return
        watch = min(self.rng.uniform(*self.args.watch), max(self.left(), 0.0))
        try:  # watch it train; it may finish meanwhile
            shown = await self._wait_same_run(run_id, ["finished", "failed"], timeout=max(watch, 0.1) * 1000.0)
            record["outcome"] = shown["state"]
            self.active_run = None
            if shown["state"] == "failed":
                raise SessionError("run failed", f"run {run_id} failed")
            return
        except SessionError:
            raise
        except Exception as exc:  # noqa: BLE001
            from playwright.async_api import TimeoutError as PlaywrightTimeout

            if not isinstance(exc, PlaywrightTimeout):
                raise
        record["outcome"] = "stopped while running"
        await self._press_stop(record, run_id)

    async def _press_stop(self, record: dict, run_id: str) -> None:
        """Press Detener (again every 10 s while the run still shows as active) until the run has ended."""
        from playwright.async_api import TimeoutError as PlaywrightTimeout

        started = time.monotonic()
        stop = self.page.get_by_test_id("stMain").get_by_role("button", name="Detener", exact=True)
        pressed_at = None
        while True:
            now = await self.page.evaluate(TRAIN_STATE)
            if now["state"] == "exception":
                raise SessionError("exception", " | ".join(await self.page.evaluate(EXCEPTION_TEXT)))
            if now["id"] == run_id and now["state"] in ("stopped", "finished", "failed"):
                break
            if time.monotonic() - started > self.args.timeout:
                raise SessionError("timeout", f"run {run_id} still shows {now['state']} {self.args.timeout:.0f} s "
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
        if now["state"] == "finished" and record["outcome"] == "stopped while running":
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
                if not await self.page.get_by_role("heading", name=TRAIN_TITLE).is_visible():
                    await self._switch("Entrenar", TRAIN_TITLE)
                await self._stop_any()
            except Exception as exc:  # noqa: BLE001
                self.stats.error(self.index, "leaving", f"could not stop run {self.active_run}: "
                                                         f"{type(exc).__name__}: {str(exc).splitlines()[0][:200]}")
        self.closing = True
        try:
            await self.context.close()
        except Exception:  # noqa: BLE001
            pass


# --- the whole run ------------------------------------------------------------------------------------------

async def sample_memory(server: subprocess.Popen, stats: Stats, stop: asyncio.Event, every: float) -> None:
    import psutil

    process = psutil.Process(server.pid)
    process.cpu_percent(None)
    driver = psutil.Process()  # this script: its children are the Playwright driver and the browsers

    def cpu_seconds(members) -> float:
        total = 0.0
        for member in members:
            try:
                times = member.cpu_times()
                total += times.user + times.system
            except psutil.Error:  # a browser process that just exited
                pass
        return round(total, 1)

    while not stop.is_set():
        if server.poll() is not None:
            stats.error(-1, "server", f"streamlit exited with {server.returncode}")
            return
        try:
            members = [process, *process.children(recursive=True)]
            rss = sum(member.memory_info().rss for member in members)
            server_pids = {member.pid for member in members}
            browsers = [child for child in driver.children(recursive=True) if child.pid not in server_pids]
            # CPU seconds used so far by the server and by the simulated students' browsers (same 2 cores)
            stats.memory.append({"t": stats.now(), "rss_mb": round(rss / 2**20, 1),
                                 "cpu_percent": process.cpu_percent(None), "load": round(os.getloadavg()[0], 2),
                                 "server_cpu_s": cpu_seconds(members), "browsers_cpu_s": cpu_seconds(browsers)})
        except psutil.Error as exc:
            stats.error(-1, "server", f"cannot read its memory: {exc}")
        try:
            await asyncio.wait_for(stop.wait(), timeout=every)
        except asyncio.TimeoutError:
            pass


async def drive(args, base_url: str, server: subprocess.Popen, stats: Stats) -> None:
    from playwright.async_api import async_playwright

    chromium = shutil.which("chromium")
    if chromium is None:
        raise SystemExit("Debian's chromium is not installed (apt-get install chromium)")
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        # One unmeasured visit first: the server imports TensorFlow and loads the bundled generators.
        started = time.monotonic()
        context = await browser.new_context(locale="es-ES")
        page = await context.new_page()
        await page.goto(f"{base_url}/explore?lang=es", wait_until="domcontentloaded")
        await page.get_by_text(LIVE_CAPTION).wait_for(timeout=300_000)
        await context.close()
        stats.first_page_s = round(time.monotonic() - started, 1)
        print(f"first explorer page after start: {stats.first_page_s} s; now {args.sessions} sessions join over "
              f"{args.ramp:.0f} s and run for {args.minutes:g} min", flush=True)

        stats.t0 = time.monotonic()  # the clock of every figure starts here
        deadline = stats.t0 + args.minutes * 60.0
        stop_sampling = asyncio.Event()
        sampler = asyncio.create_task(sample_memory(server, stats, stop_sampling, args.sample_every))
        students = []
        for index in range(args.sessions):
            student = Student(index, browser, base_url, stats, args, deadline)
            students.append(asyncio.create_task(student.run()))
            if index < args.sessions - 1:
                await asyncio.sleep(args.ramp / max(args.sessions - 1, 1))
        progress = asyncio.create_task(report_progress(stats, deadline))
        await asyncio.gather(*students)
        progress.cancel()
        stop_sampling.set()
        await sampler
        await browser.close()


async def report_progress(stats: Stats, deadline: float) -> None:
    while time.monotonic() < deadline:
        await asyncio.sleep(60)
        memory = stats.memory[-1]["rss_mb"] if stats.memory else float("nan")
        loaded = [s["loaded_ms"] for s in stats.slider]
        print(f"  [{stats.now():5.0f} s] slider moves {len(loaded)} (p95 {percentile(loaded, 95):.0f} ms), "
              f"trainings {len(stats.trainings)}, errors {len(stats.errors)}, server {memory:.0f} MB", flush=True)


def memory_levels(stats: Stats, args) -> dict:
    """Warm-up level: the highest RSS in the minute after `--warmup` minutes (or the same share of a shorter run);
    end level: the highest RSS in the run's last minute (or share). Growth: end over warm-up."""
    samples = stats.memory
    total = args.minutes * 60.0
    window = min(60.0, total * 0.2)
    warm_from = min(args.warmup * 60.0, total * 0.4)
    warm = [s["rss_mb"] for s in samples if warm_from <= s["t"] < warm_from + window]
    end = [s["rss_mb"] for s in samples if s["t"] >= total - window]
    if not warm or not end:
        return {}
    warm_level, end_level = max(warm), max(end)
    return {"warmup_window_s": [warm_from, warm_from + window], "end_window_s": [total - window, total],
            "warmup_mb": warm_level, "end_mb": end_level, "growth": (end_level - warm_level) / warm_level,
            "peak_mb": max(s["rss_mb"] for s in samples), "start_mb": samples[0]["rss_mb"]}


def summarise(stats: Stats, args, tracebacks: list[str], slots: int) -> dict:
    loaded = [s["loaded_ms"] for s in stats.slider]
    src = [s["src_ms"] for s in stats.slider]
    # Waits of runs cancelled after --queue-timeout are lower bounds: they count, and a percentile that lands on
    # one is printed as ">=".
    waits = [t["queue_wait_s"] for t in stats.trainings if t["queue_wait_s"] is not None and
             t["outcome"] != "cancelled at the end"]
    censored = [t["queue_wait_s"] for t in stats.trainings if t["outcome"] == "cancelled in the queue"]
    outcomes = {}
    for training in stats.trainings:
        outcomes[training["outcome"] or "unfinished"] = outcomes.get(training["outcome"] or "unfinished", 0) + 1
    switches = [n["ms"] for n in stats.navigation if not n["to"].startswith("load ")]
    errors = len(stats.errors) + len(tracebacks)
    memory = memory_levels(stats, args)
    slider_p95 = percentile(loaded, 95)
    cpu = {}
    if len(stats.memory) >= 2:  # the machine's cores, shared out between the server and the browsers
        # Totals only grow while their processes live; browsers that closed at the end take theirs with them,
        # so each total is read at its highest.
        first, last = stats.memory[0], stats.memory[-1]
        capacity = (last["t"] - first["t"]) * (os.cpu_count() or 1)
        if capacity > 0:
            cpu = {who: (max(s[f"{who}_cpu_s"] for s in stats.memory) - first[f"{who}_cpu_s"]) / capacity
                   for who in ("server", "browsers")}
            cpu["load_average"] = statistics.median(s["load"] for s in stats.memory)
    return {
        "sessions": args.sessions, "minutes": args.minutes, "slots": slots,
        "slider_moves": len(loaded),
        "slider_loaded_ms": {"p50": percentile(loaded, 50), "p95": slider_p95, "max": max(loaded, default=math.nan)},
        "slider_src_ms": {"p50": percentile(src, 50), "p95": percentile(src, 95), "max": max(src, default=math.nan)},
        "queue_wait_s": {"n": len(waits), "p50": percentile(waits, 50), "p95": percentile(waits, 95),
                         "max": max(waits, default=math.nan), "censored": len(censored),
                         "censored_from": min(censored, default=math.nan)},
        "trainings": {"started": len(stats.trainings), **outcomes},
        "stop_s": {"p50": percentile([t["stop_s"] for t in stats.trainings if t["stop_s"] is not None], 50),
                   "p95": percentile([t["stop_s"] for t in stats.trainings if t["stop_s"] is not None], 95)},
        "page_switch_ms": {"p50": percentile(switches, 50), "p95": percentile(switches, 95)},
        "errors": errors, "memory": memory, "cpu_share": cpu,
        "pass": {"errors": errors == 0, "memory": bool(memory) and memory["growth"] < MEMORY_GROWTH_BAR,
                 "slider": bool(loaded) and slider_p95 <= SLIDER_BAR_MS},
    }


def report(stats: Stats, args, summary: dict, tracebacks: list[str]) -> None:
    s = summary
    print()
    print(f"sessions: {s['sessions']}, for {s['minutes']:g} min (joining over {args.ramp:.0f} s); training slots on "
          f"the server: {s['slots']}; first page after start {stats.first_page_s} s")
    print(f"slider response, key press -> new image loaded: {s['slider_moves']} moves; p50 "
          f"{s['slider_loaded_ms']['p50']:.0f} ms, p95 {s['slider_loaded_ms']['p95']:.0f} ms, max "
          f"{s['slider_loaded_ms']['max']:.0f} ms (new src alone: p50 {s['slider_src_ms']['p50']:.0f} ms, "
          f"p95 {s['slider_src_ms']['p95']:.0f} ms)")
    print(f"page switch through the sidebar (click -> page drawn): p50 {s['page_switch_ms']['p50']:.0f} ms, "
          f"p95 {s['page_switch_ms']['p95']:.0f} ms")
    t = s["trainings"]
    others = ", ".join(f"{k} {v}" for k, v in t.items() if k != "started")
    print(f"trainings started: {t['started']} ({others or 'none ended'})")
    q = s["queue_wait_s"]

    def wait(value):  # a percentile that lands on a cancelled run's wait is only a lower bound
        return f"{'>= ' if q['censored'] and value >= q['censored_from'] else ''}{value:.1f} s"

    print(f"queue wait, Entrenar pressed -> page shows it running: {q['n']} runs; p50 {wait(q['p50'])}, "
          f"p95 {wait(q['p95'])}, max {wait(q['max'])} (still queued after {args.queue_timeout:.0f} s and cancelled: "
          f"{q['censored']}; cancelled when time was up, not counted: {t.get('cancelled at the end', 0)})")
    print(f"Detener pressed -> page shows it stopped: p50 {s['stop_s']['p50']:.1f} s, p95 {s['stop_s']['p95']:.1f} s")
    print(f"errors: {s['errors']}")
    kinds = {}
    for error in stats.errors:
        kinds[error["kind"]] = kinds.get(error["kind"], 0) + 1
    if tracebacks:
        kinds["server traceback"] = len(tracebacks)
    if kinds:
        print("  by kind: " + ", ".join(f"{k} {v}" for k, v in kinds.items()))
    for error in stats.errors[:15]:
        print(f"  [{error['t']:7.1f} s] session {error['session']}: {error['kind']}: {error['text'][:240]}")
    for line in tracebacks[:10]:
        print(f"  server traceback: {line[:300]}")
    m = s["memory"]
    if m:
        print(f"server memory (RSS, streamlit and children): at start {m['start_mb']:.0f} MB; warm-up level (max over "
              f"{m['warmup_window_s'][0]:.0f}-{m['warmup_window_s'][1]:.0f} s) {m['warmup_mb']:.0f} MB; end level "
              f"(max over {m['end_window_s'][0]:.0f}-{m['end_window_s'][1]:.0f} s) {m['end_mb']:.0f} MB; growth "
              f"{m['growth']:+.1%}; peak {m['peak_mb']:.0f} MB")
        step = max(1, int(round(30.0 / args.sample_every)))
        print("  over time (s: MB): " + ", ".join(f"{x['t']:.0f}: {x['rss_mb']:.0f}" for x in stats.memory[::step]))
    else:
        print("server memory: too few samples")
    if s["cpu_share"]:
        print(f"CPU, share of all {os.cpu_count()} cores over the run: server (app and trainings) "
              f"{s['cpu_share']['server']:.0%}, browsers and Playwright {s['cpu_share']['browsers']:.0%}; "
              f"median load average {s['cpu_share']['load_average']:.1f}")
    passed = s["pass"]
    verdict = "PASS" if all(passed.values()) else "FAIL"
    growth = f"{m['growth']:+.1%}" if m else "n/a"
    print(f"verdict vs issue #8: {verdict} (errors {s['errors']} == 0: {'yes' if passed['errors'] else 'no'}; "
          f"memory growth {growth} < {MEMORY_GROWTH_BAR:.0%}: {'yes' if passed['memory'] else 'no'}; slider p95 "
          f"{s['slider_loaded_ms']['p95']:.0f} ms <= {SLIDER_BAR_MS:.0f} ms: {'yes' if passed['slider'] else 'no'})",
          flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, default=30, help="browser sessions (students), default 30")
    parser.add_argument("--minutes", type=float, default=10.0, help="how long they work, default 10")
    parser.add_argument("--port", type=int, default=0, help="the server's port (default: a free one)")
    parser.add_argument("--out", type=Path, default=None,
                        help="JSON with every raw sample (default /tmp/gan-load-<time>.json; the server's log beside it)")
    parser.add_argument("--ramp", type=float, default=None, help="seconds over which sessions join (default 2 s each, "
                                                                  "at most 60)")
    parser.add_argument("--warmup", type=float, default=2.0, help="minutes before the memory warm-up window")
    parser.add_argument("--queue-timeout", type=float, default=120.0,
                        help="seconds a session waits for its queued run before cancelling it")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds a page may take to answer")
    parser.add_argument("--slider-timeout", type=float, default=20.0, help="seconds for a new image after a key")
    parser.add_argument("--sample-every", type=float, default=5.0, help="seconds between memory samples")
    args = parser.parse_args()
    args.ramp = min(60.0, 2.0 * args.sessions) if args.ramp is None else args.ramp
    args.moves_min, args.moves_max = 3, 6  # slider moves per visit to Explorar
    args.think = (1.0, 3.0)  # seconds between two moves
    args.watch = (4.0, 8.0)  # seconds a running training is watched before Detener
    stamp = time.strftime("%Y%m%d-%H%M%S")
    out = args.out or Path(tempfile.gettempdir()) / f"gan-load-{stamp}.json"
    log_path = out.with_suffix(".server.log")

    from bench.common import header

    header(f"Load test: {args.sessions} browser sessions for {args.minutes:g} min")
    sessions_dir = Path(tempfile.mkdtemp(prefix="gan-load-sessions-"))
    env = server_env(sessions_dir)
    os.environ.update({k: v for k, v in env.items() if k.startswith("GAN_")})
    from gan_core.server.scheduler import default_slots

    slots = default_slots()
    port = args.port or free_port()
    stats = Stats()
    print(f"server: streamlit run app.py on 127.0.0.1:{port}, sessions in {sessions_dir}, log in {log_path}", flush=True)
    server = start_server(port, env, log_path)
    try:
        asyncio.run(drive(args, f"http://127.0.0.1:{port}", server, stats))
        for run_id, state in left_active(sessions_dir):
            stats.error(-1, "left active", f"run {run_id} still {state} after every session ended")
    finally:
        stop_server(server)
        shutil.rmtree(sessions_dir, ignore_errors=True)
    tracebacks = server_tracebacks(log_path)
    summary = summarise(stats, args, tracebacks, slots)
    report(stats, args, summary, tracebacks)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({
        "args": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
        "summary": summary, "first_page_s": stats.first_page_s, "server_tracebacks": tracebacks,
        "slider": stats.slider, "navigation": stats.navigation, "trainings": stats.trainings,
        "errors": stats.errors, "memory": stats.memory,
    }, indent=1, default=float))
    print(f"raw samples: {out}; server log: {log_path}")


if __name__ == "__main__":
    main()
