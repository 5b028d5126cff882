"""Who may open the teacher view: the password gate, the one-time sign-in link the console prints, and the browser
sessions remembered as signed in. Everything here lives in server memory only (a restart forgets it, and the
console prints a new link); every object may be used from any session's thread.

Why three limits, not one: a lock for the whole server let one guesser keep the real teacher out for good (five
wrong passwords whenever the lock lapsed). Now a guesser is locked where they guess from (their browser session at
their address, then their address), while the whole server's rate still bounds how many passwords can be tried per
hour however many sessions and addresses a guesser uses; and the person at the server always has the link."""

from __future__ import annotations

import hmac
import os
import secrets
import threading
import time
from collections import deque

SESSION_FAILURES, SESSION_WINDOW = 5, 30 * 60  # wrong passwords from one browser session at one address, per window
ADDRESS_FAILURES, ADDRESS_WINDOW = 15, 60 * 60  # from one client address, any sessions: more than one session can do
SERVER_FAILURES, SERVER_WINDOW = 30, 60 * 60  # on the whole server: more than one address can do; bounds brute force
REMEMBER_ENV = "GAN_TEACHER_SIGNIN_HOURS"
DEFAULT_REMEMBER_HOURS = 12.0  # a school day: a reload, or the address reopened, keeps the teacher signed in
LOCAL = "local"  # the address of a browser on the server itself (Streamlit gives none for localhost)


class FailureWindow:
    """The times of recent wrong passwords in one scope: at most `limit` in any `seconds`; the next try waits until
    the oldest of them leaves the window."""

    def __init__(self, limit: int, seconds: float):
        self.limit, self.seconds = limit, seconds
        self._times: deque[float] = deque()

    def forget_before(self, now: float) -> None:
        while self._times and self._times[0] <= now - self.seconds:
            self._times.popleft()

    def wait(self, now: float) -> float:
        """Seconds until one more try is allowed in this scope (0: now)."""
        self.forget_before(now)
        if len(self._times) < self.limit:
            return 0.0
        return self._times[-self.limit] + self.seconds - now

    def add(self, now: float) -> None:
        self._times.append(now)

    def clear(self) -> None:
        self._times.clear()

    def __bool__(self) -> bool:
        return bool(self._times)


class PasswordGate:
    """Wrong passwords are counted in three scopes: this browser session at this address, this address, the
    server. A try is refused without comparing ("locked") while any of its scopes is full. Each scope allows more
    than the one inside it can use, so one guessing session never locks its address and one guessing address never
    locks the server: the teacher in another session or at another address still gets in. Only guessers at several
    addresses together can fill the server's scope; then nobody can try for a while (the rate is what bounds
    guessing), and the console's one-time link still signs the teacher in."""

    def __init__(self, clock=time.monotonic):
        self._clock = clock
        self._lock = threading.Lock()
        self._by_session: dict[tuple[str, str], FailureWindow] = {}
        self._by_address: dict[str, FailureWindow] = {}
        self._server = FailureWindow(SERVER_FAILURES, SERVER_WINDOW)
        self.compared = 0  # passwords compared since start (right or wrong): what a guesser got to try

    def _scopes(self, session: str, address: str) -> list[FailureWindow]:
        address = address or LOCAL
        by_session = self._by_session.setdefault((session, address), FailureWindow(SESSION_FAILURES, SESSION_WINDOW))
        by_address = self._by_address.setdefault(address, FailureWindow(ADDRESS_FAILURES, ADDRESS_WINDOW))
        return [by_session, by_address, self._server]

    def _drop_empty(self, now: float) -> None:
        """Scopes with no failure left in their window are forgotten: memory stays bounded by the server's rate."""
        for table in (self._by_session, self._by_address):
            for key, window in list(table.items()):
                window.forget_before(now)
                if not window:
                    del table[key]

    def seconds_locked(self, session: str, address: str) -> float:
        """How long tries from this session at this address are refused (0: they are not)."""
        with self._lock:
            now = self._clock()
            seconds = max(window.wait(now) for window in self._scopes(session, address))
            self._drop_empty(now)
            return seconds

    def attempt(self, given: str, password: str, session: str, address: str) -> str:
        """"ok", "wrong" or "locked" (then the password was not even compared)."""
        with self._lock:
            now = self._clock()
            scopes = self._scopes(session, address)
            if any(window.wait(now) for window in scopes):
                self._drop_empty(now)
                return "locked"
            self.compared += 1
            if hmac.compare_digest(str(given).encode(), str(password).encode()):
                scopes[0].clear()  # this session's own slips are forgiven; the address's and server's still count
                self._drop_empty(now)
                return "ok"
            for window in scopes:
                window.add(now)
            return "wrong"


class SigninLink:
    """The token of the one-time sign-in link (`/teacher?signin=<token>`), printed on the server's console as
    Jupyter prints its token URL: whoever can read the console is at the server. It signs in once; the next one is
    made at that moment (the caller prints it). Kept in memory only, never on a page or on disk."""

    def __init__(self):
        self._lock = threading.Lock()
        self._token = secrets.token_urlsafe(32)

    def current(self) -> str:
        with self._lock:
            return self._token

    def consume(self, token: str) -> bool:
        """True, once, for the current token; a new one replaces it. False for anything else, changing nothing."""
        with self._lock:
            if not hmac.compare_digest(str(token or "").encode(), self._token.encode()):
                return False
            self._token = secrets.token_urlsafe(32)
            return True


def remember_seconds() -> float:
    return float(os.environ.get(REMEMBER_ENV) or DEFAULT_REMEMBER_HOURS) * 3600


class SignedInSessions:
    """The browser sessions (their ids, the key the address carries in ?s=) signed in as teacher, each until it
    expires: a reload is a new Streamlit session, and this is how it is still the teacher's."""

    def __init__(self, seconds: float | None = None, clock=time.monotonic):
        self._seconds = remember_seconds() if seconds is None else seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._until: dict[str, float] = {}

    def remember(self, session_id: str) -> None:
        with self._lock:
            self._until[session_id] = self._clock() + self._seconds

    def forget(self, session_id: str) -> None:
        with self._lock:
            self._until.pop(session_id, None)

    def holds(self, session_id: str) -> bool:
        with self._lock:
            now = self._clock()
            for expired in [sid for sid, until in self._until.items() if until <= now]:
                del self._until[expired]
            return session_id in self._until
