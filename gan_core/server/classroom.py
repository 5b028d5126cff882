"""The class as a whole: the teacher's password on first start, class limits, shared runs and exercise links.

Everything here lives in the sessions folder (never in the repository) and is read by one server process;
every object may be used from any session's thread."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import hmac
import json
import os
import re
import secrets
import threading
import time
import unicodedata
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from ..data.datasets import BUILTIN_DATASETS, CIFAR_ANIMALS
from ..i18n import GanError, Message
from ..training.config import TrainConfig, from_choices, recipe
from ..training.presets import PRESETS
from ..training.settings import AUTO, LOCKABLE, MAX_EPOCHS, MAX_MINUTES, SETTINGS
from . import housekeeping

PASSWORD_FILE = ".teacher_password"  # made on first start when secrets name none; mode 0600
LIMITS_FILE = "class_limits.json"
GALLERY_FILE = "gallery.json"
IMAGE_SIZE_LIMITS = (0, 32, 64)  # 0: no limit
UPLOADS = "upload"  # in ClassLimits.datasets: the students' own photo sets
MAX_NICKNAME = 24
NICKNAME_PUNCTUATION = " -'."  # besides letters and digits; nothing markdown or HTML gives a meaning to on its own
# Words a nickname may not contain, compared without case or accents: the teacher's and the app's own voice.
RESERVED_IN_NICKNAMES = ("profesor", "teacher", "docente", "admin", "moderador", "moderator", "instructor")
RESERVED_NICKNAME_WORDS = ("profe", "profa", "tutor", "tutora", "staff", "sistema", "system", "aula")
# Writing systems a name may mix: Japanese writes one name in kanji and kana.
SCRIPT_FAMILIES = {"HIRAGANA": "CJK", "KATAKANA": "CJK", "CJK": "CJK"}
EXERCISE_VERSION = 1
MAX_EXERCISE_CHARS = 4000  # a link's payload; far above what a real exercise needs
MAX_RETENTION_DAYS = 3650
MAX_DISK_BUDGET_GB = 1_000_000
# The datasets a class may offer and an exercise link may name: the engine's built-in sets and each animal alone.
BUILTIN_CHOICES = (*BUILTIN_DATASETS, *(f"cifar_animals:{animal}" for animal in CIFAR_ANIMALS))


def _write_private(path: Path, text: str) -> None:
    """Replace `path` atomically with `text`, readable by the server's user only."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as file:
        file.write(text)
    os.replace(temporary, path)


# --- the teacher's password on first start -------------------------------------------------------------------

def generated_password(root: Path) -> tuple[str, Path]:
    """The password made for this server when secrets configure none: read from root/.teacher_password, or made
    there (16 random URL-safe characters, mode 0600) the first time. Kept across restarts, so a teacher who noted
    it is not surprised; deleting the file makes a new one at the next start."""
    path = Path(root) / PASSWORD_FILE
    try:
        password = path.read_text().strip()
        if len(password) >= 10:
            return password, path
    except FileNotFoundError:
        pass
    _write_private(path, secrets.token_urlsafe(12))
    return path.read_text().strip(), path


# --- class limits -----------------------------------------------------------------------------------------

