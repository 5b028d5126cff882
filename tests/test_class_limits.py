"""Issue 25, items 2-4: the class's limits hold on every path that starts or extends work (new run, continue, train
more, after a server restart), the form offers no more than they allow and the run's panel says why; exercise links
for the signed-in teacher only; one person with many sessions (a cap per client address, the teacher's view by
session). Driven through the app's pages as a teacher and students would, on real MNIST runs."""

from __future__ import annotations

import math
import os
from urllib.parse import parse_qs, urlsplit

import pytest
import streamlit as st
from app_support import class_app, no_bundled_generators, poll, sessions_dir, texts  # noqa: F401 - sessions_dir and no_bundled_generators are fixtures
from streamlit.testing.v1 import AppTest

from gan_core import GanError, RunState
from gan_core.server import classroom, registry
from gan_core.training.settings import MAX_EPOCHS
from gan_ui import state

TEACHER_LOGIN = "FormSubmitter:teacher.login-Entrar"
SAVE_LIMITS = "FormSubmitter:teacher.limits-Guardar límites"
START = "FormSubmitter:train.form-Entrenar"
MAKE_LINK = "FormSubmitter:train.form-Copiar enlace del ejercicio"


pytestmark = pytest.mark.usefixtures("no_bundled_generators")




def _teacher(sessions_dir) -> AppTest:
    at = class_app()
    at.switch_page("app_pages/teacher.py").run()
    at.text_input[0].set_value(classroom.generated_password(sessions_dir)[0])
    at.button(key=TEACHER_LOGIN).click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    return at


def _set_limits(teacher: AppTest, epochs: int = 0, minutes: float = 0.0) -> None:
    """The teacher's Límites tab: maximum epochs and minutes per run, saved (and saved again, in one visit, when the
    teacher changes their mind)."""
    (max_epochs,) = [w for w in teacher.number_input if w.label == "Máximo de épocas por ejecución"]
    (max_minutes,) = [w for w in teacher.number_input if w.label == "Máximo de minutos por ejecución"]
    max_epochs.set_value(epochs)
    max_minutes.set_value(minutes)
    teacher.button(key=SAVE_LIMITS).click().run()
    assert any("Límites guardados" in s.value for s in teacher.success), [e.value for e in teacher.error]
    saved = classroom.load_limits(state.sessions_root())
    assert (saved.max_epochs, saved.max_minutes) == (epochs, minutes)


def _start(at: AppTest, epochs: int | None = None, images: int = 256):
    """A real MNIST run from the train page (batch 32: 8 steps an epoch on 256 images)."""
    if epochs is not None:
        at.number_input(key="hp.fast.epochs").set_value(epochs)
    at.number_input(key="hp.fast.max_images").set_value(images)
    at.select_slider(key="hp.fast.batch_size").set_value(32)
    at.button(key=START).click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    return state.registry().get(at.session_state["session_id"], at.session_state["run_ids"][-1])


def _until_ended(at: AppTest, run, timeout: float = 240) -> None:
    poll(at, lambda _: not run.snapshot(history=False).active, timeout=timeout,
         describe=lambda: run.snapshot(history=False).state)
    at.run()  # the panel as it is drawn once the run has ended


def _reload(at: AppTest, run, lang: str = "es") -> AppTest:
    """The same browser session opened again from its address (a reload, or after a server restart)."""
    return class_app(s=at.session_state["session_token"], run=run.run_id, lang=lang)


def _infos(at: AppTest) -> str:
    return "\n".join(info.value for info in at.info)


def _widget(at: AppTest, kind: str, key: str):
    found = [w for w in getattr(at, kind) if w.key == key]
    return found[0] if found else None


def _both(exc: GanError) -> tuple[str, str]:
    return exc.text("es"), exc.text("en")


# --- item 2: limits that hold ------------------------------------------------------------------------------------

