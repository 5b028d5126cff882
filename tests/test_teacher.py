"""The teacher's side (issue 19): a password on first start, exercise links, the class gallery, class limits and the
projector, driven through the app's pages as a teacher and students would."""

from __future__ import annotations

import base64
import json
import re
import stat
from urllib.parse import parse_qs, urlsplit

import pytest
from app_support import class_app, new_app, no_bundled_generators, poll, sessions_dir, texts  # noqa: F401 - sessions_dir and no_bundled_generators are fixtures
from streamlit.testing.v1.errors import AppTestError

from gan_core.server import classroom
from gan_ui import state

TEACHER_LOGIN = "FormSubmitter:teacher.login-Entrar"
MAKE_LINK = "FormSubmitter:train.form-Copiar enlace del ejercicio"
START = "FormSubmitter:train.form-Entrenar"


pytestmark = pytest.mark.usefixtures("no_bundled_generators")




def _sign_in(at, password: str):
    at.switch_page("app_pages/teacher.py").run()
    at.text_input[0].set_value(password)
    at.button(key=TEACHER_LOGIN).click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    return at


def _teacher(sessions_dir):
    return _sign_in(class_app(), classroom.generated_password(sessions_dir)[0])


def _widget(at, kind: str, key: str):
    found = [w for w in getattr(at, kind) if w.key == key]
    return found[0] if found else None


def _started_run(at):
    (run_id,) = at.session_state["run_ids"]
    return state.registry().get(at.session_state["session_id"], run_id)


def _small_run(at, epochs: int = 200):
    """A real MNIST run on 256 images, batch 32, from the train page."""
    at.number_input(key="hp.fast.epochs").set_value(epochs)
    at.number_input(key="hp.fast.max_images").set_value(256)
    at.select_slider(key="hp.fast.batch_size").set_value(32)
    at.button(key=START).click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    return _started_run(at)


# --- works on first start ------------------------------------------------------------------------------------

def test_first_start_prints_a_password_that_opens_the_teacher_page(sessions_dir, capsys):
    at = class_app()
    printed = capsys.readouterr().out
    match = re.search(r"Teacher password: (\S+)", printed)
    assert match, printed
    password = match.group(1)
    assert len(password) >= 10 and "http://" in printed and "/teacher" in printed, printed
    kept = sessions_dir / classroom.PASSWORD_FILE
    assert kept.read_text().strip() == password
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600, "readable by the server's user only"

    at.switch_page("app_pages/teacher.py").run()
    assert any("No hay contraseña" in caption.value for caption in at.caption)
    at.text_input[0].set_value(password + "x")
    at.button(key=TEACHER_LOGIN).click().run()
    assert [e.value for e in at.error] == ["Contraseña incorrecta."]
    _sign_in(at, password)
    assert not at.text_input or all(t.key != "teacher.login" for t in at.text_input)
    assert [tab.label for tab in at.tabs] == ["Trabajos", "Galería", "Límites", "Enlace de ejercicio", "Disco"]

    # A restart keeps the same password and prints it again (once per server process).
    import streamlit as st

    st.cache_resource.clear()
    class_app()
    assert f"Teacher password: {password}" in capsys.readouterr().out
    class_app()
    assert "Teacher password" not in capsys.readouterr().out, "printed once, not at every page load"

    # A configured password wins: the generated one no longer opens the page.
    configured = new_app()
    configured.secrets["teacher_password"] = "chosen-by-the-teacher"
    configured.run()
    configured.switch_page("app_pages/teacher.py").run()
    assert not any("No hay contraseña" in caption.value for caption in configured.caption)
    configured.text_input[0].set_value(password)
    configured.button(key=TEACHER_LOGIN).click().run()
    assert [e.value for e in configured.error] == ["Contraseña incorrecta."]
    _sign_in(configured, "chosen-by-the-teacher")


# --- exercise links ---------------------------------------------------------------------------------------------

