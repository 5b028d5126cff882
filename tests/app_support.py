"""Helpers for the AppTest suites: a fresh app per test, polling without blocking page code, reading every text."""

from __future__ import annotations

import os
import random
import re
import socket
import subprocess
import sys
import threading
import time
import traceback
from pathlib import Path

import pytest
import streamlit as st
from google.protobuf.json_format import MessageToDict
from streamlit.runtime.scriptrunner import ScriptRunnerEvent
from streamlit.testing.v1 import AppTest, local_script_runner

from bench.app_server import start_server

APP = str(Path(__file__).resolve().parents[1] / "app.py")
TIMEOUT = 90  # one script run; the first imports TensorFlow and builds models on two busy cores


def _wait_for_script_run(runner, timeout: float = 3) -> None:
    """AppTest's wait for a script run to end (streamlit.testing.v1.local_script_runner.require_widgets_deltas), told
    by the runner's SHUTDOWN event instead of waking every millisecond to look through every event the run has sent
    so far (each element is one): that loop took 3 to 13% of a core while a script ran (10 to 1000 events, measured
    beside the original), and took the interpreter from the script's own thread a thousand times a second. Same
    contract: on a timeout the run is stopped and RuntimeError raised."""
    ended = threading.Event()

    def on_event(sender, event, **kwargs):
        if event == ScriptRunnerEvent.SHUTDOWN:
            ended.set()

    runner.on_event.connect(on_event, weak=False)
    try:
        if runner.script_stopped() or ended.wait(timeout):  # ended before the connection, or since
            return
    finally:
        runner.on_event.disconnect(on_event)
    where = _script_stacks()  # before the stop unwinds it: where the run was held
    runner.request_stop()
    runner.join()
    raise RuntimeError(f"AppTest script run timed out after {timeout}(s); where its thread was:\n{where}")


def _script_stacks() -> str:
    """The stacks of the threads running a page script now (Streamlit names them ScriptRunner.scriptThread)."""
    frames = sys._current_frames()
    return "\n".join(f"{thread.name}:\n" + "".join(traceback.format_stack(frames[thread.ident]))
                     for thread in threading.enumerate()
                     if thread.name.startswith("ScriptRunner") and thread.ident in frames) or "(no script thread)"


local_script_runner.require_widgets_deltas = _wait_for_script_run


def new_app() -> AppTest:
    return AppTest.from_file(APP, default_timeout=TIMEOUT)


def poll(at: AppTest, condition, timeout: float = 150.0, interval: float = 1.0, describe=None) -> AppTest:
    """Rerun the app (what the fragment's timer does in a browser) until `condition(at)` holds.
    `describe()` says what was seen if it never does."""
    deadline = time.monotonic() + timeout
    while True:
        at.run()
        assert not at.exception, [e.value for e in at.exception]
        if condition(at):
            return at
        if time.monotonic() > deadline:
            seen = describe() if describe else [e.value for e in at.error]
            raise AssertionError(f"condition not met within {timeout} s; seen: {seen}")
        time.sleep(interval)


def texts(at: AppTest) -> list[str]:
    """Every string the page sends to the browser: labels, help, options, captions, chart specs, alerts."""
    found: list[str] = []

    def collect(value):
        if isinstance(value, str):
            found.append(value)
        elif isinstance(value, dict):
            for key, item in value.items():
                if key not in ("id", "formId", "fragmentId"):
                    collect(item)
        elif isinstance(value, list):
            for item in value:
                collect(item)

    def walk(node):
        proto = getattr(node, "proto", None)
        if proto is not None:
            collect(MessageToDict(proto))
        for child in getattr(node, "children", {}).values():
            walk(child)

    for root in at._tree.children.values():
        walk(root)
    return found


def fragments_only_in(lang: str, other: str, texts_table: dict, minimum: int = 10) -> set[str]:
    """Literal pieces of `lang` texts (placeholders cut out) that are not in the `other` language's text."""
    pieces = set()
    for entry in texts_table.values():
        text, counterpart = entry.get(lang), entry.get(other)
        if not text or text == counterpart:
            continue
        for piece in re.split(r"\{[^}]*\}|\*\*|\n|- ", text):
            piece = piece.strip(" .,:;·()«»“”*")
            if len(piece) >= minimum and piece not in (counterpart or ""):
                pieces.add(piece)
    return pieces