@dataclass
class ClassLimits:
    """What the teacher allows for new runs (zero or empty: no limit), and what the server keeps for the class (zero:
    the server's default, gan_core.server.retention)."""

    max_epochs: int = 0
    max_minutes: float = 0.0  # every run gets a time budget of at most this
    presets: list = field(default_factory=list)  # recipe names offered; empty: all
    datasets: list = field(default_factory=list)  # built-in dataset choices offered, and/or UPLOADS; empty: all
    image_size: int = 0  # photo sets are trained at most this size (32 or 64)
    retention_days: float = 0  # a session's files are kept this many days after its last visit; 0: the server's default
    disk_budget_gb: float = 0.0  # what all sessions together may keep on disk; 0: the server's default

    def validate(self) -> None:
        """Each limit within its range; a run's own limits are the settings table's (an epochs limit above what a
        run may ask would limit nothing)."""
        for name, value, high in (("max_epochs", self.max_epochs, MAX_EPOCHS), ("max_minutes", self.max_minutes,
                                                                                MAX_MINUTES),
                                  ("retention_days", self.retention_days, MAX_RETENTION_DAYS),
                                  ("disk_budget_gb", self.disk_budget_gb, MAX_DISK_BUDGET_GB)):
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= high:
                raise GanError("error.out_of_range", field=name, value=value, low=0, high=high)
        if self.image_size not in IMAGE_SIZE_LIMITS:
            raise GanError("error.unknown_choice", field="image_size", value=self.image_size,
                           choices=", ".join(map(str, IMAGE_SIZE_LIMITS)))
        for name in self.presets:
            if name not in PRESETS:
                raise GanError("error.unknown_preset", value=name, choices=", ".join(PRESETS))
        if not all(isinstance(name, str) for name in self.datasets):
            raise GanError("error.unknown_choice", field="datasets", value=self.datasets, choices="mnist, …")

    @property
    def active(self) -> bool:
        """Whether any limit on runs is set (what the server keeps is not a limit a student is told about)."""
        return dataclasses.replace(self, retention_days=0, disk_budget_gb=0.0) != ClassLimits()

    def allows_preset(self, name: str) -> bool:
        return not self.presets or name in self.presets

    def allows_dataset(self, choice: str) -> bool:
        """`choice` as the train form names it: a built-in set ("mnist", "cifar_animals:cat") or "upload:<id>"."""
        if not self.datasets:
            return True
        return choice in self.datasets or (choice.startswith(UPLOADS + ":") and UPLOADS in self.datasets)

    def apply(self, config: TrainConfig, dataset_choice: str) -> list[Message]:
        """Cap `config` (in place) to the limits; returns the reason for every value changed. A recipe or dataset
        the class does not offer is refused (GanError), never swapped for another."""
        if not self.allows_preset(config.preset):
            raise GanError("error.limit_preset", preset=config.preset)
        if not self.allows_dataset(dataset_choice):
            raise GanError("error.limit_dataset", dataset=dataset_choice.partition(":")[0])
        reasons = []
        if self.max_epochs and config.epochs > self.max_epochs:
            reasons.append(Message("limit.epochs", asked=config.epochs, limit=self.max_epochs))
            config.epochs = int(self.max_epochs)
        if self.max_minutes and not 0 < config.max_minutes <= self.max_minutes:
            reasons.append(Message("limit.minutes", limit=f"{self.max_minutes:g}"))
            config.max_minutes = float(self.max_minutes)
        if self.image_size and config.image_size > self.image_size:
            reasons.append(Message("limit.image_size", asked=config.image_size, limit=self.image_size))
            config.image_size = int(self.image_size)
        return reasons

    def allow_more(self, epochs_done: int, total_epochs: int, extra_epochs: int,
                   trained_seconds: float) -> tuple[int, list[Message]]:
        """Training a run further (continue, start again, train more, after a server restart) under the limits, which
        bound the run's total over all its continues, epochs and minutes alike. Returns the run's total epochs from
        now on and the reason for anything cut; GanError when the run is already at a limit: nothing may be queued."""
        if self.max_minutes and trained_seconds >= self.max_minutes * 60:
            raise GanError("error.limit_minutes_reached", limit=f"{self.max_minutes:g}")
        wanted = total_epochs + extra_epochs
        if not self.max_epochs or wanted <= self.max_epochs:
            return wanted, []
        if epochs_done >= self.max_epochs:
            raise GanError("error.limit_epochs_reached", epochs=epochs_done, limit=self.max_epochs)
        if extra_epochs and total_epochs < self.max_epochs:
            reason = Message("limit.extra_epochs", asked=extra_epochs, limit=self.max_epochs,
                             granted=self.max_epochs - total_epochs)
        else:  # a run that asked for more than a limit set after it started
            reason = Message("limit.epochs", asked=wanted, limit=self.max_epochs)
        return int(self.max_epochs), [reason]

    @classmethod
    def from_dict(cls, data: dict) -> "ClassLimits":
        known = {f.name for f in dataclasses.fields(cls)}
        return cls(**{key: value for key, value in data.items() if key in known})


