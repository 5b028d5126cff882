"""Playground latency: how long the 2-D playground takes to answer a control change in a real browser, mid-run,
for the code before (a git revision) and now, side by side in one run.

Starts `streamlit run app.py` for each version, opens /playground of each in one headless Chromium and, in rounds
that alternate between the versions (so both see the same load), presses Play and while it trains moves the D
learning-rate slider one notch (arrow keys, alternately right and left), then pauses. Each change is timed inside
the browser (performance.now, polled every animation frame) from the key press to:
- the answer: the page showing the new value (pending, or applied at a step), what a student sees first;
- applied: the page showing the step the new value took effect at.
Bytes are the websocket frames the page received in that window (the rerun's deltas, plus any live redraw that
landed in it). Then, per version in a child process, AppTest times a full script run after the same change
(the server's share without the browser; AppTest reruns the whole page, fragments or not).
`python -m bench.playground_latency [--changes 10] [--rounds 2] [--before REV]`
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.app_server import (  # noqa: E402
    CHROMIUM_FLAGS,
    ROOT,
    checkout,
    free_port,
    server_env,
    start_server,
    stop_server,
)
from bench.common import header  # noqa: E402

LABEL = "Tasa de aprendizaje de D"
APPLIED = "desde el paso"  # "{field} = {value} desde el paso {step}"
RATES = ("0.002", "0.003")  # one notch apart on the slider
# Resolves with [ms to a new caption saying "LABEL = value", ms to a new one saying it applied at a step]; a caption
# counts only if its text was not on the page before the key press (earlier changes stay listed with their step).
TIMED_KEY = """async ([selector, wanted, applied, key]) => {
    const captions = () => [...document.querySelectorAll('[data-testid="stCaptionContainer"]')].map(c => c.innerText);
    const before = new Set(captions());
    const target = document.querySelector(selector);
    target.focus();
    const started = performance.now();
    target.dispatchEvent(new KeyboardEvent('keydown', {key: key, code: key, bubbles: true}));
    let answer = null;
    return await new Promise(resolve => {
        const look = () => {
            const fresh = captions().filter(text => !before.has(text));
            if (answer === null && fresh.some(text => text.includes(wanted))) answer = performance.now() - started;
            if (answer !== null && fresh.some(text => text.includes(wanted + ' ' + applied))) {
                resolve([answer, performance.now() - started]);
            } else if (performance.now() - started > 20000) {
                resolve([answer, null]);
            } else requestAnimationFrame(look);
        };
        look();
    });
}"""
# The server's share: one full script run after the change, in AppTest, in the version's own tree.
SCRIPT_RUNS = """
import json, sys, tempfile, time
from streamlit.testing.v1 import AppTest
rates, changes = (0.002, 0.003), int(sys.argv[1])
at = AppTest.from_file("app.py", default_timeout=90)
at.run()
at.switch_page("app_pages/playground.py").run()
playground = at.session_state["pg.object"]
playground.wait_idle(60)
at.button(key="pg.play").click().run()
at.run()  # the first full draw while playing: the figures' code paths warm
times = []
for index in range(changes):
    slider = at.select_slider(key="pg.d_lr").set_value(rates[(index + 1) % 2])
    started = time.perf_counter()
    slider.run()
    times.append(time.perf_counter() - started)
