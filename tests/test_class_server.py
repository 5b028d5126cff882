"""A class server that one student cannot take down or snoop on: bad numbers, one run per session, the disk quota
while a run writes, signed session ids, no server paths on the pages, the teacher's password."""

from __future__ import annotations

import json

import numpy as np
import pytest

from gan_core import Dataset, GanError, Run, TrainConfig
from gan_core.server.registry import RunRegistry
from gan_core.training.config import MAX_EPOCHS, recipe


def tiny_dataset(count: int = 16) -> Dataset:
    rng = np.random.default_rng(0)
    return Dataset("tiny", rng.integers(0, 255, (count, 28, 28, 1), dtype=np.uint8))


def tiny_config(**overrides) -> TrainConfig:
    return recipe("fast", **{"dataset": "tiny", "batch_size": 8, "epochs": 1, "clusters": 0, **overrides})


def both(exc: GanError) -> tuple[str, str]:
    return exc.text("es"), exc.text("en")


@pytest.mark.parametrize("extra", [-1000, 10**12, MAX_EPOCHS, 2.5, "3"])
def test_resume_refuses_extra_epochs_that_would_write_an_invalid_config(tmp_path, extra):
    Run.create(tmp_path / "run", tiny_config(), dataset=tiny_dataset())
    before = (tmp_path / "run" / "config.json").read_text()
    run = Run.open(tmp_path / "run")
    with pytest.raises(GanError) as caught:
        run.resume_training(extra_epochs=extra)
    assert caught.value.message.key in ("error.out_of_range", "error.not_integer")
    es, en = both(caught.value)
    assert "extra_epochs" in es and "extra_epochs" in en
    assert ("debe estar entre" in es and "must be between" in en) or ("número entero" in es and "whole number" in en)
    assert (tmp_path / "run" / "config.json").read_text() == before, "nothing written"
    assert run.config.epochs == 1


def test_an_unknown_optimizer_key_is_a_clear_error_not_a_type_error(tmp_path):
    data = tiny_config().to_dict()
    data["generator_optimizer"]["warp_speed"] = 9
    with pytest.raises(GanError) as caught:
        TrainConfig.from_dict(data)
    assert caught.value.message.key == "error.unknown_field"
    es, en = both(caught.value)
    assert "warp_speed" in es and "Campo desconocido" in es and "learning_rate" in es
    assert "warp_speed" in en and "Unknown field" in en
    data["generator_optimizer"] = "adam"
    with pytest.raises(GanError):
        TrainConfig.from_dict(data)
    with pytest.raises(GanError) as caught:
        recipe("fast", generator_optimizer={"nombre": "adam"})
    assert caught.value.message.key == "error.unknown_field"
    # a config file on disk with such a key: opening the run says so in words
    Run.create(tmp_path / "run", tiny_config(), dataset=tiny_dataset())
    saved = json.loads((tmp_path / "run" / "config.json").read_text())
    saved["discriminator_optimizer"]["typo"] = 1
    (tmp_path / "run" / "config.json").write_text(json.dumps(saved))
    with pytest.raises(GanError):
        Run.open(tmp_path / "run")


# --- one queued-or-running run per session; the quota while a run writes ----------------------------------------

def _hold_the_only_slot(scheduler):
    """Another class's job takes the scheduler's one slot until the returned event is set."""
    import threading

    taken, finish = threading.Event(), threading.Event()

    def job():
        scheduler.acquire("someone-else", "another-session", threading.Event())
        taken.set()
        finish.wait(60)
        scheduler.release("someone-else")

    threading.Thread(target=job, daemon=True).start()
    assert taken.wait(10)
    return finish


