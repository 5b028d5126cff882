"""A real `streamlit run app.py` on 127.0.0.1, for the browser tests and the load test (one place for both)."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# What every headless Chromium here is launched with (Debian's `chromium`, found with `which chromium`).
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-background-networking", "--disable-component-update"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as reply:
            return reply.read().strip() == b"ok"
    except OSError:
        return False


def server_env(sessions_dir: Path, train_in: str = "worker") -> dict:
    """A throw-away sessions folder, no dataset downloads, and runs trained where a class's server trains them (the
    worker process, gan_core.server.worker; "thread": the server's own threads)."""
    return {**os.environ, "GAN_SESSIONS_DIR": str(sessions_dir), "GAN_NO_DOWNLOAD": "1", "TF_CPP_MIN_LOG_LEVEL": "2",
            "GAN_TRAIN_IN": train_in}


def checkout(revision: str, folder: Path) -> Path:
    """The tree of a git revision, unpacked into `folder` (a bench's "before", side by side with now)."""
    archive = subprocess.run(["git", "archive", revision], cwd=ROOT, check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(folder)], input=archive, check=True)
    return folder


@contextlib.contextmanager
def versions(before: str):
    """[(name, tree)] to measure side by side: the `before` revision unpacked in a temporary folder (left out when
    empty), then this tree ("now"). The unpacked tree has no ../shared beside it, so the datasets are read from
    beside this one for both (GAN_DATA_DIR, unless already set)."""
    os.environ.setdefault("GAN_DATA_DIR", str((ROOT.parent / "shared" / "datasets").resolve()))
    with tempfile.TemporaryDirectory(prefix="gan-before-") as before_dir:
        found = [("now", ROOT)]
        if before:
            found.insert(0, (f"before ({before})", checkout(before, Path(before_dir))))
        yield found


def start_server(port: int, env: dict, log_path: Path, timeout: float = 180.0, root: Path = ROOT) -> subprocess.Popen:
    """Starts the app (of `root`, this tree by default) and returns once it answers /_stcore/health; raises, with
    the log's path, if it never does."""
    log = open(log_path, "w")
    process = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true", "--server.port", str(port),
         "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false"],
        cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT)
    log.close()  # the child has its own copy
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout
    while not healthy(url):
        if process.poll() is not None:
            raise RuntimeError(f"streamlit exited with {process.returncode}; see {log_path}")
        if time.monotonic() > deadline:
            stop_server(process)
            raise RuntimeError(f"streamlit did not answer /_stcore/health in {timeout:.0f} s; see {log_path}")
        time.sleep(0.5)
    return process


def stop_server(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)
