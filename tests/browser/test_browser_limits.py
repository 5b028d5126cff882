"""In real headless Chromium (issue 25, item 2): with a class limit of 3 epochs the form offers 3, and once the run has
its 3 the reason it cannot train more is seen where the student looks after pressing, the run's panel, not inside
the "Nueva ejecución" box that folds away when a run starts (AppTest sees a folded box's contents; a person does not)."""

from __future__ import annotations

import pytest
from app_support import start_app
from test_browser_train import ARTIFACTS

from bench.app_server import server_env, stop_server
from gan_core.server import classroom

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def limited(tmp_path_factory):
    """The app with the teacher's limit already saved: at most 3 epochs a run."""
    ARTIFACTS.mkdir(exist_ok=True)
    sessions = tmp_path_factory.mktemp("sessions")
    classroom.save_limits(sessions, classroom.ClassLimits(max_epochs=3))
    log = ARTIFACTS / "limits-server.log"
    server, url = start_app(server_env(sessions), log, timeout=90)
    try:
        yield url, log
    finally:
        stop_server(server)


def test_the_limit_and_its_reason_are_seen_where_the_student_looks(limited, browser):
    app_url, log = limited
    page = browser.new_page(viewport={"width": 1400, "height": 2200}, locale="es-ES")
    page.goto(app_url)
    epochs = page.get_by_role("spinbutton", name="Épocas", exact=True)
    epochs.wait_for(timeout=120_000)
    assert epochs.input_value() == "3", "the recipe's 5 epochs are not offered"
    images = page.get_by_role("spinbutton", name="Máximo de imágenes (0 = todas)", exact=True)
    images.fill("256")
    images.press("Tab")
    page.get_by_role("button", name="Entrenar", exact=True).click()

    page.get_by_text("Entrenamiento terminado.").wait_for(timeout=300_000)
    reason = page.get_by_text("Esta ejecución ya tiene 3 épocas", exact=False)
    reason.wait_for(timeout=30_000)
    assert reason.is_visible(), "in the run's panel, in view"
    assert page.get_by_role("button", name="Entrenar más épocas").count() == 0
    page.screenshot(path=str(ARTIFACTS / "limits_es.png"), full_page=True)
    assert "Traceback" not in log.read_text()
