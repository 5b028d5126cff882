"""Every upload box carries the limit it states (issue 25, item 9): without `max_upload_size` Streamlit lets the
browser send up to server.maxUploadSize (300 MB) to any uploader, and a 150 MB `x.zip` offered to the 2-D
playground's 5 MB loader took the server from 794 to 945 MB. The source is read for every `st.file_uploader` call;
the pages are drawn to read the limit each box sends to the browser; a file past the limit that reaches the server
anyway (a hand-made request) is refused by the server's own check, in both languages, changing nothing.
bench/upload_memory.py measures the server's memory when a 150 MB file is offered."""

from __future__ import annotations

import ast
from pathlib import Path

from app_support import new_app, no_bundled_generators, poll, sessions_dir  # noqa: F401 - sessions_dir and no_bundled_generators are fixtures

from gan_core.i18n import TEXTS

ROOT = Path(__file__).resolve().parents[1]


def _uploader_calls():
    """(file, line, keyword names) of every call to a `file_uploader` in the app's pages and views."""
    files = [ROOT / "app.py", *sorted((ROOT / "app_pages").rglob("*.py")), *sorted((ROOT / "gan_ui").rglob("*.py"))]
    for path in files:
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.Call):
                name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
                if name == "file_uploader":
                    yield path.relative_to(ROOT), node.lineno, {keyword.arg for keyword in node.keywords}


def test_every_file_uploader_in_the_app_sets_max_upload_size():
    calls = list(_uploader_calls())
    assert len(calls) >= 4, f"the walk found the app's uploaders: {calls}"  # data, explore, playground zip and CSV
    missing = [f"{path}:{line}" for path, line, keywords in calls if "max_upload_size" not in keywords]
    assert missing == [], f"uploaders that let the browser send server.maxUploadSize: {missing}"


def _limits(at) -> dict[str, int]:
    """Each upload box's limit as the page sends it to the browser (its key's end -> MB)."""
    return {element.proto.id.rsplit("-", 1)[-1]: element.proto.max_upload_size_mb
            for element in at.get("file_uploader")}




def test_the_playgrounds_boxes_send_their_own_limits_and_the_server_refuses_past_them(
        sessions_dir, no_bundled_generators):
    import streamlit as st

    from gan_core.playground import MAX_CSV_BYTES, MAX_SAVED_BYTES

    server_mb = st.get_option("server.maxUploadSize")
    at = new_app()
    at.run()
    at.switch_page("app_pages/playground.py").run()
    assert not at.exception, [e.value for e in at.exception]
    poll(at, lambda at: not at.session_state["pg.object"].view().building, timeout=60, interval=0.3)
    at.selectbox(key="pg.data").set_value("points").run()
    limits = _limits(at)
    assert limits["pg.load"] == 5 and limits["pg.csv"] == 1, limits
    assert MAX_SAVED_BYTES <= limits["pg.load"] * 2 ** 20 < MAX_SAVED_BYTES + 2 ** 20, "no more than it states"
    assert MAX_CSV_BYTES <= limits["pg.csv"] * 2 ** 20 < server_mb * 2 ** 20

    playground = at.session_state["pg.object"]
    config, step = playground.config, playground.view().step
    too_big = b"PK" + b"\0" * MAX_SAVED_BYTES  # one byte past the limit, named like a saved experiment
    for lang in ("es", "en"):
        at.session_state["lang"] = lang
        at.file_uploader(key="pg.load").set_value((f"x-{lang}.zip", too_big, "application/zip")).run()
        assert not at.exception, [e.value for e in at.exception]
        shown = " ".join(e.value for e in at.error)
        assert TEXTS["playground.saved_too_big"][lang].split("{")[0].strip() in shown, (lang, shown)
        assert at.session_state["pg.object"] is playground and playground.config == config
        assert playground.view().step == step
        at.file_uploader(key="pg.csv").set_value((f"x-{lang}.csv", b"1,2\n" * (MAX_CSV_BYTES // 4 + 1), "text/csv")).run()
        shown = " ".join(e.value for e in at.error)
        assert TEXTS["playground.csv_too_big"][lang].split("{")[0].strip() in shown, (lang, shown)
    assert playground.config == config
    playground.close()


def test_the_data_and_explore_boxes_send_the_limits_their_notes_state(sessions_dir, no_bundled_generators):
    import streamlit as st

    from gan_core.data.uploads import MAX_MODEL_UPLOAD_BYTES

    at = new_app()
    at.run()
    at.switch_page("app_pages/data.py").run()
    assert not at.exception, [e.value for e in at.exception]
    per_file = st.get_option("server.maxUploadSize")
    assert _limits(at)["data.files"] == per_file
    assert any(f"{per_file} MB" in caption.value for caption in at.caption)
    at.switch_page("app_pages/explore.py").run()
    at.radio(key="explore.source").set_value("upload").run()
    assert not at.exception, [e.value for e in at.exception]
    assert _limits(at)["explore.upload_file"] == MAX_MODEL_UPLOAD_BYTES // 1_000_000