def load_limits(root: Path) -> ClassLimits:
    """The class's limits (none when the teacher never set any, or the file is unreadable)."""
    try:
        limits = ClassLimits.from_dict(json.loads((Path(root) / LIMITS_FILE).read_text()))
        limits.validate()
        return limits
    except (OSError, ValueError, TypeError, GanError):
        return ClassLimits()


def save_limits(root: Path, limits: ClassLimits) -> None:
    limits.validate()
    _write_private(Path(root) / LIMITS_FILE, json.dumps(dataclasses.asdict(limits), indent=2))


# --- the class gallery --------------------------------------------------------------------------------------

@dataclass
class Share:
    """A run a student chose to show the class, under a nickname. share_id is what pages and links name: never
    the session id (the session's key) and never needed to reach the run's files."""

    share_id: str
    session_id: str
    run_id: str
    nickname: str
    shared_at: float
    hidden: bool = False  # by the teacher: off the students' gallery, still on the teacher's


def _script(character: str) -> str:
    """The writing system of a letter, from its Unicode name ("LATIN SMALL LETTER A" -> "LATIN")."""
    first = unicodedata.name(character, "UNKNOWN").split(" ")[0]
    return SCRIPT_FAMILIES.get(first, first)


def nickname_skeleton(nickname: str) -> str:
    """What two nicknames are compared by: without case, accents or spaces ("Jósé  Luis" and "jose luis" match)."""
    decomposed = unicodedata.normalize("NFKD", nickname)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def check_nickname(text: str) -> str:
    """The nickname as it will be shown, or GanError: it must be plain text a classmate cannot mistake for anything
    else. 1 to MAX_NICKNAME characters (checked before anything is cut, so a long one gets the message); letters of
    one writing system (a Latin name with a Cyrillic "Р" looks like another name), ASCII digits and " -'." only (no
    markdown or HTML: pages show it as text anyway); not a pasted key; not the teacher's or the app's own words."""
    nickname = " ".join(unicodedata.normalize("NFKC", str(text or "")).split())
    if re.search(r"[0-9a-fA-F]{16}", nickname):  # a pasted session id or address: refuse, it would be public
        raise GanError("error.nickname_key")
    if not 1 <= len(nickname) <= MAX_NICKNAME:
        raise GanError("error.nickname", limit=MAX_NICKNAME)
    for character in nickname:
        if not (character.isalpha() or unicodedata.category(character).startswith("M")
                or character in "0123456789" or character in NICKNAME_PUNCTUATION):
            raise GanError("error.nickname", limit=MAX_NICKNAME)
    if len({_script(c) for c in nickname if c.isalpha()}) > 1:
        raise GanError("error.nickname_scripts")
    skeleton = nickname_skeleton(nickname)
    words = re.split(r"[ \-'.]+", skeleton)
    if any(word in skeleton.replace(" ", "") for word in RESERVED_IN_NICKNAMES) \
            or any(word in RESERVED_NICKNAME_WORDS for word in words):
        raise GanError("error.nickname_reserved")
    return nickname


def read_gallery_file(root: Path) -> dict:
    """What root/gallery.json holds: {"shares": [share dicts], "hidden_runs": [[session, run]], "hidden_nicknames":
    [...]}; a file from before hidden runs and names were kept (a bare list of shares) reads as its shares. Empty
    when there is none or it cannot be read."""
    try:
        saved = json.loads((Path(root) / GALLERY_FILE).read_text())
    except (OSError, ValueError):
        return {}
    if isinstance(saved, list):
        return {"shares": saved}
    return saved if isinstance(saved, dict) else {}


