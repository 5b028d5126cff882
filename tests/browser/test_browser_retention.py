"""In real headless Chromium: a student comes back to their bookmarked address, reads in the sidebar until when their
files are kept, and downloads every run in one zip (Streamlit's deferred download: made on the click, which AppTest
cannot press); the zip holds every file of both runs and the temporary zip is gone from the server."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import pytest
from app_support import start_app
from run_support import finished_session_run

from bench.app_server import server_env, stop_server
from gan_core.server import housekeeping, retention

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts"


def test_a_student_reads_the_date_and_downloads_every_run_in_one_zip(tmp_path, browser):
    sessions = tmp_path / "sessions"
    student = housekeeping.new_session_id()
    for _ in range(2):  # real runs (the fast recipe on 64 MNIST images, 2 steps): run_support
        finished_session_run(sessions, student)
    housekeeping.touch_session(sessions / student)
    token = housekeeping.session_token(sessions, student)  # the address the server gave the student
    expected = {str(path.relative_to(sessions / student)): path.read_bytes()
                for path in retention.run_files(sessions / student)}

    ARTIFACTS.mkdir(exist_ok=True)
    # Nothing trains here: served with GAN_TRAIN_IN=thread, the server starts no worker process (a TensorFlow import).
    server, url = start_app(server_env(sessions, "thread"), ARTIFACTS / "retention-server.log", timeout=120)
    try:
        page = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="es-ES",
                                   accept_downloads=True).new_page()
        page.goto(f"{url}/?s={token}")
        button = page.get_by_role("button", name="Descargar todas mis ejecuciones")
        button.wait_for(timeout=120_000)
        page.get_by_text(re.compile(r"se conservan hasta el \d\d/\d\d/\d{4} \(28 días desde tu última visita")) \
            .wait_for(timeout=10_000)
        with page.expect_download(timeout=120_000) as download_info:
            button.click()
        download = download_info.value
        assert re.fullmatch(r"aula-gan-\d{8}\.zip", download.suggested_filename)
        saved = tmp_path / download.suggested_filename
        download.save_as(saved)
    finally:
        stop_server(server)
    with zipfile.ZipFile(saved) as archive:
        assert sorted(archive.namelist()) == sorted(expected)
        assert all(archive.read(name) == data for name, data in expected.items())
    assert not list((sessions / student).glob(f"{retention.ZIP_PREFIX}*")), "the temporary zip is deleted"
