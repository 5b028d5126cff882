"""Playground latency: how long the 2-D playground takes to answer a control change in a real browser, mid-run.

Starts `streamlit run app.py`, opens /playground in headless Chromium, presses Play, and while it trains moves the
D learning-rate slider one notch (arrow keys, alternately right and left) `--changes` times. Each change is timed
from the key press to the page showing the new value (as pending or as applied at a step), measured inside the
browser (performance.now, polled every animation frame): what a student sees, the page's rerun, the engine taking the
change and the redraw. Then the same change through AppTest, in this process, times the page's own script run (the
server's share, without the browser and the network).
`python -m bench.playground_latency [--changes 20]`
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.app_server import (  # noqa: E402
    CHROMIUM_FLAGS,
    free_port,
    server_env,
    start_server,
    stop_server,
)
from bench.common import header  # noqa: E402

LABEL = "Tasa de aprendizaje de D"
RATES = ("0.002", "0.003")  # one notch apart on the slider
# Resolves with the milliseconds from the click to a caption saying "LABEL = value" that was not there before (an
# earlier change to the same value stays listed with the step it applied at).
TIMED_CLICK = """async ([selector, wanted, key]) => {
    const captions = () => [...document.querySelectorAll('[data-testid="stCaptionContainer"]')].map(c => c.innerText);
    const before = new Set(captions());
    const target = document.querySelector(selector);
    if (key) target.focus();
    const started = performance.now();
    if (key) target.dispatchEvent(new KeyboardEvent('keydown', {key: key, code: key, bubbles: true}));
    else target.click();
    return await new Promise(resolve => {
        const look = () => {
            const shown = captions().some(text => text.includes(wanted) && !before.has(text));
            if (shown) resolve(performance.now() - started); else requestAnimationFrame(look);
        };
        look();
    });
}"""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--changes", type=int, default=20)
    args = parser.parse_args()
    header("Playground: control change to the page's answer, in headless Chromium, while training")
    from playwright.sync_api import sync_playwright

    sessions = Path(tempfile.mkdtemp(prefix="playground-bench-"))
    port = free_port()
    server = start_server(port, server_env(sessions), sessions / "server.log")
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=shutil.which("chromium"), args=CHROMIUM_FLAGS)
            page = browser.new_page(viewport={"width": 1500, "height": 1500}, locale="es-ES")
            page.goto(f"http://127.0.0.1:{port}/playground")
            page.get_by_role("button", name="Entrenar", exact=True).wait_for(timeout=120_000)
            page.wait_for_function("() => [...document.querySelectorAll('.js-plotly-plot')].some(p => p._fullData "
                                   "&& p._fullData.some(t => t.type === 'heatmap'))", timeout=120_000)
            page.get_by_role("button", name="Entrenar", exact=True).click()
            page.get_by_role("button", name="Pausa", exact=True).wait_for(timeout=60_000)
            page.get_by_role("slider").nth(1).evaluate("e => e.setAttribute('data-bench', 'd_lr')")
            times = []
            for index in range(args.changes):
                page.wait_for_timeout(400)  # let the previous change settle, so each is timed on its own
                key, value = ("ArrowRight", RATES[1]) if index % 2 == 0 else ("ArrowLeft", RATES[0])
                elapsed = page.evaluate(TIMED_CLICK, ["[data-bench='d_lr']", f"{LABEL} = {value}", key])
                times.append(elapsed / 1000)
            step = page.locator('[data-testid="stMetric"]').filter(has_text="Paso").first.inner_text()
            browser.close()
    finally:
        stop_server(server)
        shutil.rmtree(sessions, ignore_errors=True)
    print(f"browser: {len(times)} changes of D's learning rate while training ({step.split()[-1]} steps by the end)")
    _report("key press to the new value on the page", times)
    _report("server: the page's script run after the change (AppTest)", _script_runs(args.changes))
    print(f"load average at the end {os.getloadavg()[0]:.2f}")


def _report(what: str, times: list[float]) -> None:
    times = sorted(times)
    p90 = times[min(len(times) - 1, int(round(0.9 * (len(times) - 1))))]
    print(f"{what}: median {statistics.median(times):.3f} s, p90 {p90:.3f} s, max {times[-1]:.3f} s, "
          f"under 0.2 s {sum(t < 0.2 for t in times)}/{len(times)}")


def _script_runs(changes: int) -> list[float]:
    from streamlit.testing.v1 import AppTest

    os.environ.setdefault("GAN_SESSIONS_DIR", tempfile.mkdtemp(prefix="playground-bench-"))
    at = AppTest.from_file(str(Path(__file__).resolve().parents[1] / "app.py"), default_timeout=90)
    at.run()
    at.switch_page("app_pages/playground.py").run()
    playground = at.session_state["pg.object"]
    playground.wait_idle(60)
    at.button(key="pg.play").click().run()
    at.run()  # the first full draw while playing: the figures' code paths warm
    times = []
    for index in range(changes):
        slider = at.select_slider(key="pg.d_lr").set_value(float(RATES[(index + 1) % 2]))
        started = time.perf_counter()
        slider.run()
        times.append(time.perf_counter() - started)
    playground.close()
    return times


if __name__ == "__main__":
    main()