class Gallery:
    """share_id -> Share, kept in root/gallery.json. A share whose run is gone (deleted, idle clean-up) drops out.

    What the teacher hides stays hidden until the teacher shows it: the run (its session and run id) and the
    nickname (by nickname_skeleton) are remembered, so unsharing and sharing again, or sharing another run under
    the same name, comes back hidden."""

    def __init__(self, root: Path):
        self.root = Path(root)
        self._path = self.root / GALLERY_FILE
        self._lock = threading.Lock()
        self._shares: dict[str, Share] = {}
        self._hidden_runs: set[tuple[str, str]] = set()
        self._hidden_nicknames: set[str] = set()
        saved = read_gallery_file(self.root)
        try:
            for item in saved.get("shares", []):
                share = Share(**item)
                self._shares[share.share_id] = share
            self._hidden_runs = {tuple(pair) for pair in saved.get("hidden_runs", [])}
            self._hidden_nicknames = set(saved.get("hidden_nicknames", []))
        except (ValueError, TypeError, AttributeError):
            pass

    def _save(self) -> None:
        _write_private(self._path, json.dumps({
            "shares": [dataclasses.asdict(s) for s in self._shares.values()],
            "hidden_runs": sorted(self._hidden_runs), "hidden_nicknames": sorted(self._hidden_nicknames)}, indent=1))

    def _exists(self, share: Share) -> bool:
        return (self.root / share.session_id / "runs" / share.run_id / "config.json").is_file()

    def _kept_hidden(self, share: Share) -> bool:
        return (share.session_id, share.run_id) in self._hidden_runs \
            or nickname_skeleton(share.nickname) in self._hidden_nicknames

    def share(self, session_id: str, run_id: str, nickname: str) -> Share:
        """Show the session's run under `nickname` (a second call renames it); hidden if the teacher hid this run
        or this nickname."""
        nickname = check_nickname(nickname)
        with self._lock:
            current = self._find(session_id, run_id)
            if current is not None:
                current.nickname = nickname
            else:
                current = Share(secrets.token_hex(8), session_id, run_id, nickname, time.time())
                self._shares[current.share_id] = current
            current.hidden = current.hidden or self._kept_hidden(current)
            self._save()
            return dataclasses.replace(current)

    def unshare(self, session_id: str, run_id: str) -> None:
        with self._lock:
            current = self._find(session_id, run_id)
            if current is not None:
                del self._shares[current.share_id]
                self._save()

    def share_of(self, session_id: str, run_id: str) -> Share | None:
        with self._lock:
            current = self._find(session_id, run_id)
            return dataclasses.replace(current) if current else None

    def set_hidden(self, share_id: str, hidden: bool) -> None:
        """The teacher hides (or shows again) a share: its run and its nickname, from now on."""
        with self._lock:
            share = self._shares.get(share_id)
            if share is None:
                return
            run, name = (share.session_id, share.run_id), nickname_skeleton(share.nickname)
            if hidden:
                self._hidden_runs.add(run)
                self._hidden_nicknames.add(name)
            else:
                self._hidden_runs.discard(run)
                self._hidden_nicknames.discard(name)
            for other in self._shares.values():
                other.hidden = self._kept_hidden(other)
            self._save()

    # Forty viewers' pages read the gallery several times a second: the disk is looked at outside the lock, so a
    # reader never waits for another's file checks (py-spy had the lock among the app's costliest frames).
    def get(self, share_id: str) -> Share | None:
        with self._lock:
            current = self._shares.get(str(share_id))
            current = dataclasses.replace(current) if current else None
        return current if current is not None and self._exists(current) else None

    def shares(self, include_hidden: bool = False) -> list[Share]:
        """Oldest first; the teacher's view includes hidden ones. A share whose run is gone is dropped."""
        with self._lock:
            listed = [dataclasses.replace(s) for s in sorted(self._shares.values(), key=lambda s: s.shared_at)]
        gone = {share.share_id for share in listed if not self._exists(share)}
        if gone:
            with self._lock:
                for key in gone:
                    self._shares.pop(key, None)
                self._save()
        return [s for s in listed if s.share_id not in gone and (include_hidden or not s.hidden)]

    def _find(self, session_id: str, run_id: str) -> Share | None:
        return next((s for s in self._shares.values() if s.session_id == session_id and s.run_id == run_id), None)


