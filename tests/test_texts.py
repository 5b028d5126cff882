"""The one translation table (gan_core/texts.toml): complete, consistent, and the only place sentences live."""

from __future__ import annotations

import ast
import re
import string
from pathlib import Path

import pytest

from gan_core.i18n import LANGUAGES, TEXTS, Count, GanError, Message, number, tr

ROOT = Path(__file__).resolve().parent.parent
SOURCES = sorted([*ROOT.glob("gan_core/**/*.py"), *ROOT.glob("gan_ui/**/*.py"), *ROOT.glob("app_pages/**/*.py"),
                  ROOT / "app.py"])
# tr("key", ...), Message("key", ...), GanError("key", ...) with the whole key one literal; f"..." keys and
# "prefix." + name are built at run time and skipped.
LITERAL_KEY = re.compile(r"""\b(?:tr|Message|GanError)\(\s*(["'])([\w.\-]+)\1\s*[,)]""")


def placeholders(text: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(text) if field is not None}


def source_files() -> list[Path]:
    assert SOURCES and all(path.is_file() for path in SOURCES)
    return SOURCES


def test_the_table_is_read_from_texts_toml_and_is_read_only():
    assert (ROOT / "gan_core" / "texts.toml").is_file()
    assert len(TEXTS) > 600
    with pytest.raises(TypeError):
        TEXTS["new.key"] = {"es": "nueva", "en": "new"}  # type: ignore[index]
    assert not hasattr(TEXTS, "update"), "sentences are added to texts.toml, not at import time"


@pytest.mark.parametrize("key", sorted(TEXTS))
def test_every_key_has_both_languages_with_the_same_placeholders(key):
    entry = TEXTS[key]
    assert set(entry) == set(LANGUAGES), (key, sorted(entry))
    assert all(isinstance(entry[lang], str) and entry[lang].strip() for lang in LANGUAGES), key
    assert placeholders(entry["es"]) == placeholders(entry["en"]), key


def test_every_literal_key_in_the_code_is_in_the_table():
    used: dict[str, str] = {}
    for path in source_files():
        for match in LITERAL_KEY.finditer(path.read_text(encoding="utf-8")):
            used.setdefault(match.group(2), str(path.relative_to(ROOT)))
    assert len(used) > 300, "the scan found the keys the code uses"
    missing = {key: where for key, where in used.items() if key not in TEXTS}
    assert missing == {}


def test_every_preset_and_run_state_has_its_text():
    from gan_core import PRESETS, RunState

    missing = [f"preset.{name}" for name in PRESETS] + [f"state.{state.value}" for state in RunState]
    assert [key for key in missing if key not in TEXTS] == []


def test_no_module_holds_translations_of_its_own():
    """No {"es": ..., "en": ...} dict and no `lang == "es"` branch outside texts.toml (the language picker's names
    in i18n.LANGUAGE_NAMES excepted: each is written in its own language, not translated)."""
    found = []
    for path in source_files():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        allowed = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "LANGUAGE_NAMES" for t in node.targets):
                allowed.add(id(node.value))
        for node in ast.walk(tree):
            if isinstance(node, ast.Dict) and id(node) not in allowed:
                keys = {key.value for key in node.keys if isinstance(key, ast.Constant)}
                if keys & set(LANGUAGES):
                    found.append(f"{path.relative_to(ROOT)}:{node.lineno} dict keyed by language")
            elif isinstance(node, ast.Compare):
                constants = {c.value for c in [node.left, *node.comparators] if isinstance(c, ast.Constant)}
                if constants & set(LANGUAGES):
                    found.append(f"{path.relative_to(ROOT)}:{node.lineno} compares with a language code")
    assert found == []


def test_tr_message_and_error_render_from_the_table():
    assert tr("state.running", "en") == TEXTS["state.running"]["en"]
    assert tr("state.running", "fr") == TEXTS["state.running"]["es"]  # an unknown language falls back to Spanish
    assert tr("no.such.key", "en") == "no.such.key"
    error = GanError("error.model_file.layer_not_allowed", layer="Lambda")
    assert "Lambda" in error.text("en") and error.text("en").startswith("The model file is not valid")
    assert str(error) == error.text("es")
    message = Message("error.out_of_range", field="epochs", low=1, high=9, value=12)
    assert Message.from_dict(message.to_dict()).text("en") == message.text("en")