def test_the_form_offers_no_more_than_the_class_limits(sessions_dir):
    early = class_app()  # trained 50 epochs before the teacher set a limit: the form still holds 50
    assert _start(early, epochs=50).config.epochs == 50
    assert early.number_input(key="hp.fast.epochs").value == 50
    assert early.number_input(key="hp.fast.epochs").max == MAX_EPOCHS and early.number_input(key="hp.fast.max_minutes").value == 0

    _set_limits(_teacher(sessions_dir), epochs=4, minutes=2)
    student = class_app()
    epochs, minutes = student.number_input(key="hp.fast.epochs"), student.number_input(key="hp.fast.max_minutes")
    assert (epochs.max, epochs.value) == (4, 4), "the recipe's 5 epochs are not offered"
    assert (minutes.max, minutes.value) == (2.0, 2.0), "no time budget is not offered either"
    early.run()
    assert early.number_input(key="hp.fast.epochs").value == 4, "a value chosen before the limit: its top, not 1"

    # Pressing Train without touching the limits starts what the form showed: nothing capped, nothing to explain.
    run = _start(student)
    assert (run.config.epochs, run.config.max_minutes, run.clock.minutes_limit) == (4, 2.0, 2.0)
    assert run.snapshot().limit_notes == [] and "profesor limita" not in _infos(student)


@pytest.mark.slow
def test_an_exercise_link_made_before_a_limit_is_capped_and_the_panel_says_why(sessions_dir):
    teacher = _teacher(sessions_dir)
    teacher.switch_page("app_pages/train.py").run()
    teacher.number_input(key="hp.fast.epochs").set_value(50)
    teacher.number_input(key="hp.fast.max_images").set_value(256)
    teacher.select_slider(key="hp.fast.batch_size").set_value(32)
    teacher.multiselect(key="exercise.lock_fields").set_value(["epochs"])
    teacher.button(key=MAKE_LINK).click().run()
    (link,) = [code.value for code in teacher.code]
    teacher.switch_page("app_pages/teacher.py").run()
    _set_limits(teacher, epochs=4)

    student = class_app(ex=parse_qs(urlsplit(link).query)["ex"][0])
    epochs = student.number_input(key="hp.fast.epochs")
    assert epochs.disabled and (epochs.max, epochs.value) == (4, 4), "the locked 50 is shown as the class allows"
    student.button(key=START).click().run()
    assert not student.exception and not student.error, [e.value for e in student.error]
    run = state.registry().get(student.session_state["session_id"], student.session_state["run_ids"][-1])
    assert run.config.epochs == 4
    reason = "Épocas: pediste 50, pero tu profesor limita cada ejecución a 4 en esta clase."
    assert reason in _infos(student), "where the student looks after pressing: the run's panel"
    assert reason in _infos(_reload(student, run)), "kept with the run: a reload still says why"
    assert "Epochs: you asked for 50, but your teacher limits each run to 4" in _infos(_reload(student, run, "en"))


