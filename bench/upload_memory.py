"""The server's memory when a file far past an upload box's limit is offered (issue 25, item 9), for the code before
(a git revision) and now, side by side in one run.

For each version: `streamlit run app.py` (disconnected sessions expire after 2 s here instead of 120), and for each
case a new protocol-level browser tab (bench/st_client.py) on the 2-D playground, whose box for a saved experiment
(`pg.load`) is drawn; then a `x.zip` of --mb megabytes:
- "browser": as a browser offers it. The box's own limit, as the page sent it (max_upload_size_mb), decides as
  Streamlit's dropzone does in the browser: a file past it is refused there and never sent; under it (300 MB
  before, the server's maxUploadSize), it is sent and the page's own check answers.
- "hand-made": a PUT to the session's upload URL whatever the box says. Streamlit 1.67's upload route checks only
  server.maxUploadSize, so a client that skips the browser's check still gets up to that through.
Reported per case: the server process's resident memory before (MB), its peak while the file was offered (VmHWM,
reset first), after the page's answer, and 15 s after the tab closed (Streamlit keeps a closed tab's session, with its
uploaded files, until a later disconnection evicts it and a garbage collection ends it); and the bytes Streamlit's
upload manager holds (/_stcore/metrics).
`python -m bench.upload_memory [--mb 150] [--before main]`
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.app_server import ROOT, checkout, free_port, server_env, start_server, stop_server  # noqa: E402
from bench.common import header  # noqa: E402
from bench.st_client import Page  # noqa: E402

KEY = "pg.load"
BUILDING = ("Construyendo las redes", "Building the networks")


def _status_mb(pid: int, field: str) -> float:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    raise KeyError(field)


def _reset_peak(pid: int) -> None:
    with open(f"/proc/{pid}/clear_refs", "w") as refs:
        refs.write("5")  # VmHWM starts again from the current resident size


def _metrics(url: str) -> str:
    with urllib.request.urlopen(f"{url}/_stcore/metrics", timeout=30) as reply:
        return reply.read().decode()


METRICS_CACHE_SECONDS = 5.0  # Streamlit 1.67 computes cache_memory_bytes at most once per 5 s and answers the rest
_memory_read_at = [0.0]      # from that (starlette_routes._METRICS_EXPENSIVE_STATS_TTL_SECONDS)


def held_upload_bytes(url: str) -> int:
    """Bytes of uploaded files Streamlit holds in memory, all sessions together, as of now: waits out the metrics
    cache left by the previous reading first."""
    time.sleep(max(0.0, _memory_read_at[0] + METRICS_CACHE_SECONDS + 0.2 - time.monotonic()))
    text = _metrics(url)
    _memory_read_at[0] = time.monotonic()
    found = re.search(r'cache_memory_bytes\{cache_type="UploadedFileManager"[^}]*\}\s+(\d+)', text)
    return int(found.group(1)) if found else 0


def active_sessions(url: str) -> int:
    with urllib.request.urlopen(f"{url}/_stcore/metrics?families=active_sessions", timeout=30) as reply:
        found = re.search(r"^active_sessions(?:\{[^}]*\})?\s+(\d+)", reply.read().decode(), re.MULTILINE)
    return int(found.group(1)) if found else 0


async def _until(condition, seconds: float, what: str):
    deadline = time.monotonic() + seconds
    while not (value := await condition()):
        if time.monotonic() > deadline:
            raise TimeoutError(what)
        await asyncio.sleep(0.25)
    return value


async def offer(url: str, pid: int, data: bytes, hand_made: bool) -> dict:
    page = Page(url)
    await page.open("playground")

    async def ready():  # the box drawn and the networks built: the resident size is then the page's own
        if not page.find("file_uploader", key=KEY) or any(t.startswith(BUILDING) for t in page.texts()):
            await page.rerun()
            return False
        return True

    await _until(ready, 180, "the playground page with its upload box")
    limit_mb = page.widgets[page.find("file_uploader", key=KEY)][1].max_upload_size_mb
    held_before = held_upload_bytes(url)
    before = _status_mb(pid, "VmRSS")
    _reset_peak(pid)
    sent = hand_made or len(data) <= limit_mb * 2 ** 20
    answer = "refused in the browser: never sent"
    if sent:
        try:
            await page.upload(KEY, [("x.zip", data, "application/zip")], timeout=300)
            answer = next((t for t in page.texts() if "KB" in t), "no message").split(";")[0]
        except OSError as exc:
            answer = f"the server refused the request: {exc}"[:90]
    peak, after, held = _status_mb(pid, "VmHWM"), _status_mb(pid, "VmRSS"), held_upload_bytes(url)
    await page.close()

    async def disconnected():
        return active_sessions(url) == 0

    await _until(disconnected, 60, "the tab's session disconnecting")
    try:  # Streamlit keeps a closed tab's session, and its files, until an eviction and a garbage collection end it
        await _until(lambda: _async(held_upload_bytes(url) <= held_before), 15, "")
    except TimeoutError:
        pass
    return {"limit_mb": limit_mb, "sent": sent, "answer": answer, "before": before, "peak": peak, "after": after,
            "held_mb": held / 1e6, "closed": _status_mb(pid, "VmRSS"), "held_closed_mb": held_upload_bytes(url) / 1e6}


async def _async(value):
    return value


def measure(root: Path, label: str, data: bytes) -> list[tuple]:
    rows = []
    with tempfile.TemporaryDirectory(prefix="upload-memory-") as sessions:
        env = {**server_env(Path(sessions)), "STREAMLIT_SERVER_DISCONNECTED_SESSION_TTL": "2"}
        port = free_port()
        server = start_server(port, env, Path(sessions) / "server.log", root=root)
        try:
            url = f"http://127.0.0.1:{port}"
            for hand_made in (False, True):
                result = asyncio.run(offer(url, server.pid, data, hand_made))
                rows.append((label, "hand-made" if hand_made else "browser", result))
        finally:
            stop_server(server)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=int, default=150, help="the offered file's size in MB")
    parser.add_argument("--before", default="main", help="the git revision to compare with ('' for none)")
    args = parser.parse_args()
    header(f"A {args.mb} MB x.zip offered to the 2-D playground's saved-experiment box")
    data = b"PK" + os.urandom(args.mb * 1_000_000 - 2)
    rows = []
    with tempfile.TemporaryDirectory(prefix="upload-memory-tree-") as folder:
        if args.before:
            rows += measure(checkout(args.before, Path(folder)), args.before, data)
        rows += measure(ROOT, "now", data)
    print("| version | offered | box limit | sent | server MB before | peak | after the answer | held by uploads "
          "| 15 s after the tab closed (held) | the page's answer |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for label, how, r in rows:
        print(f"| {label} | {how} | {r['limit_mb']} MB | {'yes' if r['sent'] else 'no'} | {r['before']:.0f} | "
              f"{r['peak']:.0f} ({r['peak'] - r['before']:+.0f}) | {r['after']:.0f} ({r['after'] - r['before']:+.0f}) | "
              f"{r['held_mb']:.0f} MB | {r['closed']:.0f} ({r['closed'] - r['before']:+.0f}; {r['held_closed_mb']:.0f} "
              f"MB) | {r['answer']} |")


if __name__ == "__main__":
    main()
