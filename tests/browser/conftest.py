"""A real `streamlit run app.py` on a free port, and headless Chromium driven by Playwright."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bench.app_server import (
    CHROMIUM_FLAGS,
    free_port,
    server_env,
    start_server,
    stop_server,
)

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts"


@pytest.fixture(scope="module")
def app_url(tmp_path_factory):
    """The app served by a subprocess, its sessions in a temporary folder; its log lands in test-artifacts/."""
    ARTIFACTS.mkdir(exist_ok=True)
    port = free_port()
    server = start_server(port, server_env(tmp_path_factory.mktemp("sessions")), ARTIFACTS / "streamlit-server.log",
                          timeout=90)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        stop_server(server)


@pytest.fixture(scope="module")
def browser():
    chromium = shutil.which("chromium")
    if chromium is None:
        pytest.skip("Debian's chromium is not installed")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=chromium,
            args=CHROMIUM_FLAGS)
        yield launched
        launched.close()