@pytest.mark.slow
def test_train_more_stays_within_the_epoch_limit_and_the_panel_says_why(sessions_dir):
    student = class_app()
    run = _start(student, epochs=3)
    _until_ended(student, run)
    assert run.snapshot().state == RunState.FINISHED and run.config.epochs == 3
    more, extra = f"live.{run.run_id}.more", f"live.{run.run_id}.extra"
    assert student.number_input(key=extra).max == 500, "no limit yet: the usual offer"
    student.number_input(key=extra).set_value(500).run()  # the page as the student left it, 500 typed in

    teacher = _teacher(sessions_dir)
    _set_limits(teacher, epochs=5)
    student.button(key=more).click().run()  # pressed on the page drawn before the limit: asks for 500 more
    assert not student.exception
    snap = run.snapshot(history=False)
    assert snap.total_epochs == 5, "3 + 500 is capped to the class's 5 in all"
    assert "pediste 500 más" in _infos(student) and "se entrenarán 2 más" in _infos(student), _infos(student)
    _until_ended(student, run)
    snap = run.snapshot(history=False)
    assert (snap.state, snap.epoch, snap.total_epochs) == (RunState.FINISHED, 5, 5)
    assert '"epochs": 5' in (run.directory / "config.json").read_text()
    assert "pediste 500 más" in _infos(_reload(student, run)), "kept with the run: a reload still says why"

    # At the limit the panel says so in place of "train more"...
    assert _widget(student, "button", more) is None and _widget(student, "number_input", extra) is None
    assert "ya tiene 5 épocas" in _infos(student) and "no puede entrenar más" in _infos(student)
    assert "already has 5 epochs" in _infos(_reload(student, run, "en"))
    # ...and a page drawn while the limit was higher, pressed after the teacher lowered it again, queues nothing.
    _set_limits(teacher, epochs=6)
    student.run()
    assert student.number_input(key=extra).max == 1, "the offer follows the limit: 1 more"
    _set_limits(teacher, epochs=5)
    student.button(key=more).click().run()
    assert not student.exception and not student.error, "said once, as the panel's note"
    assert "ya tiene 5 épocas" in _infos(student)
    assert not run.snapshot(history=False).active and run.config.epochs == 5
    assert state.registry().queue().jobs() == {"running": [], "queued": []}

    # A forged request straight to the server (what the button's callback calls) is refused the same way.
    for extra_epochs in (500, 1):
        with pytest.raises(GanError) as caught:
            state.registry().resume_run(student.session_state["session_id"], run, extra_epochs=extra_epochs)
        es, en = _both(caught.value)
        assert "ya tiene 5 épocas" in es and "already has 5 epochs" in en and "not queued" in en
    assert run.config.epochs == 5 and '"epochs": 5' in (run.directory / "config.json").read_text()


@pytest.mark.slow
def test_the_class_minutes_hold_where_the_run_trains_in_the_worker(tmp_path):
    """The class's time limit travels with the run's folder to the worker process that trains it (a cluster's actor
    opens it the same way), and the app's mirror sees the epochs it was cut to."""
    from gan_core import Run
    from gan_core.server import worker
    from gan_core.server.scheduler import Scheduler
    from gan_core.training.config import recipe

    run = Run.create(tmp_path / "ana", recipe("fast", epochs=50, batch_size=32, max_images=128, clusters=0),
                     owner="ana")
    run.set_class_limits(0.001, [])
    run.start(Scheduler(1, drive=worker.drive))
    assert run.wait(240)
    snap = run.snapshot()
    assert run.remote_pid not in (None, os.getpid()), "it trained in the worker"
    assert snap.state == RunState.FINISHED and snap.message.key == "run.class_time_reached", (snap.message,
                                                                                             snap.traceback)
    assert snap.epoch == 1 and snap.total_epochs == 1, "the app's mirror has the epochs the worker cut"
    assert Run.open(run.directory).config.epochs == 1 and Run.open(run.directory).clock.minutes_limit == 0.001


@pytest.mark.slow
def test_minutes_already_trained_count_on_continue_and_after_a_restart(sessions_dir):
    student = class_app()
    run = _start(student, epochs=200)
    poll(student, lambda _: run.snapshot(history=False).epoch >= 1, timeout=240)
    student.button(key=f"live.{run.run_id}.stop").click().run()
    _until_ended(student, run)
    trained = run.snapshot(history=False).elapsed_seconds
    assert run.snapshot().state == RunState.STOPPED and trained > 0
    continue_key = f"live.{run.run_id}.continue"
    assert _widget(student, "button", continue_key) is not None

    # The teacher allows a little more than this run has trained, in minutes as the form takes them (0.01 = 0.6 s).
    limit = math.ceil((trained + 0.1) / 60 * 100) / 100
    _set_limits(_teacher(sessions_dir), minutes=limit)
    student.button(key=continue_key).click().run()
    assert not student.exception and not student.error, [e.value for e in student.error]
    _until_ended(student, run)
    snap = run.snapshot()
    assert snap.state == RunState.FINISHED and snap.message.key == "run.class_time_reached", (snap.message,
                                                                                             snap.traceback)
    assert snap.epoch < 200 and snap.total_epochs == snap.epoch, "ended at the class's minutes, not a fresh budget"
    assert snap.elapsed_seconds >= limit * 60
    page = _infos(student)
    assert f"limita cada ejecución a {limit:g} min de entrenamiento en total" in page, page
    assert "ya ha entrenado los" in page and "no puede entrenar más" in page
    assert _widget(student, "button", f"live.{run.run_id}.more") is None

    # A server restart forgets every run object; the run reopens from its folder with the minutes it trained.
    st.cache_resource.clear()
    reopened = _reload(student, run, "en")
    assert "has already trained the" in _infos(reopened) and "every continue counted" in _infos(reopened)
    again = state.registry().get(reopened.session_state["session_id"], run.run_id)
    assert again is not run and again.snapshot(history=False).elapsed_seconds >= limit * 60
    with pytest.raises(GanError) as caught:
        state.registry().resume_run(reopened.session_state["session_id"], again, extra_epochs=3)
    es, en = _both(caught.value)
    assert f"ya ha entrenado los {limit:g} minutos" in es and f"already trained the {limit:g} minutes" in en
    assert not again.snapshot(history=False).active and state.registry().queue().jobs()["queued"] == []