def test_spanish_says_receta_where_the_form_says_receta():
    """Issue #26, item 13: Spanish errors said "preset" where the form says "Receta"; the form's label glosses the
    English word once, and that is the only place it may appear."""
    said = [key for key, entry in TEXTS.items() if key != "train.preset"
            and re.search(r"\bpresets?\b", re.sub(r"\{[^}]*\}", "", entry["es"]), re.IGNORECASE)]
    assert said == []
    assert "receta" in GanError("error.unknown_preset", value="x", choices="fast").text("es").lower()


def test_a_count_is_written_with_the_readers_thousands_separator():
    """Issue #26, item 13: "60,000" on a Spanish page reads as sixty (the comma is the decimal sign there)."""
    assert number(60000, "en") == "60,000" and number(60000, "es") == "60\u00a0000"
    assert number(1500, "es") == "1500" and number(30_000_000, "es") == "30\u00a0000\u00a0000"
    error = GanError("error.model_too_big", params=Count(31_250_000), limit=Count(30_000_000))
    assert "31\u00a0250\u00a0000" in error.text("es") and "31,250,000" in error.text("en")
    assert "," not in error.text("es").split("parámetros")[0]


def test_a_message_keeps_its_counts_and_its_reason_across_a_process_or_a_file():
    """A message that comes back from a child process or a run's status file (JSON) reads as the original did:
    its counts with each reader's separators, a reason (itself a message) in the reader's language."""
    import json

    original = Message("error.model_too_big", params=Count(31_250_000), limit=Count(30_000_000))
    again = Message.from_dict(json.loads(json.dumps(original.to_dict())))
    assert again.text("es") == original.text("es") and again.text("en") == original.text("en")
    assert "31\u00a0250\u00a0000" in again.text("es") and "31,250,000" in again.text("en")
    reason = Message("error.training_process_lost", error="x")
    wrapped = Message("error.model_file", reason=reason)
    back = Message.from_dict(json.loads(json.dumps(wrapped.to_dict())))
    assert back.text("en") == wrapped.text("en") != wrapped.text("es") == back.text("es")


def _calls(name: str):
    """Every call of `<something>.name(...)` in the app's pages and views, with where it is."""
    for path in sorted((ROOT / "gan_ui").glob("*.py")) + sorted((ROOT / "app_pages").glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and getattr(node.func, "attr", None) == name:
                yield f"{path.relative_to(ROOT)}:{node.lineno}", {k.arg: k.value for k in node.keywords}


def test_no_multiselect_shows_streamlits_english():
    """Issue #26, item 11: a multiselect left to itself says "Choose options" and offers "Select all", in English on
    a Spanish page. Each gives its placeholder from the table and turns "Select all" off."""
    found = []
    for where, keywords in _calls("multiselect"):
        placeholder, select_all = keywords.get("placeholder"), keywords.get("select_all")
        if not (isinstance(placeholder, ast.Call) and getattr(placeholder.func, "id", None) == "tr"):
            found.append(f"{where}: no placeholder from the table")
        if not (isinstance(select_all, ast.Constant) and select_all.value is False):
            found.append(f"{where}: Streamlit's English \"Select all\"")
    assert found == []


def test_the_upload_note_quotes_only_what_streamlits_upload_box_shows():
    """Issue #26, item 11: the Spanish note explained «Drag and drop…» and «Limit 300MB per file», words Streamlit
    1.67's box does not show (it shows an "Upload" button and "300MB per file"; "Drag and drop…" only while a file
    is dragged over it). Every English word the note quotes is one the installed box draws at rest."""
    import streamlit

    bundle = next((Path(streamlit.__file__).parent / "static" / "static" / "js").glob("FileUploader.*.js")).read_text()
    # its button ("Upload") and its size line ("300MB per file • ZIP, PNG, …"), as the bundle writes them
    assert "`Upload`" in bundle and " per file`" in bundle, "the installed upload box no longer says this"
    note = tr("upload.note", "es", per_file=300)
    quoted = re.findall(r"«([^»]*)»", note)
    assert quoted and all(q in ("Upload", "300MB per file") for q in quoted), quoted


def test_no_sentence_points_at_a_place_a_phone_moves():
    """Issue #26, item 18: "la cuadrícula de al lado" while, on a phone, the columns stack and the grid is above. A
    sentence names what it means (the grid's own caption), not where it sits beside it."""
    beside = re.compile(r"de al lado|a tu (derecha|izquierda)|\bbeside (this|it)\b|to the (right|left) of this",
                        re.IGNORECASE)
    assert [key for key, entry in TEXTS.items() if any(beside.search(text) for text in entry.values())] == []
    newest = re.sub(r"\s*\(.*", "", tr("live.grid_newest", "es", epoch=1))
    assert f"«{newest}»" in tr("live.grid_following", "es")  # the grid it means, by the caption it has
