"""Sessions are isolated: a second browser session cannot see, stop or download another's run by any id it can
guess or put in the URL. The teacher view, behind the password in secrets, sees and stops every session's job."""

from __future__ import annotations

import uuid

import pytest
from app_support import new_app, no_bundled_generators, poll, sessions_dir, texts  # noqa: F401 - sessions_dir and no_bundled_generators are fixtures

from gan_core import RunState, new_run_id
from gan_core.server import housekeeping
from gan_ui import state

PAGES = ("app_pages/train.py", "app_pages/runs.py", "app_pages/data.py", "app_pages/explore.py",
         "app_pages/learn.py", "app_pages/teacher.py")
RUN_PAGES = ("app_pages/train.py", "app_pages/runs.py", "app_pages/explore.py")
PASSWORD = "profe-" + uuid.uuid4().hex[:8]


pytestmark = pytest.mark.usefixtures("no_bundled_generators")


def _button(at, label):
    matches = [b for b in at.button if b.label == label]
    assert matches, f"no button {label!r} among {[b.label for b in at.button]}"
    return matches[0]


def _student_starts_a_run(epochs: int = 200):
    """Session A, through the train page: a small real MNIST run (256 images, batch 32, 8 steps an epoch) long
    enough to be still queued or running while the other sessions look for it."""
    at = new_app().run()
    assert not at.exception
    at.number_input(key="hp.fast.epochs").set_value(epochs)
    at.number_input(key="hp.fast.max_images").set_value(256)
    at.select_slider(key="hp.fast.batch_size").set_value(32)
    _button(at, "Entrenar").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    sid = at.session_state["session_id"]
    (run_id,) = at.session_state["run_ids"]
    run = state.registry().get(sid, run_id)
    assert run is not None and run.owner == sid and run.snapshot().active
    return at, sid, run


def _pages_text(at, pages=PAGES) -> str:
    seen = []
    for page in pages:
        at.switch_page(page).run()
        assert not at.exception, (page, [e.value for e in at.exception])
        seen += texts(at)
        seen += [str(button.proto) for button in at.get("download_button")]
    return "\n".join(seen)


@pytest.mark.slow
def test_another_session_cannot_see_stop_or_download_a_run(sessions_dir):
    student, a_sid, run = _student_starts_a_run()
    a_run = run.run_id
    assert a_run in "\n".join(texts(student)), "the owner sees its run (so the checks below can fail)"
    reg = state.registry()

    # What a second browser could put in its URL: A's run id as the session, a run parameter, random ids,
    # path traversal towards A's folder. Each is a fresh session that owns nothing.
    random_run = f"{a_run[:16]}{uuid.uuid4().hex[:12]}"  # A's timestamp, a guessed suffix
    attempts = [
        {"s": a_run},
        {"run": a_run},
        {"s": uuid.uuid4().hex, "run": a_run},
        {"s": uuid.uuid4().hex, "run": random_run},
        {"s": f"../{a_sid}", "run": f"../{a_sid}/runs/{a_run}"},
        {"s": f"{a_sid}/../{uuid.uuid4().hex}"},
        {"s": f"{uuid.uuid4().hex}/../../{a_sid}"},
        {"s": "..%2F" + a_sid, "run": "%2e%2e%2f" + a_run},
    ]
    for attempt, params in enumerate(attempts):
        other = new_app()
        for name, value in params.items():
            other.query_params[name] = value
        other.run()
        assert not other.exception, (params, [e.value for e in other.exception])
        b_sid = other.session_state["session_id"]
        assert b_sid != a_sid and housekeeping.SESSION_ID_RE.fullmatch(b_sid), params
        assert other.session_state["run_ids"] == [], params
        # Every page for the first attempts; then the pages that list runs (the data and learn pages never do).
        page_text = _pages_text(other, PAGES if attempt < 3 else RUN_PAGES)
        assert a_run not in page_text and a_sid not in page_text, f"{params}: A's run shows in B's pages"
        assert not other.get("download_button")

    # The registry, asked directly for A's run by B's session, with A's id and with guesses and traversals.
    b_sid = other.session_state["session_id"]
    for guess in (a_run, random_run, new_run_id(), f"../{a_sid}/runs/{a_run}", f"{a_run}/../{a_run}",
                  f"../../{a_sid}/runs/{a_run}/config.json", "", a_sid):
        assert reg.get(b_sid, guess) is None, guess
    assert reg.run_ids(b_sid) == []
    for bad_session in (f"../{a_sid}", f"{a_sid}/..", a_run, ""):
        with pytest.raises(ValueError):
            reg.session_dir(bad_session)
    with pytest.raises(ValueError):
        reg.run_dir(b_sid, f"../../{a_sid}/runs/{a_run}")
    # A restarted server (a fresh registry reading the same folders) still hands A's run to A only.
    restarted = state.RunRegistry(sessions_dir)
    assert restarted.get(b_sid, a_run) is None
    assert restarted.get(a_sid, a_run) is not None

    # Even a session whose own state names A's run (as if a client could forge it) draws nothing of it.
    other.session_state["run_ids"] = [a_run]
    other.session_state["current_run"] = a_run
    for page in ("app_pages/train.py", "app_pages/runs.py"):
        other.switch_page(page).run()
        assert not other.exception
        page_text = "\n".join(texts(other))
        assert a_run not in page_text and not other.get("download_button"), page
        assert not [b for b in other.button if b.label in ("Detener", "Pausar", "Abrir")], page
    other.switch_page("app_pages/explore.py").run()
    other.radio(key="explore.source").set_value("runs").run()
    assert any("Aún no tienes ejecuciones" in info.value for info in other.info)

    # Nothing B did touched A's run: it is still going, and A still has it.
    assert run.snapshot().active and not run.stop_requested
    assert reg.get(a_sid, a_run) is run
    student.switch_page("app_pages/runs.py").run()
    assert a_run in "\n".join(texts(student))