def leftovers(at: AppTest, lang: str, other: str, texts_table: dict, allowed=()) -> list[str]:
    """Pieces of `other`-language text found on a page drawn in `lang`."""
    page = "\n".join(texts(at))
    return sorted(p for p in fragments_only_in(other, lang, texts_table) if p in page and p not in allowed)


@pytest.fixture
def server_drawn(monkeypatch):
    """The explorer's live image drawn by the server (GAN_LIVE_IMAGE=server), as for a generator with no ONNX form: for
    tests that read its picture or do not look at it (no export of each generator for the browser)."""
    monkeypatch.setenv("GAN_LIVE_IMAGE", "server")


@pytest.fixture
def sessions_dir(tmp_path, monkeypatch):
    """A private sessions root and empty Streamlit caches; every run a test started is stopped afterwards."""
    monkeypatch.setenv("GAN_SESSIONS_DIR", str(tmp_path / "sessions"))
    st.cache_resource.clear()
    yield tmp_path / "sessions"
    from gan_ui import state

    runs = state.registry().all_runs()
    for run in runs:
        run.stop()
    for run in runs:
        assert run.wait(120), f"run {run.run_id} did not stop"
    st.cache_resource.clear()


@pytest.fixture
def no_bundled_generators(tmp_path, monkeypatch):
    """Pages draw without loading the bundled generators: for tests about runs and the class, not models."""
    empty = tmp_path / "no-generators"
    empty.mkdir()
    monkeypatch.setenv("GAN_PRETRAINED_DIR", str(empty))


def class_app(**query) -> AppTest:
    """A browser session, opened with these query parameters, whose secrets name no teacher_password (another secret
    is set, so that a local .streamlit/secrets.toml cannot interfere)."""
    at = new_app()
    at.secrets["unrelated"] = "x"
    for name, value in query.items():
        at.query_params[name] = value
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def wait_until(condition, timeout: float, what: str, interval: float = 0.2):
    """Call `condition()` until it returns something truthy and return that; fail saying `what` after `timeout` s.
    For conditions outside an AppTest (a run, a browser page, a cluster); `poll` reruns an AppTest instead."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out waiting for {what}")


# The ports the tests' own servers listen on: a block of its own for each pytest-xdist worker, so that two workers never
# pick the same one (a port found free is only bound seconds later, once Streamlit has imported), above Ray's worker
# ports (10002-19999) and below those the system hands out by itself (32768 on).
FIRST_PORT = 20000
PORTS_PER_WORKER = 500
PORT_TAKEN = re.compile(r"Port \d+ is (not available|already in use)")


def xdist_worker_number() -> int:
    """This pytest-xdist worker's number (gw0: 0, gw1: 1, ...); 0 in a run without workers."""
    name = os.environ.get("PYTEST_XDIST_WORKER", "")
    return int(name[2:]) if name.startswith("gw") and name[2:].isdigit() else 0


def worker_port() -> int:
    """A port free now, from this worker's own block."""
    first = FIRST_PORT + PORTS_PER_WORKER * xdist_worker_number()
    for port in random.sample(range(first, first + PORTS_PER_WORKER), PORTS_PER_WORKER):
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port in {first}-{first + PORTS_PER_WORKER - 1}")


def start_app(env: dict, log_path: Path, timeout: float) -> tuple[subprocess.Popen, str]:
    """`streamlit run app.py` (bench.app_server.start_server) on a port of this worker's, and its address. If a
    process outside this test run took the port meanwhile, Streamlit exits saying so: it starts again on another."""
    tries_left = 3
    while True:
        tries_left -= 1
        port = worker_port()
        try:
            return start_server(port, env, log_path, timeout=timeout), f"http://127.0.0.1:{port}"
        except RuntimeError:
            if not tries_left or not PORT_TAKEN.search(log_path.read_text(errors="replace")):
                raise
