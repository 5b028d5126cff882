"""What an open live page costs the server: N viewers on one run, server CPU per viewer while the run trains and
while it is paused, for the code before (a git revision) and now, side by side.

    python -m bench.live_cost --viewers 8 --seconds 20 --warmup 60 --before main

Viewers are lean protocol clients (bench/st_client.py) that honour the page's fragment timers like a browser,
so the figures are the server's alone. Per viewer = (server CPU with N viewers - with none) / N, in cores.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import tempfile
import time
from pathlib import Path

import psutil

from bench.app_server import ROOT, free_port, healthy, stop_server, versions
from bench.common import header
from bench.st_client import Page


def start(root: Path, sessions: Path, port: int, log: Path) -> subprocess.Popen:
    env = {**os.environ, "GAN_SESSIONS_DIR": str(sessions), "GAN_NO_DOWNLOAD": "1", "TF_CPP_MIN_LOG_LEVEL": "2",
           "GAN_DATA_DIR": os.environ.get("GAN_DATA_DIR", str((ROOT.parent / "shared" / "datasets").resolve())),
           "GAN_TF_THREADS": "1"}
    with open(log, "w") as out:
        process = subprocess.Popen(
            ["python3", "-m", "streamlit", "run", "app.py", "--server.headless", "true", "--server.port", str(port),
             "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false",
             "--server.fileWatcherType", "none"], cwd=root, env=env, stdout=out, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 180
    while not healthy(f"http://127.0.0.1:{port}"):
        if process.poll() is not None or time.monotonic() > deadline:
            stop_server(process)
            raise RuntimeError(f"server did not start; see {log}")
        time.sleep(0.5)
    return process


def thread_seconds(process: psutil.Process) -> dict[int, float]:
    return {thread.id: thread.user_time + thread.system_time for thread in process.threads()}


async def window(process: psutil.Process, seconds: float) -> tuple[float, dict[int, float]]:
    """(wall seconds, CPU seconds per thread) over one window."""
    before, started = thread_seconds(process), time.monotonic()
    await asyncio.sleep(seconds)
    after = thread_seconds(process)
    return time.monotonic() - started, {tid: after[tid] - before.get(tid, 0.0) for tid in after}


def split(wall: float, used: dict[int, float], training: set[int]) -> tuple[float, float]:
    """(cores of the training threads, cores of every other thread: the pages, the server)."""
    train = sum(v for tid, v in used.items() if tid in training)
    return train / wall, (sum(used.values()) - train) / wall


async def wait_for_button(page: Page, label: str, timeout: float = 240) -> None:
    deadline = time.monotonic() + timeout
    while page.find("button", label) is None:
        if time.monotonic() > deadline:
            raise TimeoutError(f"no {label!r} button; errors {page.errors}")
        await page.rerun()
        await asyncio.sleep(1)


async def measure(root: Path, viewers: int, seconds: float, warmup: float) -> dict:
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="gan-live-") as tmp:
        server = start(root, Path(tmp) / "sessions", port, Path(tmp) / "server.log")
        process = psutil.Process(server.pid)
        url = f"http://127.0.0.1:{port}"
        try:
            owner = Page(url)
            await owner.open("train")
            await owner.set_values({"hp.fast.max_images": 512, "hp.fast.epochs": 500}, click="Entrenar")
            await wait_for_button(owner, "Pausar")
            query = owner.query
            await owner.close()
            await asyncio.sleep(warmup)  # let the charts fill up (MAX_POINTS per trace) as a real run's do
            figures = {}
            for phase in ("running", "paused"):
                # The training threads are the ones busy with no page open; the pages' cost is everything else,
                # so the training's own noise stays out of it.
                wall, used = await window(process, seconds)
                training = {tid for tid, v in used.items() if v > 0.02 * wall}
                train_alone, alone = split(wall, used, training)
                pages = [Page(url, query) for _ in range(viewers)]
                for page in pages:
                    await page.open("train")
                await asyncio.sleep(2)  # past the first draws
                reruns = sum(page.reruns for page in pages)
                wall, used = await window(process, seconds)
                reruns = sum(page.reruns for page in pages) - reruns
                train_watched, watched = split(wall, used, training)
                errors = [error for page in pages for error in page.errors]
                if phase == "running":
                    await wait_for_button(pages[0], "Pausar")
                    await pages[0].click("Pausar")
                else:
                    await pages[0].click("Detener")
                for page in pages:
                    await page.close()
                figures[phase] = {"alone": alone, "watched": watched, "per_viewer": (watched - alone) / viewers,
                                  "training": (train_alone + train_watched) / 2,
                                  "reruns": reruns / wall / viewers, "errors": errors}
            return figures
        finally:
            stop_server(server)


async def main_async(args) -> None:
    header(f"live page cost: {args.viewers} viewers on one run, {args.seconds:.0f} s windows")
    results = {}
    with versions(args.before) as trees:
        for name, root in trees:
            print(f"measuring {name} ...", flush=True)
            results[name] = await measure(root, args.viewers, args.seconds, args.warmup)
    print()
    print(f"{'server CPU, cores':36s}" + "".join(f"{name:>22s}" for name in results))
    for phase in ("running", "paused"):
        for what, label in (("training", "training threads"), ("alone", "pages+server, 0 viewers"),
                            ("watched", f"pages+server, {args.viewers} viewers"), ("per_viewer", "per viewer"),
                            ("reruns", "reruns/s per viewer")):
            print(f"{phase + ', ' + label:36s}" + "".join(f"{r[phase][what]:22.4f}" for r in results.values()))
    if len(results) == 2:
        (_, old), (_, new) = results.items()
        for phase in ("running", "paused"):
            ratio = old[phase]["per_viewer"] / new[phase]["per_viewer"] if new[phase]["per_viewer"] > 0 else float("inf")
            print(f"{phase}: per viewer, before / now = {ratio:.1f}x")
    errors = [e for r in results.values() for p in r.values() for e in p["errors"]]
    print(f"errors: {len(errors)} {errors[:3]}")
    print(f"load average at end {os.getloadavg()[0]:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--viewers", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--warmup", type=float, default=60.0, help="seconds of training before measuring")
    parser.add_argument("--before", default="main", help="git revision to compare with ('' for now only)")
    asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    main()