def _make_exercise_link(sessions_dir) -> str:
    """The teacher sets the form, locks recipe, dataset, epochs and seed, hides the loss, and copies the link."""
    teacher = _teacher(sessions_dir)
    teacher.switch_page("app_pages/train.py").run()
    teacher.number_input(key="hp.fast.epochs").set_value(3)
    teacher.number_input(key="hp.fast.seed").set_value(1234)
    teacher.number_input(key="hp.fast.max_images").set_value(256)
    teacher.select_slider(key="hp.fast.batch_size").set_value(32)
    teacher.select_slider(key="hp.fast.g_lr").set_value(5e-4)
    teacher.multiselect(key="exercise.lock_fields").set_value(["dataset", "preset", "epochs", "seed"])
    teacher.multiselect(key="exercise.hide_fields").set_value(["loss"])
    teacher.button(key=MAKE_LINK).click().run()
    assert not teacher.exception and not teacher.error, [e.value for e in teacher.error]
    assert teacher.session_state["run_ids"] == [], "making a link starts nothing"
    (link,) = [code.value for code in teacher.code]
    assert teacher.session_state["session_id"] not in link and "s=" not in urlsplit(link).query
    return link


def _token(link: str) -> str:
    return parse_qs(urlsplit(link).query)["ex"][0]


def test_an_exercise_link_fills_the_form_and_locked_fields_cannot_be_changed(sessions_dir):
    link = _make_exercise_link(sessions_dir)
    assert urlsplit(link).path == "/", "the train page is the app's default page"

    # A student who never signed in sees no lock choices on their own form.
    plain = class_app()
    assert _widget(plain, "multiselect", "exercise.lock_fields") is None

    student = class_app(ex=_token(link), lang="es")
    assert not student.error, [e.value for e in student.error]
    assert any("Has abierto un ejercicio" in info.value and "Épocas" in info.value for info in student.info)
    epochs, seed = student.number_input(key="hp.fast.epochs"), student.number_input(key="hp.fast.seed")
    assert (epochs.value, seed.value) == (3, 1234) and epochs.disabled and seed.disabled
    assert epochs.label.endswith("🔒")
    assert student.number_input(key="hp.fast.max_images").value == 256
    assert student.select_slider(key="hp.fast.batch_size").value == 32
    learning_rate = student.select_slider(key="hp.fast.g_lr")
    assert learning_rate.value == 5e-4 and not learning_rate.disabled
    assert _widget(student, "selectbox", "hp.fast.loss") is None, "a hidden control is not drawn"
    assert student.selectbox(key="train.preset").disabled and student.selectbox(key="train.dataset").disabled

    # A browser cannot change a locked control; a forged client that writes its state anyway is ignored.
    with pytest.raises(AppTestError):
        epochs.set_value(50)
    student.session_state["hp.fast.epochs"] = 50
    student.session_state["hp.fast.seed"] = 7
    student.select_slider(key="hp.fast.g_lr").set_value(1e-3)
    student.button(key=START).click().run()
    assert not student.exception and not student.error, [e.value for e in student.error]
    config = _started_run(student).config
    assert (config.epochs, config.seed, config.preset, config.dataset) == (3, 1234, "fast", "mnist")
    assert config.generator_optimizer.learning_rate == 1e-3 and config.loss == "bce_logits"


def test_a_tampered_or_bad_exercise_link_gets_a_message_and_changes_nothing(sessions_dir):
    token = _token(_make_exercise_link(sessions_dir))
    payload, signature = token.rsplit(".", 1)
    body = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    body["values"]["epochs"] = 400
    body["locked"] = []
    forged = base64.urlsafe_b64encode(json.dumps(body).encode()).decode().rstrip("=") + "." + signature
    signed_bad = classroom.sign_exercise(sessions_dir, {**body, "values": {**body["values"], "loss": "nope"}})
    too_many = classroom.sign_exercise(sessions_dir, {**body, "values": {**body["values"], "epochs": 100_000}})
    for bad, expected in ((forged, "se ha modificado"), (token[:-1] + ("1" if token.endswith("0") else "0"), "se ha modificado"),
                          ("garbage", "se ha modificado"), (signed_bad, "«loss»"), (too_many, "«epochs»")):
        student = class_app(ex=bad)
        assert not student.exception
        errors = [e.value for e in student.error]
        assert len(errors) == 1 and expected in errors[0] and "No se ha aplicado nada" in errors[0], (bad, errors)
        epochs = student.number_input(key="hp.fast.epochs")
        assert epochs.value != 400 and epochs.value != 100_000 and not epochs.disabled
        assert "exercise" not in student.session_state
    english = class_app(ex=forged, lang="en")
    assert [e.value for e in english.error] == [
        "This exercise link is not valid: it was changed or made by another server. Nothing was applied; ask your "
        "teacher for the link again."]


