"""Load test: N real browser sessions (Playwright, Debian's chromium) against a local app for M minutes.

Each session moves explorer sliders (timing how long until the new image shows) and, now and then,
starts a short training and stops it (timing its wait in the queue). Reports p50/p95 response,
errors, queue waits and the server's memory over time (RSS sampled with psutil).

    python bench/load_test.py --sessions 30 --minutes 10

Traffic goes only to 127.0.0.1, to a server this script starts and stops itself.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

CHROMIUM_ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-component-update",
                 "--disable-gpu", "--disable-dev-shm-usage"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(port: int, sessions_dir: Path) -> subprocess.Popen:
    env = {**os.environ, "GAN_SESSIONS_DIR": str(sessions_dir), "TF_CPP_MIN_LOG_LEVEL": "3"}
    process = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"), "--server.headless", "true",
         "--server.port", str(port), "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as reply:
                if reply.read() == b"ok":
                    return process
        except OSError:
            time.sleep(0.5)
    process.kill()
    raise RuntimeError("the app did not start")


class Stats:
    def __init__(self):
        self.slider_ms: list[float] = []
        self.queue_wait_s: list[float] = []
        self.trainings = 0
        self.errors: list[str] = []
        self.memory: list[tuple[float, float]] = []  # (seconds since start, MB)


async def live_image_src(page) -> str | None:
    return await page.evaluate(
        """() => { const img = document.querySelector('[data-testid="stImage"] img');
                   return img ? img.getAttribute('src') : null; }""")


async def move_slider(page, stats: Stats) -> None:
    sliders = page.get_by_role("slider")
    count = await sliders.count()
    if not count:
        raise RuntimeError("no slider on the explore page")
    slider = sliders.nth(random.randrange(min(count, 8)))
    before = await live_image_src(page)
    started = time.perf_counter()
    await slider.focus()
    await page.keyboard.press(random.choice(["ArrowRight", "ArrowLeft"]) if random.random() < 0.5 else "PageUp")
    await page.wait_for_function(
        """(before) => { const img = document.querySelector('[data-testid="stImage"] img');
                         return img && img.getAttribute('src') !== before; }""", arg=before, timeout=15000)
    stats.slider_ms.append((time.perf_counter() - started) * 1000.0)


async def short_training(page, base_url: str, stats: Stats) -> None:
    """Start the quickest training the form allows and stop it once it runs (or leave the queue)."""
    await page.goto(f"{base_url}/train", wait_until="domcontentloaded")
    start_button = page.get_by_test_id("stBaseButton-primaryFormSubmit").first
    await start_button.wait_for(timeout=30000)
    queued_at = time.perf_counter()
    await start_button.click()
    stop = page.get_by_role("button", name="Detener")
    await stop.first.wait_for(timeout=60000)
    running = page.get_by_text("entrenando", exact=False)
    try:
        await running.first.wait_for(timeout=120000)
        stats.queue_wait_s.append(time.perf_counter() - queued_at)
    except Exception:  # noqa: BLE001 - still queued after two minutes: cancel it, count the wait anyway
        stats.queue_wait_s.append(time.perf_counter() - queued_at)
    await stop.first.click()
    stats.trainings += 1


async def session(browser, base_url: str, deadline: float, stats: Stats, index: int, train_every: float) -> None:
    context = await browser.new_context(viewport={"width": 1280, "height": 900})
    page = await context.new_page()
    page.on("pageerror", lambda error: stats.errors.append(f"session {index}: page error {error}"))
    next_training = time.time() + random.uniform(10, train_every)
    try:
        await page.goto(f"{base_url}/explore", wait_until="domcontentloaded")
        await page.get_by_role("slider").first.wait_for(timeout=120000)
        while time.time() < deadline:
            try:
                if train_every and time.time() > next_training:
                    await short_training(page, base_url, stats)
                    next_training = time.time() + train_every
                    await page.goto(f"{base_url}/explore", wait_until="domcontentloaded")
                    await page.get_by_role("slider").first.wait_for(timeout=120000)
                await move_slider(page, stats)
                if await page.get_by_test_id("stException").count():
                    stats.errors.append(f"session {index}: exception shown on the page")
            except Exception as exc:  # noqa: BLE001 - every failure is counted, the session goes on
                stats.errors.append(f"session {index}: {type(exc).__name__}: {str(exc)[:120]}")
            await asyncio.sleep(random.uniform(1.0, 3.0))  # a person looks before moving again
    finally:
        await context.close()


async def sample_memory(pid: int, started: float, deadline: float, stats: Stats) -> None:
    import psutil

    process = psutil.Process(pid)
    while time.time() < deadline:
        rss = process.memory_info().rss + sum(c.memory_info().rss for c in process.children(recursive=True))
        stats.memory.append((time.time() - started, rss / 1e6))
        await asyncio.sleep(5)


def percentile(values, q) -> float:
    import numpy as np

    return float(np.percentile(values, q)) if values else float("nan")


async def main_async(args) -> Stats:
    from playwright.async_api import async_playwright

    port = free_port()
    sessions_dir = Path(tempfile.mkdtemp(prefix="gan-load-"))
    server = start_server(port, sessions_dir)
    base_url = f"http://127.0.0.1:{port}"
    stats = Stats()
    started = time.time()
    deadline = started + args.minutes * 60
    try:
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(executable_path=shutil.which("chromium"), args=CHROMIUM_ARGS)
            tasks = [asyncio.create_task(sample_memory(server.pid, started, deadline, stats))]
            for index in range(args.sessions):
                tasks.append(asyncio.create_task(session(browser, base_url, deadline, stats, index, args.train_every)))
                await asyncio.sleep(args.ramp / max(args.sessions, 1))
            await asyncio.gather(*tasks)
            await browser.close()
    finally:
        server.terminate()
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            server.kill()
        shutil.rmtree(sessions_dir, ignore_errors=True)
    return stats


def report(stats: Stats, args) -> None:
    from bench.common import header

    header(f"Load test: {args.sessions} browser sessions for {args.minutes} min")
    print(f"slider responses: {len(stats.slider_ms)}; p50 {percentile(stats.slider_ms, 50):.0f} ms, "
          f"p95 {percentile(stats.slider_ms, 95):.0f} ms, p99 {percentile(stats.slider_ms, 99):.0f} ms")
    print(f"trainings started and stopped: {stats.trainings}; queue wait p50 {percentile(stats.queue_wait_s, 50):.1f} s, "
          f"p95 {percentile(stats.queue_wait_s, 95):.1f} s")
    print(f"errors: {len(stats.errors)}")
    for error in stats.errors[:10]:
        print(f"  {error}")
    if stats.memory:
        warm = [mb for t, mb in stats.memory if t >= args.warmup * 60] or [stats.memory[-1][1]]
        first, last, peak = warm[0], stats.memory[-1][1], max(mb for _, mb in stats.memory)
        print(f"server memory: after warm-up {first:.0f} MB, at the end {last:.0f} MB "
              f"({(last - first) / first:+.1%}), peak {peak:.0f} MB")
        print("memory over time (s: MB): " + ", ".join(f"{t:.0f}: {mb:.0f}" for t, mb in stats.memory[::12]))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sessions", type=int, default=30)
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--warmup", type=float, default=2.0, help="minutes before the memory baseline")
    parser.add_argument("--ramp", type=float, default=30.0, help="seconds over which sessions join")
    parser.add_argument("--train-every", type=float, default=180.0, help="seconds between a session's trainings (0: none)")
    args = parser.parse_args()
    stats = asyncio.run(main_async(args))
    report(stats, args)


if __name__ == "__main__":
    main()
