"""In real headless Chromium: the teacher signs in with the password the server printed, copies an exercise link
with the epochs locked; a student opens it in a new browser context (no cookies, no session), finds the form filled
and locked, starts the exercise and shares the run; it shows in the class gallery."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from app_support import start_app, wait_until
from test_browser_train import ARTIFACTS, REPO, UPDATE_DOCS

from bench.app_server import server_env, stop_server

pytestmark = pytest.mark.browser

DOCS_SCREENSHOT = REPO / "docs" / "screenshots" / "gallery_es.png"


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    ARTIFACTS.mkdir(exist_ok=True)
    log = ARTIFACTS / "teacher-server.log"
    server, url = start_app(server_env(tmp_path_factory.mktemp("sessions")), log, timeout=90)
    try:
        yield url, log
    finally:
        stop_server(server)


def _exercise(link: str) -> dict:
    import base64
    import json
    from urllib.parse import parse_qs

    payload = parse_qs(urlsplit(link).query)["ex"][0].rsplit(".", 1)[0]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def _number(page, label: str, value: str) -> None:
    box = page.get_by_role("spinbutton", name=label, exact=True)
    box.fill(value)
    box.press("Tab")


def test_an_exercise_link_opens_filled_in_a_new_context_and_starts(served, browser):
    app_url, log = served
    teacher = browser.new_context(viewport={"width": 1400, "height": 1800}, locale="es-ES").new_page()
    teacher.goto(f"{app_url}/teacher")
    teacher.get_by_role("button", name="Entrar").wait_for(timeout=120_000)
    password = wait_until(lambda: re.search(r"Teacher password: (\S+)", log.read_text()), 30, "the printed password", interval=0.5)[1]
    teacher.get_by_label("Contraseña").fill(password)
    teacher.get_by_role("button", name="Entrar").click()
    teacher.get_by_role("tab", name="Límites").wait_for(timeout=60_000)

    teacher.locator('[data-testid="stSidebarNav"]').get_by_text("Entrenar", exact=True).click()
    teacher.get_by_role("button", name="Copiar enlace del ejercicio").wait_for(timeout=60_000)
    images = "8192" if UPDATE_DOCS else "1024"
    for label, value in (("Épocas", "3"), ("Semilla", "42"), ("Máximo de imágenes (0 = todas)", images)):
        _number(teacher, label, value)
    locks = teacher.get_by_role("combobox", name=re.compile("Bloquear en el enlace"))
    locks.click()
    teacher.get_by_role("option", name="Épocas", exact=True).click()
    teacher.get_by_text("Optimizador del generador (G)").click()  # closes the list, which covers the buttons
    teacher.get_by_role("option", name="Semilla", exact=True).wait_for(state="hidden", timeout=10_000)
    teacher.get_by_role("button", name="Copiar enlace del ejercicio").click()
    code = teacher.locator('[data-testid="stCode"] code')
    code.wait_for(timeout=60_000)
    link = code.inner_text().strip()
    assert "?ex=" in link and "s=" not in urlsplit(link).query, link

    # A student in a fresh context: no cookies, no storage, no session id.
    student = browser.new_context(viewport={"width": 1400, "height": 2000}, locale="es-ES").new_page()
    student.goto(link)
    student.get_by_text("Has abierto un ejercicio").wait_for(timeout=120_000)
    epochs = student.get_by_role("spinbutton", name="Épocas 🔒", exact=True)
    wait_until(lambda: epochs.input_value() == "3", 30, f"the exercise's epochs in the form: {_exercise(link)}", interval=0.5)
    assert epochs.is_disabled()
    assert student.get_by_role("spinbutton", name="Semilla", exact=True).input_value() == "42"
    assert student.get_by_role("spinbutton", name="Máximo de imágenes (0 = todas)", exact=True).input_value() == images
    student.get_by_role("button", name="Entrenar", exact=True).click()
    student.get_by_text("Compartir con la clase").wait_for(timeout=120_000)
    assert "s=" in urlsplit(student.url).query, "the student got a session of their own"

    student.get_by_role("textbox", name="Tu apodo en la galería").fill("Ada")
    student.get_by_role("button", name="Compartir esta ejecución").click()
    student.get_by_text("Compartida en la galería como").wait_for(timeout=60_000)

    # The gallery page shows it live, under the nickname, until the exercise's three epochs are done.
    teacher.locator('[data-testid="stSidebarNav"]').get_by_text("Galería de la clase", exact=True).click()
    teacher.get_by_text("Ada", exact=True).wait_for(timeout=60_000)
    teacher.get_by_text(re.compile(r"época 3/3")).wait_for(timeout=300_000)
    teacher.locator('[data-testid="stImage"] img').first.wait_for(timeout=60_000)
    teacher.wait_for_function(  # the last grid's image has loaded
        "() => [...document.querySelectorAll('[data-testid=\"stImage\"] img')].every(i => i.complete && i.naturalWidth > 0)")
    teacher.screenshot(path=str(ARTIFACTS / "gallery_es.png"), full_page=True)
    if UPDATE_DOCS:
        teacher.screenshot(path=str(DOCS_SCREENSHOT), full_page=True)
    assert "Traceback" not in log.read_text()