# --- exercise links ---------------------------------------------------------------------------------------

def _exercise_signature(root: Path, payload: str) -> str:
    # A different message prefix from session tokens: neither signature can stand in for the other.
    key = housekeeping.server_secret(root)
    return hmac.new(key, b"exercise:" + payload.encode(), hashlib.sha256).hexdigest()[:32]


def sign_exercise(root: Path, exercise: dict) -> str:
    """What an exercise link carries in ?ex=: the exercise as base64url JSON, a dot, its HMAC under the server's
    secret. Signed so that locks hold (removing one from the address breaks the signature) and so that a changed
    value is refused, not applied; the form still checks every value when it opens one (open_exercise's callers)."""
    body = {"v": EXERCISE_VERSION, **exercise}
    payload = base64.urlsafe_b64encode(json.dumps(body, sort_keys=True, separators=(",", ":")).encode())
    payload_text = payload.decode().rstrip("=")
    return f"{payload_text}.{_exercise_signature(root, payload_text)}"


def open_exercise(root: Path, token: str) -> dict:
    """The exercise a link names: {"dataset", "preset", "values", "locked", "hidden"}. GanError('error.exercise_
    tampered') when the signature does not match (changed by hand, or made by another server), 'error.exercise_bad'
    when its shape is wrong."""
    token = str(token or "")
    payload, _, signature = token.rpartition(".")
    if not payload or len(token) > MAX_EXERCISE_CHARS or not re.fullmatch(r"[A-Za-z0-9_-]+", payload) \
            or not hmac.compare_digest(_exercise_signature(root, payload), signature):
        raise GanError("error.exercise_tampered")
    try:
        body = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except ValueError as exc:
        raise GanError("error.exercise_bad", reason="json") from exc
    if not isinstance(body, dict) or body.get("v") != EXERCISE_VERSION:
        raise GanError("error.exercise_bad", reason="version")
    exercise = {"dataset": body.get("dataset"), "preset": body.get("preset"), "values": body.get("values"),
                "locked": body.get("locked", []), "hidden": body.get("hidden", [])}
    if not isinstance(exercise["dataset"], str) or not isinstance(exercise["preset"], str) \
            or not isinstance(exercise["values"], dict) \
            or not all(isinstance(x, list) and all(isinstance(n, str) for n in x)
                       for x in (exercise["locked"], exercise["hidden"])):
        raise GanError("error.exercise_bad", reason="shape")
    return exercise


def _bad_value(name: str, value) -> GanError:
    return GanError("error.exercise_value", field=name, value=str(value)[:40])


def check_exercise(exercise: dict, limits: ClassLimits, init_sources=()) -> None:
    """Raise GanError unless every value is one the train form itself could have sent (the settings table's
    choices and ranges; `init_sources`: the bundled generators a run may start from), the whole makes a valid
    TrainConfig, and the class offers its recipe and dataset."""
    preset = PRESETS.get(exercise["preset"])
    if preset is None:
        raise _bad_value("preset", exercise["preset"])
    if exercise["dataset"] not in BUILTIN_CHOICES:  # a student's own upload or a path: not for a class link
        raise _bad_value("dataset", exercise["dataset"])
    for name in exercise["locked"] + exercise["hidden"]:
        if name not in LOCKABLE:
            raise _bad_value(name, "?")
    defaults = recipe(exercise["preset"])
    for name, value in exercise["values"].items():
        setting = SETTINGS.get(name)
        if setting is None or not setting.on_form or (name == "clusters" and not preset.self_conditioning):
            raise _bad_value(name, value)
        if name == "init_from":  # a run folder belongs to one session
            if value not in (AUTO, "", *init_sources):
                raise _bad_value(name, value)
        elif not setting.offered(value, defaults):
            raise _bad_value(name, value)
    config = from_choices(exercise["preset"], {**exercise["values"], "dataset": exercise["dataset"]})
    limits.apply(config, exercise["dataset"])  # refuses a recipe or dataset the class does not offer