# --- item 3: exercise links for the teacher only -------------------------------------------------------------------

def _student_makes_a_link(lang: str) -> None:
    """A script run in a student's browser session that calls the link maker directly."""
    from gan_ui import classroom_view

    classroom_view.make_exercise_link("mnist", "fast", {"epochs": 3, "seed": 7}, (["epochs"], []), lang)
    classroom_view.show_exercise_link(lang)


def test_only_the_signed_in_teacher_makes_exercise_links(sessions_dir):
    student = class_app()
    labels = [b.label for b in student.button]
    assert "Entrenar" in labels and "Copiar enlace del ejercicio" not in labels, labels
    teacher = _teacher(sessions_dir)
    teacher.switch_page("app_pages/train.py").run()
    assert _widget(teacher, "button", MAKE_LINK) is not None, "the teacher's form has it"

    for lang, expected in (("es", "Solo el profesor, con la sesión iniciada"), ("en", "Only the teacher, signed in")):
        called = AppTest.from_function(_student_makes_a_link, args=(lang,), default_timeout=60).run()
        assert not called.exception, [e.value for e in called.exception]
        assert len(called.error) == 1 and expected in called.error[0].value, [e.value for e in called.error]
        assert not called.code and "ex=" not in "\n".join(texts(called)), "no link"


# --- item 4: one person, many sessions ------------------------------------------------------------------------------

def test_many_sessions_from_one_address_queue_one_run_each_with_the_cap_off(tmp_path, monkeypatch):
    """What a student did with fifteen fresh sessions; the cap (off by default) is what stops it."""
    import threading

    import numpy as np

    from gan_core import Dataset
    from gan_core.server.scheduler import Scheduler
    from gan_core.training.config import recipe

    monkeypatch.delenv(registry.ADDRESS_CAP_ENV, raising=False)
    data = Dataset("tiny", np.random.default_rng(0).integers(0, 255, (16, 28, 28, 1), dtype=np.uint8))
    scheduler, taken, finish = Scheduler(1), threading.Event(), threading.Event()

    def someone_else():  # another class's job holds the only slot: every run here waits in the queue
        scheduler.acquire("someone-else", "another-session", threading.Event())
        taken.set()
        finish.wait(60)
        scheduler.release("someone-else")

    threading.Thread(target=someone_else, daemon=True).start()
    assert taken.wait(10)
    runs = RegistryRuns(tmp_path, scheduler, data, recipe)
    try:
        assert registry.address_cap() == 0
        for index in range(15):
            runs.start(f"{index:032x}", "203.0.113.7")
        assert len(scheduler.jobs()["queued"]) == 15, "off by default: a class behind one NAT shares an address"

        monkeypatch.setenv(registry.ADDRESS_CAP_ENV, "16")
        runs.start(f"{15:032x}", "203.0.113.7")
        with pytest.raises(GanError) as caught:
            runs.start(f"{16:032x}", "203.0.113.7")
        es, en = _both(caught.value)
        assert "Desde tu conexión ya hay ejecuciones en cola" in es and "(16)" in es
        assert "From your connection there are already as many runs" in en
        runs.start(f"{17:032x}", "198.51.100.2")  # another address is not affected
        runs.start(f"{18:032x}", None)  # nor the server's own machine (no address)
        assert len(scheduler.jobs()["queued"]) == 18
    finally:
        for run in runs.registry.all_runs():
            run.stop()
        finish.set()


