"""What the class gallery costs the server: 40 students with the gallery open and one projector, on 30 shared runs
of which 10 train, for the code before (a git revision) and now, side by side.

    python -m bench.gallery_cost --viewers 40 --seconds 60 --before 31ed74d

The 20 finished shares are made before the server starts: one real tiny MNIST run copied, each with a history of
12,000 steps (a long run's). The 10 training ones are started and shared by their owners through the train page,
as students do, and take fair turns in the server's training worker. Viewers are lean protocol clients
(bench/st_client.py) that honour the page's fragment timers like a browser. The gallery's cost is the server
process's CPU (the training worker, a child process, apart) with the viewers open, minus the same window without
them; it is printed in cores, with the reruns the viewers asked for.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import tempfile
import time
import uuid
from pathlib import Path

import psutil

from bench.app_server import free_port, server_env, start_server, stop_server, versions
from bench.common import header
from bench.st_client import Page

FINISHED, TRAINING, HISTORY = 20, 10, 12_000


def template_run(folder: Path) -> Path:
    """One real, finished MNIST run (64 images, 2 steps), trained here."""
    from gan_core import Run
    from gan_core.server.scheduler import Scheduler
    from gan_core.training.config import recipe

    run = Run.create(folder, recipe("fast", dataset="mnist", epochs=1, max_images=64, batch_size=32), owner="template")
    run.start(Scheduler(1))
    if not run.wait(300) or run.snapshot().state.value != "finished":
        raise RuntimeError(f"the template run did not finish: {run.snapshot().message}")
    return folder


def finished_shares(sessions: Path, template: Path) -> list[dict]:
    """FINISHED copies of the template, each with a HISTORY-step loss history, shared under a nickname."""
    from gan_core.training.gan import STEP_FIELDS
    from gan_core.training.run_folder import new_run_id

    rng = random.Random(0)
    shares = []
    for index in range(FINISHED):
        session_id, run_id = uuid.uuid4().hex, new_run_id()
        folder = sessions / session_id / "runs" / run_id
        shutil.copytree(template, folder)
        with open(folder / "metrics.jsonl", "a") as metrics:
            for step in range(3, HISTORY + 3):
                values = {name: rng.uniform(0.2, 2.0) for name in STEP_FIELDS}
                metrics.write(json.dumps({"type": "step", "step": step, "epoch": 0, **values}) + "\n")
        shares.append({"share_id": uuid.uuid4().hex[:16], "session_id": session_id, "run_id": run_id,
                       "nickname": f"Alumno {index}", "hidden": False,
                       "shared_at": time.time() + 1e6 + index})  # after the training ones: the projector shows one of those
    return shares


async def start_and_share(url: str, index: int) -> str:
    """A student trains MNIST on the train page and shares the run; returns its run id."""
    owner = Page(url)
    await owner.open("train")
    await owner.set_values({"hp.fast.max_images": 1024, "hp.fast.epochs": 500}, click="Entrenar")
    deadline = time.monotonic() + 300  # the first one waits for the server to warm up, on a busy machine
    while not (nick := next((wid for wid in owner.widgets if "share.nick." in wid), None)):
        if time.monotonic() > deadline:
            raise TimeoutError(f"no share form; errors {owner.errors}; the page says {owner.texts('alert')}")
        await asyncio.sleep(1)
        await owner.rerun()
    run_id = nick.rsplit("share.nick.", 1)[1]
    await owner.set_values({f"share.nick.{run_id}": f"Entrena {index}"}, click="Compartir esta ejecución")
    await owner.close()
    return run_id


def server_seconds(process: psutil.Process) -> float:
    """CPU seconds of the server process alone (its training worker is a child process, left out)."""
    times = process.cpu_times()
    return times.user + times.system


async def window(process: psutil.Process, seconds: float) -> float:
    before, started = server_seconds(process), time.monotonic()
    await asyncio.sleep(seconds)
    return (server_seconds(process) - before) / (time.monotonic() - started)


async def measure(root: Path, viewers: int, seconds: float, settle: float) -> dict:
    tmp = tempfile.mkdtemp(prefix="gan-gallery-")
    try:
        sessions = Path(tmp) / "sessions"
        sessions.mkdir()
        template = template_run(Path(tmp) / "template")
        (sessions / "gallery.json").write_text(json.dumps(finished_shares(sessions, template)))
        port = free_port()
        server = start_server(port, server_env(sessions), Path(tmp) / "server.log", root=root)
        process, url = psutil.Process(server.pid), f"http://127.0.0.1:{port}"
        try:
            for index in range(TRAINING):
                await start_and_share(url, index)
            await asyncio.sleep(settle)  # every run queued or training, its card with a history
            alone = await window(process, seconds)
            pages = [Page(url) for _ in range(viewers)]
            for page in pages:
                await page.open("gallery")
            projector = Page(url)
            await projector.open("projector")
            await asyncio.sleep(5)  # past the first draws
            reruns = sum(page.reruns for page in [*pages, projector])
            watched = await window(process, seconds)
            reruns = sum(page.reruns for page in [*pages, projector]) - reruns
            images = min(page.images for page in pages)
            errors = [error for page in [*pages, projector] for error in page.errors]
            for page in [*pages, projector]:
                await page.close()
            result = {"alone": alone, "watched": watched, "gallery": watched - alone,
                      "reruns": reruns / seconds, "images": images, "errors": errors}
            print(f"  {result}", flush=True)
            return result
        finally:
            stop_server(server)
    finally:  # the training worker may still be writing a checkpoint as the server stops: no error for that
        shutil.rmtree(tmp, ignore_errors=True)


async def main_async(args) -> None:
    header(f"gallery cost: {args.viewers} gallery viewers and a projector; {FINISHED + TRAINING} shares, "
           f"{TRAINING} training; {args.seconds:.0f} s windows")
    results = {}
    with versions(args.before) as trees:
        for name, root in trees:
            print(f"measuring {name} ...", flush=True)
            results[name] = await measure(root, args.viewers, args.seconds, args.settle)
    print()
    print(f"{'server process, cores':40s}" + "".join(f"{name:>22s}" for name in results))
    for what, label in (("alone", "no viewer (training runs mirrored)"), ("watched", f"{args.viewers} viewers + projector"),
                        ("gallery", "the gallery's own cost"), ("reruns", "reruns/s, all viewers")):
        print(f"{label:40s}" + "".join(f"{r[what]:22.3f}" for r in results.values()))
    print(f"{'fewest images one viewer received':40s}" + "".join(f"{r['images']:22d}" for r in results.values()))
    if len(results) == 2:
        (_, old), (_, new) = results.items()
        ratio = old["gallery"] / new["gallery"] if new["gallery"] > 0 else float("inf")
        print(f"the gallery's own cost, before / now = {ratio:.1f}x")
    for name, r in results.items():
        print(f"errors ({name}): {len(r['errors'])} {r['errors'][:3]}")
    print(f"load average at end {os.getloadavg()[0]:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--viewers", type=int, default=40)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--settle", type=float, default=30.0, help="seconds after the last share before measuring")
    parser.add_argument("--before", default="31ed74d", help="git revision to compare with ('' for now only)")
    asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    main()
