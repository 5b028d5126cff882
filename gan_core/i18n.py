"""Every sentence a person reads, from one table (texts.toml; Spanish default, English): tr, Message, GanError."""

from __future__ import annotations

import tomllib
from pathlib import Path
from types import MappingProxyType

DEFAULT_LANGUAGE = "es"
LANGUAGES = ("es", "en")
LANGUAGE_NAMES = {"es": "Español", "en": "English"}  # each in its own language, as language pickers do

# key -> {language: text}, read once from texts.toml beside this file; text may hold str.format placeholders.
# Read-only: a sentence is added to texts.toml, never to this table at run time.
TEXTS = MappingProxyType(tomllib.loads(Path(__file__).with_name("texts.toml").read_text(encoding="utf-8")))


class Count(int):
    """A quantity a person reads (images, parameters, values): a message's parameter of this type is written with
    the reader's thousands separator when the message is read (`number`)."""


def number(value: int, lang: str = DEFAULT_LANGUAGE) -> str:
    """A whole number as the reader writes it: 60,000 in English; 60 000 in Spanish (the RAE's rule: a
    non-breaking space between groups of three, none in numbers of four digits, 1500). A comma is the Spanish
    decimal sign, so 60,000 reads as sixty there. The table's "number.grouping" is the smallest grouped number as
    the reader writes it: its digits say where grouping starts, the rest is the separator."""
    value = int(value)
    example = tr("number.grouping", lang)
    separator = "".join(c for c in example if not c.isdigit())
    if abs(value) < int("".join(c for c in example if c.isdigit())):
        return str(value)
    return f"{value:,}".replace(",", separator)


def tr(key: str, lang: str = DEFAULT_LANGUAGE, **params) -> str:
    """Text for `key` in `lang`, formatted with `params`; falls back to Spanish, then to the key."""
    entry = TEXTS.get(key)
    if entry is None:
        return key
    text = entry.get(lang) or entry[DEFAULT_LANGUAGE]
    params = {name: number(value, lang) if isinstance(value, Count) else value for name, value in params.items()}
    try:
        return text.format(**params)
    except (KeyError, IndexError, ValueError):
        return text


class Message:
    """A translatable sentence: a key and its parameters, rendered in any language later."""

    def __init__(self, key: str, **params):
        self.key = key
        self.params = params

    def text(self, lang: str = DEFAULT_LANGUAGE) -> str:
        """The sentence in `lang`; a parameter that is itself a Message (a reason) is put in the same language."""
        params = {k: v.text(lang) if isinstance(v, Message) else v for k, v in self.params.items()}
        return tr(self.key, lang, **params)

    def to_dict(self) -> dict:
        return {"key": self.key, "params": {k: _jsonable(v) for k, v in self.params.items()}}

    @classmethod
    def from_dict(cls, data: dict) -> "Message":
        return cls(data["key"], **{k: _from_jsonable(v) for k, v in data.get("params", {}).items()})

    def __repr__(self) -> str:
        return f"Message({self.key!r}, {self.params!r})"


def _jsonable(value):
    """A parameter as JSON, for a message that crosses a process or is kept on disk: a Count and a reason (a Message)
    keep what they are, so the reader's separators and language still apply where it is read."""
    if isinstance(value, Count):
        return {"count": int(value)}
    if isinstance(value, Message):
        return {"message": value.to_dict()}
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)


def _from_jsonable(value):
    if isinstance(value, dict) and set(value) == {"count"}:
        return Count(value["count"])
    if isinstance(value, dict) and set(value) == {"message"}:
        return Message.from_dict(value["message"])
    return value


class GanError(Exception):
    """An error a person must read: carries a translatable Message; str() is Spanish."""

    def __init__(self, key: str, details=None, **params):
        self.message = Message(key, **params)
        self.details = details  # optional data for the UI (e.g. the files an upload skipped, with reasons)
        super().__init__(self.message.text(DEFAULT_LANGUAGE))

    def text(self, lang: str = DEFAULT_LANGUAGE) -> str:
        return self.message.text(lang)
