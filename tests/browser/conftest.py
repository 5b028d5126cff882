"""A real `streamlit run app.py` on a free port, and headless Chromium driven by Playwright."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from app_support import start_app
from scheduling_support import ONE_SERVER_MODULES

from bench.app_server import CHROMIUM_FLAGS, server_env, stop_server

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts"


@pytest.fixture(scope="module")
def app_server_log(request) -> Path:
    """Where the module's server (`app_url`) writes its log: test-artifacts/<module>-server.log, a file of its own,
    since the modules run side by side in pytest-xdist's workers."""
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS / f"{request.module.__name__}-server.log"


@pytest.fixture(scope="module")
def app_url(request, tmp_path_factory, app_server_log, shared_servers):
    """The app served by a subprocess, its sessions in a temporary folder; its log in `app_server_log`. Its runs
    train in the worker process, as a class's server trains them; a module whose tests never start a run says
    `SERVER_TRAINS_IN = "thread"`: its server then starts no worker process (a TensorFlow import it never uses).
    A module listed in scheduling_support.ONE_SERVER_MODULES (its tests train nothing and leave nothing running on the server)
    is served by the server of the listed modules run before it in this process with the same settings
    (`shared_servers`): each server of its own imported TensorFlow and the pages' modules again."""
    train_in = getattr(request.module, "SERVER_TRAINS_IN", "worker")
    env = server_env(tmp_path_factory.mktemp("sessions"), train_in)
    if module_path(request.module) in ONE_SERVER_MODULES:
        yield shared_servers(env)
        return
    server, url = start_app(env, app_server_log, timeout=90)
    try:
        yield url
    finally:
        stop_server(server)


def module_path(module) -> str:
    """A test module's path from the project's root, as pytest's node ids (and ONE_SERVER_MODULES) write it."""
    return Path(module.__file__).resolve().relative_to(REPO).as_posix()


def server_settings(env: dict) -> tuple:
    """What makes two servers serve the same app: their environment, less the sessions folder (each a throw-away
    one) and pytest's name of the test being set up, with the bundled generators' folder written out where it is
    left to its default."""
    from gan_core.training.pretrained import PRETRAINED_DIR

    settings = {name: value for name, value in env.items() if name not in ("GAN_SESSIONS_DIR", "PYTEST_CURRENT_TEST")}
    settings["GAN_PRETRAINED_DIR"] = str(Path(settings.get("GAN_PRETRAINED_DIR") or PRETRAINED_DIR).resolve())
    return tuple(sorted(settings.items()))


@pytest.fixture(scope="session")
def shared_servers():
    """`serve(env)`: the address of this process's server for those settings, started on first use; all of them
    stop when the session ends. Their logs: test-artifacts/shared-server-<xdist worker>-<n>.log."""
    started: dict[tuple, tuple] = {}

    def serve(env: dict) -> str:
        settings = server_settings(env)
        if settings not in started:
            ARTIFACTS.mkdir(exist_ok=True)
            log = ARTIFACTS / f"shared-server-{os.environ.get('PYTEST_XDIST_WORKER', 'main')}-{len(started)}.log"
            started[settings] = start_app(env, log, timeout=90)
        return started[settings][1]

    yield serve
    for server, _ in started.values():
        stop_server(server)


_chromium: dict = {}  # "playwright", "browser": the one Chromium the browser tests share while they run


def _launched_chromium():
    """One headless Chromium for all the browser tests in a row (a launch costs seconds on two busy cores); every
    test opens its own page or context in it, so nothing a test did is seen by the next."""
    if "browser" not in _chromium:
        from playwright.sync_api import sync_playwright

        playwright = sync_playwright().start()
        _chromium["playwright"] = playwright
        _chromium["browser"] = playwright.chromium.launch(executable_path=shutil.which("chromium"),
                                                          args=CHROMIUM_FLAGS)
    return _chromium["browser"]


def _close_chromium():
    """Playwright's sync API marks its event loop as running in this thread while it is started, which breaks the
    asyncio of the tests after the browser ones (AppTest, nbclient): it stops when they are done."""
    if "browser" in _chromium:
        _chromium.pop("browser").close()
        _chromium.pop("playwright").stop()


@pytest.fixture(scope="module")
def browser():
    """The shared Chromium; the contexts and pages a module's tests left open are closed at its end (its server
    stops then, and an open page would keep reconnecting to it)."""
    if shutil.which("chromium") is None:
        pytest.skip("Debian's chromium is not installed")
    launched = _launched_chromium()
    yield launched
    for context in launched.contexts:
        context.close()


@pytest.hookimpl(trylast=True)
def pytest_runtest_teardown(item, nextitem):
    """After the last browser test in a row (its module's fixtures already torn down), Chromium goes."""
    if nextitem is None or Path(nextitem.path).parent != Path(__file__).parent:
        _close_chromium()


def pytest_collection_modifyitems(items):
    """Every test in this folder is a browser test, its module marked or not: the fast lane
    (-m "not slow and not browser") never starts a server and Chromium."""
    here = Path(__file__).parent
    for item in items:
        if here in Path(item.path).parents:
            item.add_marker(pytest.mark.browser)