def test_one_session_cannot_flood_the_queue(tmp_path):
    from gan_core.server.registry import RunRegistry
    from gan_core.server.scheduler import Scheduler

    registry, scheduler = RunRegistry(tmp_path / "sessions"), Scheduler(1)
    finish = _hold_the_only_slot(scheduler)
    ana, bea = "a" * 32, "b" * 32
    try:
        first = registry.start_run(ana, tiny_config(epochs=50), tiny_dataset(), scheduler=scheduler)
        refusals = []
        for _ in range(29):  # pressing Train 29 more times
            with pytest.raises(GanError) as caught:
                registry.start_run(ana, tiny_config(epochs=50), tiny_dataset(), scheduler=scheduler)
            refusals.append(caught.value)
        assert {exc.message.key for exc in refusals} == {"error.session_busy"}
        es, en = both(refusals[0])
        assert "Ya tienes una ejecución en cola o en marcha" in es and first.run_id in es
        assert "You already have a run queued or running" in en
        assert len(registry.run_ids(ana)) == 1 and len(scheduler.jobs()["queued"]) == 1
        other = registry.start_run(bea, tiny_config(epochs=50), tiny_dataset(), scheduler=scheduler)
        assert scheduler.position(other.run_id) == 2, "the other student waits behind one run, not thirty"
        # resuming another of A's runs is refused the same way while A's first run is queued
        with pytest.raises(GanError) as caught:
            registry.resume_run(ana, first, scheduler=scheduler)
        assert caught.value.message.key == "error.session_busy"
        # once A's run is stopped, A may start again
        first.stop()
        assert first.wait(30)
        again = registry.start_run(ana, tiny_config(epochs=50), tiny_dataset(), scheduler=scheduler)
        assert again.snapshot().active
    finally:
        for run in registry.all_runs():
            run.stop()
        finish.set()
        for run in registry.all_runs():
            assert run.wait(60)


def test_the_quota_is_checked_again_while_a_run_writes(tmp_path):
    from gan_core.server import housekeeping
    from gan_core.server.registry import RunRegistry
    from gan_core.server.scheduler import Scheduler
    from gan_core.training.run import RunState

    registry, sid = RunRegistry(tmp_path / "sessions"), "c" * 32
    folder = registry.session_dir(sid)
    quota = 2_000_000  # room for the run's config and first grid, not for its first checkpoints
    run = registry.start_run(sid, tiny_config(epochs=20), tiny_dataset(), quota_bytes=quota, scheduler=Scheduler(1))
    assert run.wait(300)
    snap = run.snapshot()
    assert snap.state == RunState.FAILED and snap.message.key == "error.quota", (snap.state, snap.message)
    assert "espacio en el servidor está lleno" in snap.message.text("es")
    assert "space on the server is full" in snap.message.text("en")
    assert 1 <= snap.epoch < 20, "it stopped after the epoch that went over, not before training nor at the end"
    used = housekeeping.directory_bytes(folder)
    assert used < quota + 10_000_000, "one epoch's writes past the quota at most"
    assert all(path.is_relative_to(folder) for path in (tmp_path / "sessions").rglob("*") if path.is_file())


# --- session ids: issued and signed by the server; no server paths on the pages ------------------------------------

from app_support import new_app, sessions_dir, texts  # noqa: E402,F401 - sessions_dir is a fixture


def _files(root):
    return sorted(str(path.relative_to(root)) for path in root.rglob("*") if path.is_file()) if root.exists() else []


def test_made_up_or_unsigned_session_ids_get_a_fresh_session_and_a_visit_writes_nothing(sessions_dir):
    from gan_core.server import housekeeping

    # A victim's session that has written something, and the address the server gave it.
    victim = "f" * 32
    (sessions_dir / victim / "datasets").mkdir(parents=True)
    good = housekeeping.session_token(sessions_dir, victim)
    tampered = good[:-1] + ("0" if good[-1] != "0" else "1")
    never_used = housekeeping.session_token(sessions_dir, "e" * 32)  # signed, but its session never wrote anything
    for made_up in ("0" * 32, victim, "f" * 32 + "." + "0" * 32, tampered, never_used, good + "x", good.upper()):
        at = new_app()
        at.query_params["s"] = made_up
        at.run()
        assert not at.exception
        sid = at.session_state["session_id"]
        assert sid not in (victim, "0" * 32, "e" * 32), made_up
        token = at.session_state["session_token"]
        assert at.query_params["s"] in ([token], token) and token.startswith(sid + ".")
        assert housekeeping.session_from_token(sessions_dir, token) is None, "nothing written yet: not a session"
    # Visits wrote no session folder: only the victim's folder and the server's own secrets (the key that signs
    # addresses, the teacher's password made at start) are there.
    from gan_core.server.classroom import PASSWORD_FILE

    server_files = sorted([housekeeping.SECRET_FILE, PASSWORD_FILE])
    assert _files(sessions_dir) == server_files
    assert sorted(p.name for p in sessions_dir.iterdir()) == sorted([*server_files, victim])
    for name in server_files:
        assert (sessions_dir / name).stat().st_mode & 0o077 == 0, f"{name} is the server's only"
    # The address the server issued does reattach.
    at = new_app()
    at.query_params["s"] = good
    at.run()
    assert at.session_state["session_id"] == victim