class RegistryRuns:
    """A private registry whose runs train on a tiny dataset in `scheduler`."""

    def __init__(self, tmp_path, scheduler, data, recipe):
        self.registry = registry.RunRegistry(tmp_path / "sessions")
        self.scheduler, self.data, self.recipe = scheduler, data, recipe

    def start(self, session_id: str, address: str | None):
        config = self.recipe("fast", dataset="tiny", batch_size=8, epochs=5, clusters=0)
        return self.registry.start_run(session_id, config, self.data, scheduler=self.scheduler, address=address)


@pytest.mark.slow
def test_the_cap_per_address_refuses_a_second_session_and_the_teacher_cancels_one_session(sessions_dir, monkeypatch):
    monkeypatch.setenv(registry.ADDRESS_CAP_ENV, "1")
    address = {"now": "203.0.113.7"}
    monkeypatch.setattr(state, "client_address", lambda: address["now"])  # AppTest has no connection to read

    first = class_app()
    run = _start(first, epochs=200)
    for lang, expected in (("es", "Desde tu conexión ya hay ejecuciones en cola o entrenando"),
                           ("en", "From your connection there are already as many runs queued or training")):
        second = class_app(lang=lang)  # a fresh session from the same browser
        second.number_input(key="hp.fast.max_images").set_value(256)
        second.button(key=START if lang == "es" else "FormSubmitter:train.form-Train").click().run()
        assert not second.exception
        errors = [e.value for e in second.error]
        assert len(errors) == 1 and expected in errors[0] and "(1)" in errors[0], errors
        assert second.session_state["run_ids"] == [], "nothing started"
        assert not (sessions_dir / second.session_state["session_id"] / "runs").exists(), "nothing written"

    address["now"] = "198.51.100.2"  # a classmate at another address
    other = class_app()
    other_run = _start(other, epochs=200)
    assert other_run.snapshot(history=False).active

    # The address stays in the server's memory: no file holds it, no student's page shows it.
    for path in sessions_dir.rglob("*"):
        if path.is_file():
            assert b"203.0.113.7" not in path.read_bytes(), path
    assert "203.0.113.7" not in "\n".join(texts(first)) + "\n".join(texts(other))

    # The teacher sees the jobs by session, where each connects from, and cancels one session's runs only.
    address["now"] = None
    teacher = _teacher(sessions_dir)
    page = "\n".join(texts(teacher))
    assert f"Sesión {run.owner[:8]}" in page and f"Sesión {other_run.owner[:8]}" in page
    assert "desde 203.0.113.7" in page and "desde 198.51.100.2" in page
    cancel = f"teacher.cancel.{state.registry().session_tag(run.owner)}"
    teacher.button(key=cancel).click().run()
    assert not teacher.exception
    assert run.wait(120) and run.snapshot().state == RunState.STOPPED
    assert other_run.snapshot(history=False).active and not other_run.stop_requested, "the other session goes on"
    teacher.run()
    assert _widget(teacher, "button", cancel) is None and f"Sesión {run.owner[:8]}" not in "\n".join(texts(teacher))

    # With its run stopped, the first address may start again.
    address["now"] = "203.0.113.7"
    again = class_app()
    again.number_input(key="hp.fast.max_images").set_value(256)
    again.button(key=START).click().run()
    assert not again.error, [e.value for e in again.error]
    assert len(again.session_state["run_ids"]) == 1
