"""A training beside the explorer: how long a slider's answer takes while a run trains at each CPU priority, side by
side in one run, and how much CPU the training still gets.

One app server (no training in it) with students moving the explorer's latent sliders: `--clients` protocol clients
(bench/st_client.py: the server's answer) and `--browsers` headless Chromiums (the new image loaded, on the page's own
clock, with bench/load_browser.py's probe). Beside it one training process (`python -m gan_core train`, the worker's
nice, TensorFlow's threads on every core) whose threads this script moves between the priorities below every
`--segment` seconds, A B A B..., so the machine's other load falls on both alike:

- `nice`: every thread at nice GAN_WORKER_NICE (5), as the app's training worker runs;
- `idle`: every thread in Linux's SCHED_IDLE class (training only on the CPU the pages and browsers leave), the
  candidate this measures (bench/RESULTS.md: no gain measured, so the worker stays at its nice).

Moving a running process's threads back from SCHED_IDLE needs CAP_SYS_NICE (run it as root, or in a container that
has it).

    python3 -m bench.training_priority --clients 10 --browsers 1 --segment 30 --rounds 3
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.app_server import free_port, server_env, start_server, stop_server
from bench.common import header
from bench.load_browser import CHROMIUM_ARGS, PAGE_PROBE
from bench.load_common import percentile
from bench.load_test import cpu_seconds, tree
from bench.st_client import Page

ROOT = Path(__file__).resolve().parents[1]
POLICIES = ("nice", "idle")
NICE = 5
CAPTION = "La imagen de este punto"  # the live image's caption in Spanish (texts.toml explore.image_caption)


def set_priority(pid: int, policy: str) -> None:
    """Every thread of the training process in `policy` (threads are scheduled one by one on Linux)."""
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            if policy == "idle":
                os.sched_setscheduler(int(tid), os.SCHED_IDLE, os.sched_param(0))
            else:
                os.sched_setscheduler(int(tid), os.SCHED_OTHER, os.sched_param(0))
                os.setpriority(os.PRIO_PROCESS, int(tid), NICE)
        except (ProcessLookupError, FileNotFoundError):
            pass  # a thread that just ended


class Segments:
    """Which priority the training has now; each sample is filed under the one it started in."""

    def __init__(self):
        self.policy: str | None = None  # None while the students warm up (their samples are not kept)
        self.ready: set[str] = set()  # students who have had a first answer
        self.done = False
        self.samples: dict[str, dict[str, list[float]]] = {p: {"server": [], "browser": []} for p in POLICIES}
        self.train_cpu: dict[str, float] = dict.fromkeys(POLICIES, 0.0)
        self.seconds: dict[str, float] = dict.fromkeys(POLICIES, 0.0)


def keep(segments: Segments, student: str, policy: str | None, kind: str, ms: float) -> None:
    segments.ready.add(student)
    if policy is not None and policy == segments.policy:  # not a sample that spans a change of priority
        segments.samples[policy][kind].append(ms)


async def protocol_student(url: str, index: int, segments: Segments) -> None:
    rng = random.Random(index)
    page = Page(url, "lang=es")
    await page.open("explore")
    try:
        while not segments.done:
            sliders = [wid for wid, (kind, element, _) in page.widgets.items()
                       if kind == "slider" and element.label.startswith("z[")]
            if not sliders:
                await page.rerun()
                continue
            widget_id = rng.choice(sliders)
            element = page.widgets[widget_id][1]
            value = (list(element.value) or list(element.default) or [0.0])[0]
            value = value - 0.05 if value > 0 else value + 0.05
            policy = segments.policy
            page.mark_images()
            sent = time.perf_counter()
            await page.set_values({widget_id: round(value, 4)})
            if page.image_at is not None:
                keep(segments, f"p{index}", policy, "server", (page.image_at - sent) * 1000)
            element.value[:] = [value]
            await asyncio.sleep(rng.uniform(0.3, 1.0))
    finally:
        await page.close()


async def browser_student(url: str, browser, index: int, segments: Segments) -> None:
    rng = random.Random(1000 + index)
    page = await browser.new_page(viewport={"width": 1280, "height": 1600}, locale="es-ES")
    await page.add_init_script(PAGE_PROBE.replace("CAPTION", json.dumps(CAPTION)))
    await page.goto(f"{url}/explore?lang=es", wait_until="domcontentloaded", timeout=120_000)
    sliders = page.locator('[data-testid="stMain"] input[type="range"][aria-label^="z["]')
    await sliders.first.wait_for(timeout=120_000)
    count = await sliders.count()
    while not segments.done:
        slider = sliders.nth(rng.randrange(count))
        value = await slider.evaluate("(el) => Number(el.value)")
        before = await page.evaluate("() => window.__load.change")
        policy = segments.policy
        await slider.focus()
        await slider.press("ArrowLeft" if value > 0 else "ArrowRight")
        await page.wait_for_function(
            "(before) => window.__load.change > before && window.__load.change >= window.__load.key"
            " && window.__load.loaded >= window.__load.change", arg=before, polling=50, timeout=30_000)
        probe = await page.evaluate("() => window.__load")
        keep(segments, f"b{index}", policy, "browser", probe["loaded"] - probe["key"])
        await asyncio.sleep(rng.uniform(0.3, 1.0))
    await page.close()


async def switcher(pid: int, segments: Segments, seconds: float, rounds: int, students: int) -> None:
    while len(segments.ready) < students:  # every page open and answering once
        await asyncio.sleep(0.5)
    for _ in range(rounds):
        for policy in POLICIES:
            set_priority(pid, policy)
            segments.policy = policy
            started, cpu = time.monotonic(), cpu_seconds(tree(pid)[:1])
            await asyncio.sleep(seconds)
            set_priority(pid, policy)  # threads the training started meanwhile (its input pipeline's)
            segments.train_cpu[policy] += cpu_seconds(tree(pid)[:1]) - cpu
            segments.seconds[policy] += time.monotonic() - started
    segments.done = True


async def measure(url: str, pid: int, args) -> Segments:
    from playwright.async_api import async_playwright

    segments = Segments()
    async with async_playwright() as playwright:
        browser = None
        if args.browsers:
            browser = await playwright.chromium.launch(executable_path=shutil.which("chromium"), args=CHROMIUM_ARGS)
        tasks = [protocol_student(url, index, segments) for index in range(args.clients)]
        tasks += [browser_student(url, browser, index, segments) for index in range(args.browsers)]
        await asyncio.gather(switcher(pid, segments, args.segment, args.rounds, args.clients + args.browsers), *tasks)
        if browser:
            await browser.close()
    return segments


def row(values: list[float]) -> str:
    if not values:
        return "n 0"
    return f"{statistics.median(values):.0f} / {percentile(values, 95):.0f} ms (n {len(values)})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=10)
    parser.add_argument("--browsers", type=int, default=1)
    parser.add_argument("--segment", type=float, default=30.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--preset", default="fast-rgb")
    parser.add_argument("--dataset", default="cifar_animals")
    args = parser.parse_args()
    header("training priority: a slider's answer beside a training, nice 5 against SCHED_IDLE")
    folder = Path(tempfile.mkdtemp(prefix="gan-priority-"))
    port = free_port()
    # the live image drawn by the server (its sliders rerun there): what this measures is the server's answer
    server = start_server(port, {**server_env(folder / "sessions"), "GAN_LIVE_IMAGE": "server"}, folder / "server.log")
    url = f"http://127.0.0.1:{port}"
    training = subprocess.Popen(
        [sys.executable, "-m", "gan_core", "train", "--preset", args.preset, "--dataset", args.dataset,
         "--epochs", "10000", "--out", str(folder / "run")],
        cwd=ROOT, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL, preexec_fn=lambda: os.nice(NICE))
    try:
        while not (folder / "run" / "metrics.jsonl").is_file():  # the training's first steps: it trains now
            if training.poll() is not None:
                raise SystemExit(f"the training process ended ({training.returncode}) before its first steps")
            time.sleep(0.5)
        segments = asyncio.run(measure(url, training.pid, args))
    finally:
        training.kill()
        stop_server(server)
        shutil.rmtree(folder, ignore_errors=True)
    print(f"{args.clients} protocol clients, {args.browsers} Chromium(s), {args.rounds} rounds of "
          f"{args.segment:.0f} s per priority; load now {os.getloadavg()[0]:.2f}")
    print("| training at | server's answer p50 / p95 | in Chromium p50 / p95 | training's CPU, cores |")
    print("| --- | --- | --- | --- |")
    for policy in POLICIES:
        samples = segments.samples[policy]
        cores = segments.train_cpu[policy] / max(segments.seconds[policy], 1e-9)
        print(f"| {policy} | {row(samples['server'])} | {row(samples['browser'])} | {cores:.2f} |")


if __name__ == "__main__":
    main()