def test_the_page_says_its_address_is_a_key(sessions_dir):
    for lang, words in (("es", "La dirección es tu llave: no la proyectes ni la compartas"),
                        ("en", "The address is your key: do not project it or share it")):
        at = new_app()
        at.query_params["lang"] = lang
        at.run()
        assert any(words in caption.value for caption in at.sidebar.caption), lang


def test_pages_never_show_a_server_path_or_the_session_id(sessions_dir, tmp_path, monkeypatch):
    import json as json_module

    from hostile import small_generator_bytes

    from gan_core.data.datasets import save_dataset
    from gan_core.i18n import Message
    from gan_core.server import housekeeping

    monkeypatch.setenv("GAN_PRETRAINED_DIR", str(tmp_path / "none"))
    sid = "d" * 32
    folder = sessions_dir / sid
    (folder / "datasets").mkdir(parents=True)
    save_dataset(tiny_dataset(), folder / "datasets" / "0123456789abcdef.npz")
    (folder / "datasets" / "0123456789abcdef.json").write_text(
        json_module.dumps({"name": "mis fotos", "count": 16, "size": 28, "class_names": []}))
    run = Run.create(RunRegistry(sessions_dir).run_dir(sid, "20260101-120000-0123456789ab"),
                     tiny_config(dataset=str(folder / "datasets" / "0123456789abcdef.npz")), tiny_dataset(), owner=sid)
    (run.directory / "generator.keras").write_bytes(small_generator_bytes())
    status = json_module.loads((run.directory / "status.json").read_text())
    status.update(state="failed", message=Message("error.crashed", error=f"OSError: {run.directory}/x.npz").to_dict(),
                  traceback=f'File "{run.directory}/checkpoints/last.npz", line 1\nOSError: disk')
    (run.directory / "status.json").write_text(json_module.dumps(status))

    at = new_app()
    at.query_params["s"] = housekeeping.session_token(sessions_dir, sid)
    at.run()
    assert at.session_state["session_id"] == sid and not at.exception
    seen = texts(at)
    assert any("OSError" in text for text in seen), "the failure and its details are drawn (so the check can fail)"
    at.switch_page("app_pages/explore.py").run()
    at.radio(key="explore.source").set_value("runs").run()
    assert not at.exception
    seen += texts(at)
    assert any("mis fotos" in text for text in seen), "the run is listed by its names"
    for page in ("app_pages/runs.py", "app_pages/data.py"):
        at.switch_page(page).run()
        seen += texts(at) + [str(button.proto) for button in at.get("download_button")]
    page_text = "\n".join(seen)
    assert sid not in page_text and str(sessions_dir) not in page_text and "sessions/" not in page_text


# --- the teacher's password (the gate, the link and reloads: tests/test_signin.py) -------------------------------

def _teacher_page(password, lang="es"):
    at = new_app()
    at.secrets["teacher_password"] = password
    at.query_params["lang"] = lang
    at.run()
    at.switch_page("app_pages/teacher.py").run()
    assert not at.exception
    return at


def test_the_teacher_view_refuses_a_short_password(sessions_dir):
    for lang, words in (("es", "demasiado corta (mínimo 10 caracteres)"), ("en", "too short (at least 10 characters)")):
        at = _teacher_page(" ", lang)
        assert not at.text_input and any(words in w.value for w in at.warning), lang
        at = _teacher_page("corta", lang)
        assert not at.text_input and any(words in w.value for w in at.warning), lang
        assert not at.tabs and "teacher.ok" not in at.session_state


def test_the_data_page_lists_the_first_skipped_files_and_counts_the_rest(sessions_dir):
    import io
    import zipfile

    from hostile import grey16_png

    from gan_core.data import datasets

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for index in range(8):
            archive.writestr(f"fotos/{index}.png", grey16_png(40))
        for index in range(datasets.MAX_SKIPPED_KEPT + 50):
            archive.writestr(f"fotos/nota_{index}.txt", b"")
    for lang, words in (("es", "… y 50 más."), ("en", "… and 50 more.")):
        at = new_app()
        at.query_params["lang"] = lang
        at.run()
        at.switch_page("app_pages/data.py").run()
        at.file_uploader(key="data.files").set_value(("fotos.zip", buffer.getvalue(), "application/zip"))
        at.run()
        [button for button in at.button if button.label in ("Preparar el conjunto", "Prepare the dataset")][0].click()
        at.run()
        assert not at.exception and not at.error, [e.value for e in at.error]
        assert len(at.dataframe[-1].value) == datasets.MAX_SKIPPED_KEPT
        assert any(words in caption.value for caption in at.caption), lang
        assert any(str(datasets.MAX_SKIPPED_KEPT + 50) in expander.label for expander in at.expander), lang