playground.close()
print("@@" + json.dumps(times))
"""


class Version:
    """One tree of the app, its server, and its page in the shared browser."""

    def __init__(self, name: str, root: Path, sessions: Path):
        self.name, self.root = name, root
        self.sessions = sessions
        self.sessions.mkdir()
        self.port = free_port()
        self.server = start_server(self.port, server_env(self.sessions), self.sessions / "server.log", root=root)
        self.page = None
        self.received = 0  # websocket bytes the page has received
        self.answers, self.applied, self.bytes, self.steps = [], [], [], 0

    def open(self, browser) -> None:
        self.page = browser.new_page(viewport={"width": 1500, "height": 1500}, locale="es-ES")
        self.page.on("websocket", lambda socket: socket.on("framereceived", self._count))
        self.page.goto(f"http://127.0.0.1:{self.port}/playground")
        self.page.get_by_role("button", name="Entrenar", exact=True).wait_for(timeout=120_000)
        # the plane drawn: a Plotly heatmap before the ECharts plane (issue #26), its ECharts canvas after
        self.page.wait_for_function("() => [...document.querySelectorAll('.js-plotly-plot')].some(p => p._fullData "
                                    "&& p._fullData.some(t => t.type === 'heatmap')) "
                                    "|| !!document.querySelector('.st-key-pg-plane canvas')", timeout=120_000)
        self.page.get_by_role("slider").nth(1).evaluate("e => e.setAttribute('data-bench', 'd_lr')")

    def _count(self, payload) -> None:
        self.received += len(payload)

    def round(self, changes: int, offset: int) -> None:
        page = self.page
        page.get_by_role("button", name="Entrenar", exact=True).click()
        page.get_by_role("button", name="Pausa", exact=True).wait_for(timeout=60_000)
        page.wait_for_timeout(1000)  # training and redrawing, as a class would see it
        for index in range(offset, offset + changes):
            page.wait_for_timeout(400)  # let the previous change settle, so each is timed on its own
            key, value = ("ArrowRight", RATES[1]) if index % 2 == 0 else ("ArrowLeft", RATES[0])
            received = self.received
            answer, applied = page.evaluate(TIMED_KEY, ["[data-bench='d_lr']", f"{LABEL} = {value}", APPLIED, key])
            self.bytes.append(self.received - received)
            self.answers.append(answer / 1000 if answer is not None else float("inf"))
            self.applied.append(applied / 1000 if applied is not None else float("inf"))
        self.steps = page.locator('[data-testid="stMetric"]').filter(has_text="Paso").first.inner_text().split()[-1]
        page.get_by_role("button", name="Pausa", exact=True).click()
        page.get_by_role("button", name="Entrenar", exact=True).wait_for(timeout=60_000)

    def script_runs(self, changes: int) -> list[float]:
        env = {**os.environ, "GAN_SESSIONS_DIR": str(self.sessions / "apptest"), "GAN_NO_DOWNLOAD": "1",
               "PYTHONPATH": str(self.root)}
        done = subprocess.run([sys.executable, "-c", SCRIPT_RUNS, str(changes)], cwd=self.root, env=env,
                              capture_output=True, text=True, timeout=600, check=False)
        lines = [line for line in done.stdout.splitlines() if line.startswith("@@")]
        if not lines:
            raise RuntimeError(f"AppTest in {self.name} failed: {done.stderr[-2000:]}")
        return json.loads(lines[-1][2:])

    def close(self) -> None:
        stop_server(self.server)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--changes", type=int, default=10, help="changes per version per round")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--before", default="", help="git revision to compare with ('' for now only)")
    args = parser.parse_args()
    header("Playground: control change to the page's answer, in headless Chromium, while training")
    from playwright.sync_api import sync_playwright

    work = Path(tempfile.mkdtemp(prefix="playground-bench-"))
    trees = [("now", ROOT)]
    if args.before:
        trees.insert(0, (f"before ({args.before})", checkout(args.before, Path(tempfile.mkdtemp(dir=work)))))
    versions = []
    try:
        for index, (name, root) in enumerate(trees):
            versions.append(Version(name, root, work / f"sessions-{index}"))
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=shutil.which("chromium"), args=CHROMIUM_FLAGS)
            for version in versions:
                version.open(browser)
            for round_ in range(args.rounds):
                for version in versions if round_ % 2 == 0 else versions[::-1]:
                    print(f"round {round_ + 1}: {version.name} ...", flush=True)
                    version.round(args.changes, round_ * args.changes)
            browser.close()
        script = {version.name: version.script_runs(args.changes * args.rounds) for version in versions}
    finally:
        for version in versions:
            version.close()
        shutil.rmtree(work, ignore_errors=True)
    total = args.changes * args.rounds
    print(f"{total} changes of D's learning rate per version while training, {args.rounds} alternating rounds")
    print(f"{'':58s}" + "".join(f"{v.name:>26s}" for v in versions))
    rows = [("browser: key press to the answer on the page, median", [_median(v.answers) for v in versions]),
            ("browser: p90", [_p90(v.answers) for v in versions]),
            ("browser: under 0.2 s", [f"{sum(t < 0.2 for t in v.answers)}/{len(v.answers)}" for v in versions]),
            ("browser: key press to 'applied at step N', median", [_median(v.applied) for v in versions]),
            ("websocket bytes received in the answer window, median", [_median(v.bytes, 0) for v in versions]),
            ("server: full script run after the change (AppTest), median", [_median(script[v.name]) for v in versions]),
            ("server: p90", [_p90(script[v.name]) for v in versions]),
            ("steps trained by the end", [v.steps for v in versions])]
    for label, values in rows:
        print(f"{label:58s}" + "".join(f"{value:>26}" for value in values))
    if len(versions) == 2:
        old, new = statistics.median(versions[0].answers), statistics.median(versions[1].answers)
        print(f"browser answer, median before / now = {old / new:.2f}x")
    print(f"load average at the end {os.getloadavg()[0]:.2f} (1 min), {os.getloadavg()[1]:.2f} (5 min)")


def _median(values, digits: int = 3) -> str:
    return f"{statistics.median(values):.{digits}f}" + (" s" if digits else "")


def _p90(values) -> str:
    values = sorted(values)
    return f"{values[min(len(values) - 1, round(0.9 * (len(values) - 1)))]:.3f} s"


if __name__ == "__main__":
    main()
