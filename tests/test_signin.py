"""The teacher's sign-in (issue 25, item 8; issue 26, items 16 and 17): a guesser cannot lock the real teacher out,
the server's rate still bounds guessing, the console's one-time link signs in once, a reload keeps the teacher
signed in until it expires, and the console names the address students use. The gate on a fake clock; the pages
through AppTest as a teacher and a guesser would use them."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from app_support import new_app, no_bundled_generators, sessions_dir, texts  # noqa: F401 - sessions_dir and no_bundled_generators are fixtures

from gan_core.server import classroom, signin
from gan_core.server.signin import PasswordGate, SignedInSessions, SigninLink

PASSWORD = "la-clave-de-la-profe"
GUESSER, TEACHER = "10.0.0.66", "10.0.0.7"
LINK_RE = re.compile(r"Teacher sign-in link[^:]*: (\S+)")


class FakeClock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


# --- the gate, on a fake clock ----------------------------------------------------------------------------------

def _guess_all_day(gate, clock, every: float = 10, hours: float = 24, teacher_address: str = TEACHER,
                   rotate_sessions: bool = True):
    """Guesses from GUESSER every `every` s, each from a fresh browser session (or all from one); every half hour
    the teacher tries the right password from a new session at `teacher_address`. Returns (the guesses' outcomes,
    the seconds at which the teacher was refused)."""
    outcomes, refused = [], []
    for second in range(0, int(hours * 3600), int(every)):
        clock.now = 1000.0 + second
        session = f"guesser-{second}" if rotate_sessions else "the-guesser"
        outcomes.append(gate.attempt(f"guess-{second}", PASSWORD, session, GUESSER))
        if second % 1800 == 0 and gate.attempt(PASSWORD, PASSWORD, f"teacher-{second}", teacher_address) != "ok":
            refused.append(second)
    return outcomes, refused


def test_a_guesser_trying_all_day_never_keeps_the_teacher_out():
    """The attack that locked the old gate 100% of the time, worse: a guess every 10 s all day, each from a fresh
    browser session. The teacher at another address is never refused, and the guesser's address gets
    ADDRESS_FAILURES passwords compared per hour, the rest refused uncompared."""
    clock = FakeClock()
    gate = PasswordGate(clock)
    outcomes, refused = _guess_all_day(gate, clock)
    assert refused == [], "the teacher at another address is never refused"
    assert outcomes.count("wrong") <= signin.ADDRESS_FAILURES * 24, "the address's rate bounds the guesser"
    assert outcomes.count("locked") > 0.9 * len(outcomes), "most guesses are refused without comparing"


def test_at_the_guessers_own_address_the_teacher_gets_in_whatever_one_session_guesses():
    """Behind one NAT (the whole class at one address): a guesser in one browser session, a guess every 5 s all
    day, never keeps the teacher out from another session there."""
    clock = FakeClock()
    gate = PasswordGate(clock)
    outcomes, refused = _guess_all_day(gate, clock, every=5, teacher_address=GUESSER, rotate_sessions=False)
    assert refused == []
    assert gate.seconds_locked("the-guesser", GUESSER) > 0, "the guesser's own session is locked"
    assert outcomes.count("wrong") <= signin.SESSION_FAILURES * 48, "5 guesses per half hour"


def test_a_guesser_rotating_sessions_at_the_teachers_address_leaves_the_link_and_a_signed_in_session():
    """What the server cannot tell apart: a guesser opening new tabs at the teacher's own address (one NAT) fills
    that address's scope, and the password is refused there while they keep at it (the server's rate must bound
    guessing). The teacher who signed in before the class keeps their session (remembered by its id), the console's
    one-time link signs in whatever the gate says, and the password works again within the hour after the guessing
    stops."""
    clock = FakeClock()
    gate = PasswordGate(clock)
    remembered = SignedInSessions(seconds=12 * 3600, clock=clock)
    remembered.remember("the-teacher")
    outcomes, refused = _guess_all_day(gate, clock, hours=6, teacher_address=GUESSER)
    assert refused, "a shared address's scope is shared"
    assert outcomes.count("wrong") <= signin.ADDRESS_FAILURES * 6
    assert remembered.holds("the-teacher"), "signed in before: still signed in"
    link = SigninLink()
    assert link.consume(link.current()), "the console's link does not ask the gate"
    clock.now += signin.ADDRESS_WINDOW
    assert gate.attempt(PASSWORD, PASSWORD, "teacher-later", GUESSER) == "ok"


def test_five_wrong_in_one_session_lock_it_the_right_one_included_and_the_lock_lapses():
    clock = FakeClock()
    gate = PasswordGate(clock)
    assert [gate.attempt(f"g{i}", PASSWORD, "s1", GUESSER) for i in range(signin.SESSION_FAILURES)] == \
        ["wrong"] * signin.SESSION_FAILURES
    compared = gate.compared
    assert gate.attempt(PASSWORD, PASSWORD, "s1", GUESSER) == "locked", "locked: not even compared"
    assert gate.compared == compared
    assert gate.seconds_locked("s1", GUESSER) == signin.SESSION_WINDOW
    assert gate.seconds_locked("s2", GUESSER) == 0 and gate.attempt(PASSWORD, PASSWORD, "s2", GUESSER) == "ok"
    clock.now += signin.SESSION_WINDOW
    assert gate.attempt(PASSWORD, PASSWORD, "s1", GUESSER) == "ok", "once the window has passed"


def test_the_servers_rate_bounds_guesses_from_any_number_of_sessions_and_addresses():
    """A guesser with a thousand addresses, a fresh session for every guess, one guess a second for three hours:
    at most SERVER_FAILURES passwords compared in any hour. The teacher's password is then refused for a while,
    and the one-time link still signs in."""
    clock = FakeClock()
    gate = PasswordGate(clock)
    hours = 3
    per_hour = [0] * hours
    for second in range(hours * 3600):
        clock.now = 1000.0 + second
        if gate.attempt(f"guess-{second}", PASSWORD, f"s-{second}", f"10.1.{second % 1000 // 250}.{second % 250}") \
                == "wrong":
            per_hour[second // 3600] += 1
    assert per_hour == [signin.SERVER_FAILURES] * hours, per_hour
    assert gate.attempt(PASSWORD, PASSWORD, "teacher", TEACHER) == "locked"
    link = SigninLink()
    assert link.consume(link.current())


def test_memory_stays_bounded_under_guessing():
    clock = FakeClock()
    gate = PasswordGate(clock)
    for second in range(20_000):
        clock.now = 1000.0 + second
        gate.attempt("x", PASSWORD, f"s-{second}", f"10.2.{second % 200}.1")
    assert len(gate._by_session) <= signin.SERVER_FAILURES and len(gate._by_address) <= signin.SERVER_FAILURES


def test_the_one_time_link_signs_in_once():
    link = SigninLink()
    first = link.current()
    assert len(first) >= 40
    assert not link.consume("not-the-token") and not link.consume("") and link.current() == first, \
        "a wrong token changes nothing"
    assert link.consume(first)
    assert not link.consume(first), "not twice"
    assert link.current() != first and link.consume(link.current())


def test_a_signed_in_session_is_remembered_until_it_expires():
    clock = FakeClock()
    sessions = SignedInSessions(seconds=3600, clock=clock)
    sessions.remember("a" * 32)
    assert sessions.holds("a" * 32) and not sessions.holds("b" * 32)
    clock.now += 3599
    assert sessions.holds("a" * 32)
    clock.now += 2
    assert not sessions.holds("a" * 32)
    sessions.remember("b" * 32)
    sessions.forget("b" * 32)
    assert not sessions.holds("b" * 32)


# --- through the pages ------------------------------------------------------------------------------------------

pytestmark = pytest.mark.usefixtures("no_bundled_generators")


def _browser(lang: str = "es", password: str | None = PASSWORD, **query):
    """A new browser session on the teacher page (query parameters as in its address)."""
    at = new_app()
    if password is None:
        at.secrets["unrelated"] = "x"
    else:
        at.secrets["teacher_password"] = password
    at.query_params["lang"] = lang
    for name, value in query.items():
        at.query_params[name] = value
    at.run()
    at.switch_page("app_pages/teacher.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _is_teacher(at) -> bool:
    return bool(at.tabs) and at.session_state["teacher.ok"] is True


def _submit(at, password: str, lang: str = "es"):
    at.text_input[0].set_value(password)
    at.button(key=f"FormSubmitter:teacher.login-{'Entrar' if lang == 'es' else 'Enter'}").click().run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _link(printed: str) -> str:
    links = LINK_RE.findall(printed)
    assert links, printed
    return links[-1]


def test_the_console_link_signs_in_once_and_leaves_the_address(sessions_dir, capsys):
    from gan_ui import teacher_view

    first = _browser(password="corta")  # a password too short to work: the link still does
    printed = capsys.readouterr().out
    link = _link(printed)
    token = parse_qs(urlsplit(link).query)["signin"][0]
    assert urlsplit(link).path == "/teacher" and token not in "\n".join(texts(first))

    teacher = _browser(signin=token)
    assert _is_teacher(teacher), [e.value for e in teacher.error]
    assert "signin" not in teacher.query_params, "taken out of the address"
    assert token not in "\n".join(texts(teacher)), "never shown on a page"
    next_link = _link(capsys.readouterr().out)
    assert next_link != link, "the console shows the next one"
    assert teacher_view.signin_link().current() == parse_qs(urlsplit(next_link).query)["signin"][0]

    for lang, words in (("es", "Este enlace de acceso ya se usó"), ("en", "This sign-in link was already used")):
        again = _browser(lang, signin=token)  # the same link, in another browser: not twice
        assert not again.tabs and "teacher.ok" not in again.session_state
        assert any(words in e.value for e in again.error), [e.value for e in again.error]
        assert "signin" not in again.query_params
    made_up = _browser("en", signin="x" * 43)
    assert not made_up.tabs and any("already used" in e.value for e in made_up.error)
    assert teacher_view.signin_link().current() == parse_qs(urlsplit(next_link).query)["signin"][0], \
        "refused links change nothing"


def test_a_guesser_locks_their_own_session_not_the_teacher(sessions_dir, monkeypatch):
    from gan_ui import teacher_view

    clock = FakeClock()
    gate = PasswordGate(clock)
    monkeypatch.setattr(teacher_view, "password_gate", lambda: gate)
    monkeypatch.setattr(teacher_view, "client_address", lambda: GUESSER)  # everyone behind one NAT
    guesser = _browser()
    for guess in range(signin.SESSION_FAILURES):
        _submit(guesser, f"guess-{guess}")
    assert any("Demasiadas contraseñas incorrectas" in e.value for e in guesser.error)
    _submit(guesser, PASSWORD)
    assert not guesser.tabs and "teacher.ok" not in guesser.session_state, "locked: not even the right one"
    english = _browser("en")
    for guess in range(signin.SESSION_FAILURES):
        _submit(english, f"guess-{guess}", "en")
    assert any("Too many wrong passwords" in e.value and "one-time link" in e.value for e in english.error)

    teacher = _browser()  # another browser session at the same address
    assert not any("Demasiadas" in e.value for e in teacher.error)
    _submit(teacher, PASSWORD)
    assert _is_teacher(teacher)


def test_a_reload_keeps_the_teacher_signed_in_until_it_expires_or_signs_out(sessions_dir, monkeypatch):
    from gan_ui import teacher_view

    clock = FakeClock()
    remembered = SignedInSessions(seconds=3600, clock=clock)
    monkeypatch.setattr(teacher_view, "signed_in_sessions", lambda: remembered)
    teacher = _submit(_browser(), PASSWORD)
    assert _is_teacher(teacher)
    address = teacher.query_params["s"]

    reloaded = _browser(s=address)  # a reload is a new Streamlit session with the same address
    assert reloaded.session_state["session_id"] == teacher.session_state["session_id"]
    assert _is_teacher(reloaded) and not reloaded.text_input, "no password asked again"
    reloaded.switch_page("app_pages/train.py").run()
    assert reloaded.session_state["teacher.ok"], "the teacher on every page (exercise links)"
    student = _browser()
    assert not student.tabs and "teacher.ok" not in student.session_state, "another browser is not the teacher"

    clock.now += 3601
    expired = _browser(s=address)
    assert not expired.tabs and "teacher.ok" not in expired.session_state and expired.text_input
    reloaded.run()
    assert "teacher.ok" not in reloaded.session_state, "expired on the open page too"

    again = _submit(_browser(s=address), PASSWORD)
    again.button(key="teacher.sign_out").click().run()
    assert not again.tabs and "teacher.ok" not in again.session_state
    assert not _browser(s=address).tabs, "signed out: a reload asks again"


def test_the_console_prints_the_address_students_use(sessions_dir, capsys, monkeypatch):
    from streamlit import net_util

    monkeypatch.setattr(net_util, "get_internal_ip", lambda: "192.168.40.12")
    _browser(password=None)
    printed = capsys.readouterr().out
    port = 8501
    assert f"Teacher view: http://192.168.40.12:{port}/teacher" in printed, printed
    assert _link(printed).startswith(f"http://192.168.40.12:{port}/teacher?signin="), printed
    assert "localhost" not in printed
    assert f"Teacher password: {classroom.generated_password(sessions_dir)[0]}" in printed