def test_teacher_view_needs_the_password_and_stops_any_job(sessions_dir):
    # Without teacher_password in secrets (another secret set, so a local secrets.toml cannot interfere): the
    # password the server made guards the page (tests/test_teacher.py signs in with it).
    closed = new_app()
    closed.secrets["unrelated"] = "x"
    closed.run()
    closed.switch_page("app_pages/teacher.py").run()
    assert not closed.exception
    assert any("No hay contraseña" in caption.value for caption in closed.caption)
    assert [t.label for t in closed.text_input] == ["Contraseña"] and not closed.tabs

    student, a_sid, run = _student_starts_a_run()
    teacher = new_app()
    teacher.secrets["teacher_password"] = PASSWORD
    teacher.run()
    teacher.switch_page("app_pages/teacher.py").run()
    assert not teacher.exception
    assert teacher.session_state["session_id"] != a_sid
    assert run.run_id not in "\n".join(texts(teacher)), "no jobs before signing in"

    (password,) = teacher.text_input
    password.set_value(PASSWORD.upper())
    teacher.button(key="FormSubmitter:teacher.login-Entrar").click().run()
    assert [e.value for e in teacher.error] == ["Contraseña incorrecta."]
    assert run.run_id not in "\n".join(texts(teacher))
    assert "teacher.ok" not in teacher.session_state

    teacher.text_input[0].set_value(PASSWORD)
    teacher.button(key="FormSubmitter:teacher.login-Entrar").click().run()
    assert not teacher.exception and not teacher.error
    assert not teacher.text_input, "signed in: the form is gone"
    page_text = "\n".join(texts(teacher))
    assert run.run_id in page_text and a_sid[:8] in page_text, "the other session's job is listed"
    assert [m.label for m in teacher.metric][:2] == ["CPU", "Memoria del sistema"]

    teacher.button(key=f"teacher.stop.{run.run_id}").click().run()
    assert not teacher.exception
    assert run.stop_requested
    assert run.wait(120), "the stopped run's thread did not end"
    assert run.snapshot().state == RunState.STOPPED
    poll(teacher, lambda at: any("No hay trabajos" in info.value for info in at.info), timeout=30)

    # The student's own page agrees: its run was stopped.
    student.run()
    assert any("Ejecución detenida" in info.value for info in student.info)