# --- class gallery ---------------------------------------------------------------------------------------------

def test_a_shared_run_shows_in_another_sessions_gallery_until_unshared(sessions_dir):
    student = class_app()
    run = _small_run(student)
    a_sid = student.session_state["session_id"]
    student.text_input(key=f"share.nick.{run.run_id}").set_value(a_sid)
    student.button(key=f"FormSubmitter:share.{run.run_id}-Compartir esta ejecución").click().run()
    assert any("parece una clave" in e.value for e in student.error), "a session id is never a nickname"
    student.text_input(key=f"share.nick.{run.run_id}").set_value("Ada")
    student.button(key=f"FormSubmitter:share.{run.run_id}-Compartir esta ejecución").click().run()
    assert not student.exception
    assert "Ada" in [t.value for t in student.text], "the nickname, as text"

    other = class_app()
    other.switch_page("app_pages/gallery.py").run()
    poll(other, lambda at: at.image, timeout=120)  # the grid before training is written first
    page = "\n".join(texts(other))
    assert "Ada" in page and a_sid not in page and run.run_id not in page
    # the loss curves' picture beside the grid once the run has steps (a page drawn before them has none)
    poll(other, lambda at: len(at.image) == 2, timeout=120)

    teacher = _teacher(sessions_dir)
    teacher.button(key=f"gallery.toggle.{classroom.Gallery(sessions_dir).shares()[0].share_id}").click().run()
    other.run()
    assert "Ada" not in "\n".join(texts(other)), "hidden by the teacher"
    teacher.run()
    assert "Ada" in "\n".join(texts(teacher)) and "oculta" in "\n".join(texts(teacher)), "the teacher still sees it"
    student.switch_page("app_pages/train.py").run()
    assert any("ocultado" in c.value for c in student.caption)

    student.button(key=f"share.stop.{run.run_id}").click().run()
    for viewer in (other, teacher):
        viewer.run()
        assert "Ada" not in "\n".join(texts(viewer))
    assert any("Nadie ha compartido" in info.value for info in other.info)


# --- class limits and the projector -----------------------------------------------------------------------------

def test_a_class_limit_caps_a_new_run_and_says_why(sessions_dir):
    teacher = _teacher(sessions_dir)
    (max_epochs,) = [w for w in teacher.number_input if w.label == "Máximo de épocas por ejecución"]
    max_epochs.set_value(4)
    (presets,) = [w for w in teacher.multiselect if w.label == "Recetas que se ofrecen"]
    presets.set_value(["fast", "dcgan"])
    teacher.button(key="FormSubmitter:teacher.limits-Guardar límites").click().run()
    assert any("Límites guardados" in s.value for s in teacher.success)
    assert classroom.load_limits(sessions_dir).max_epochs == 4

    student = class_app()
    assert sorted(student.selectbox(key="train.preset").options) == ["dcgan", "fast"]
    assert any("como mucho 4 épocas" in c.value for c in student.caption), "said before anything is chosen"
    assert student.number_input(key="hp.fast.epochs").max == 4, "the form offers no more than the limit"
    run = _small_run(student, epochs=50)  # sent anyway (a forged browser): the run gets no more than 4
    assert run.config.epochs == 4  # a value above the limit that reaches the server is capped and explained:
    # tests/test_class_limits.py (an exercise link made before the limit, train more, continue)

    # The projector shows the student's own run, large, with no controls.
    student.switch_page("app_pages/projector.py").run()
    assert not student.exception
    assert any(run.run_id in m.value for m in student.markdown) or run.run_id in "\n".join(texts(student))
    assert not [b for b in student.button if b.label in ("Detener", "Pausar")]
