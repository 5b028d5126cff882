"""What a class server keeps and for how long (issue 31): retention in days a teacher sets, a disk budget whose
least recently seen sessions go first (never an active or shared run), refusals that leave nothing behind, the
sidebar's date, every run in one zip, and what a restart finds. Time is a fake clock; runs are real MNIST runs."""

from __future__ import annotations

import collections
import io
import os
import shutil
import time
import zipfile
from pathlib import Path

import numpy as np
import pytest
from app_support import leftovers, new_app, sessions_dir, texts  # noqa: F401 - sessions_dir is a fixture
from run_support import finished_run

from gan_core import Dataset, GanError, Run, new_run_id
from gan_core.i18n import TEXTS
from gan_core.server import classroom, housekeeping, retention
from gan_core.server.registry import RunRegistry
from gan_core.server.scheduler import Scheduler
from gan_core.training.config import recipe
from gan_core.training.run import RunState

DAY = 24 * 3600
NOW = time.mktime((2026, 3, 2, 12, 0, 0, 0, 0, -1))  # a Monday's class, local time


@pytest.fixture(scope="module")
def trained_run(tmp_path_factory) -> Path:
    """One real run (the fast recipe, 64 MNIST images, 2 steps) as a finished run leaves its folder; sessions below
    get copies of it."""
    return finished_run(tmp_path_factory.mktemp("template") / new_run_id(), owner="a" * 32).directory


def make_session(root: Path, template: Path, seen: float, runs: int = 1, session_id: str | None = None) -> str:
    """A session folder holding `runs` copies of the real run, last seen at `seen`."""
    session_id = session_id or housekeeping.new_session_id()
    for _ in range(runs):
        shutil.copytree(template, root / session_id / "runs" / new_run_id())
    mark_seen(root, session_id, seen)
    return session_id


def mark_seen(root: Path, session_id: str, seen: float) -> None:
    housekeeping.touch_session(root / session_id, now=seen)


def files(root: Path) -> dict[str, int]:
    return {str(p.relative_to(root)): p.stat().st_size for p in sorted(root.rglob("*")) if p.is_file()}


def hold(run, scheduler):
    """A queue's drive that keeps the run queued (active) until it is stopped: an active run without training."""
    run.stop_event.wait(120)
    run.mark_stopped()


def tiny_dataset() -> Dataset:
    return Dataset("tiny", np.random.default_rng(0).integers(0, 255, (16, 28, 28, 1), dtype=np.uint8))


def tiny_config(**overrides):
    return recipe("fast", **{"dataset": "tiny", "batch_size": 8, "epochs": 1, "clusters": 0, **overrides})


def active_session(registry: RunRegistry, seen: float) -> tuple[str, Run]:
    session_id = housekeeping.new_session_id()
    run = registry.start_run(session_id, tiny_config(), tiny_dataset(), scheduler=Scheduler(1, drive=hold))
    assert run.snapshot(history=False).active
    mark_seen(registry.root, session_id, seen)
    return session_id, run


def share(root: Path, session_id: str) -> None:
    (run_id,) = [p.name for p in (root / session_id / "runs").iterdir()]
    classroom.Gallery(root).share(session_id, run_id, "Ada")


def set_limits(root: Path, **limits) -> None:
    classroom.save_limits(root, classroom.ClassLimits(**limits))


# --- retention -------------------------------------------------------------------------------------------------------

def test_a_session_seen_6_days_ago_is_kept_under_14_days_and_removed_under_1(tmp_path, trained_run):
    root = tmp_path / "sessions"
    registry = RunRegistry(root, clock=lambda: NOW)
    student = make_session(root, trained_run, seen=NOW - 6 * DAY)
    shared = make_session(root, trained_run, seen=NOW - 30 * DAY)
    share(root, shared)

    assert housekeeping.DEFAULT_IDLE_SECONDS == 28 * DAY  # the server's default: four weekly classes
    assert registry.cleanup_idle(force=True) == [] and (root / student).is_dir()
    set_limits(root, retention_days=14)
    assert registry.kept_until(student) == NOW + 8 * DAY
    assert registry.cleanup_idle(force=True) == [] and (root / student).is_dir()
    set_limits(root, retention_days=1)
    assert registry.cleanup_idle(force=True) == [student]
    assert not (root / student).exists()
    assert (root / shared).is_dir(), "a run shared in the gallery is kept while it is shared"

    classroom.Gallery(root).unshare(shared, next((root / shared / "runs").iterdir()).name)
    assert registry.cleanup_idle(force=True) == [shared]


def test_an_active_run_keeps_its_session_past_the_retention(tmp_path):
    root = tmp_path / "sessions"
    registry = RunRegistry(root, clock=lambda: NOW)
    session_id, run = active_session(registry, seen=NOW - 30 * DAY)
    set_limits(root, retention_days=1)
    try:
        assert registry.cleanup_idle(force=True) == [] and (root / session_id).is_dir()
    finally:
        run.stop()
        assert run.wait(30)
    assert registry.cleanup_idle(force=True) == [session_id]


def test_a_restart_removes_sessions_past_the_retention_and_reopens_the_others(sessions_dir, trained_run):
    now = time.time()
    gone = make_session(sessions_dir, trained_run, seen=now - 29 * DAY)  # past the 28-day default
    kept = make_session(sessions_dir, trained_run, seen=now - 27 * DAY)
    (run_id,) = [p.name for p in (sessions_dir / kept / "runs").iterdir()]

    at = new_app()  # the first page load after a start
    at.query_params["s"] = housekeeping.session_token(sessions_dir, kept)
    at.run()
    assert not at.exception
    assert not (sessions_dir / gone).exists()
    assert at.session_state["session_id"] == kept and at.session_state["run_ids"] == [run_id]
    at.switch_page("app_pages/runs.py").run()
    assert not at.exception and any(run_id in caption.value for caption in at.caption)


# --- the disk budget -----------------------------------------------------------------------------------------------

def test_the_budget_removes_the_least_recently_seen_first_sparing_active_shared_and_recent(tmp_path, trained_run):
    root = tmp_path / "sessions"
    registry = RunRegistry(root, clock=lambda: NOW)
    old = make_session(root, trained_run, seen=NOW - 20 * DAY)
    older_but_shared = make_session(root, trained_run, seen=NOW - 25 * DAY)
    share(root, older_but_shared)
    middle = make_session(root, trained_run, seen=NOW - 10 * DAY)
    newer = make_session(root, trained_run, seen=NOW - 3 * DAY)
    in_class = make_session(root, trained_run, seen=NOW - 1800)  # seen half an hour ago: the class going on
    busy, run = active_session(registry, seen=NOW - 40 * DAY)
    try:
        size = housekeeping.directory_bytes(root / old)
        used = sum(housekeeping.directory_bytes(folder) for folder in retention.session_folders(root))
        set_limits(root, disk_budget_gb=(used - 1.5 * size) / 1e9)  # two sessions must go

        report = registry.disk_state()
        assert report.used == used and report.budget == int((used - 1.5 * size))
        assert [s.session_id for s in report.next_to_go] == [old, middle, newer], "what the teacher sees next"

        (old_run,) = [p.name for p in (root / old / "runs").iterdir()]
        assert registry.get(old, old_run) is not None
        newcomer = housekeeping.new_session_id()
        assert registry.make_room(newcomer) == [old, middle]
        assert {p.name for p in root.iterdir() if p.is_dir()} == {older_but_shared, newer, in_class, busy}
        assert registry.get(old, old_run) is None, "its runs are forgotten too"
        assert registry.make_room(newcomer) == [], "within the budget now: nothing more goes"
    finally:
        run.stop()
        assert run.wait(30)


def test_a_full_budget_refuses_a_new_run_and_removes_nothing(tmp_path, trained_run):
    root = tmp_path / "sessions"
    registry = RunRegistry(root, clock=lambda: NOW)
    make_session(root, trained_run, seen=NOW - 1800)  # in class now: may not go
    shared = make_session(root, trained_run, seen=NOW - 20 * DAY)
    share(root, shared)
    old = make_session(root, trained_run, seen=NOW - 20 * DAY)
    used = sum(housekeeping.directory_bytes(folder) for folder in retention.session_folders(root))
    # Removing the one old session would not be enough: it is not removed for nothing.
    set_limits(root, disk_budget_gb=(used - 1.5 * housekeeping.directory_bytes(root / old)) / 1e9)
    before = files(root)

    newcomer = housekeeping.new_session_id()
    with pytest.raises(GanError) as caught:
        registry.start_run(newcomer, tiny_config(), tiny_dataset(), scheduler=Scheduler(1, drive=hold))
    assert caught.value.message.key == "error.disk_budget"
    assert "El espacio del servidor para la clase está lleno" in caught.value.text("es")
    assert "No se ha guardado nada" in caught.value.text("es")
    assert "The server's space for the class is full" in caught.value.text("en")
    assert files(root) == before, "no folder, no half-written file, and nobody's files removed"
    assert not (root / newcomer).exists() and registry.all_runs() == []


def photo_zip() -> bytes:
    """Eight small photos, as a student would upload them."""
    from PIL import Image

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for index, pixels in enumerate(np.random.default_rng(0).integers(0, 255, (8, 40, 40, 3), dtype=np.uint8)):
            encoded = io.BytesIO()
            Image.fromarray(pixels).save(encoded, format="PNG")
            archive.writestr(f"fotos/foto_{index}.png", encoded.getvalue())
    return buffer.getvalue()


def press(at, label: str):
    (button,) = [b for b in at.button if b.label == label]
    return button.click().run()


def teacher_app(sessions_dir):
    """The teacher, signed in with the password this server made (no teacher_password in the app's secrets)."""
    at = new_app()
    at.secrets["unrelated"] = "x"
    at.run()
    at.switch_page("app_pages/teacher.py").run()
    at.text_input[0].set_value(classroom.generated_password(sessions_dir)[0])
    at.button(key="FormSubmitter:teacher.login-Entrar").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    return at


def test_a_full_budget_refuses_an_upload_on_the_data_page(sessions_dir, trained_run):
    sessions_dir.mkdir(parents=True, exist_ok=True)
    make_session(sessions_dir, trained_run, seen=time.time())  # a classmate in class: may not go
    set_limits(sessions_dir, disk_budget_gb=housekeeping.directory_bytes(sessions_dir) / 2 / 1e9)
    for lang, words in (("es", "El espacio del servidor para la clase está lleno"),
                        ("en", "The server's space for the class is full")):
        at = new_app()
        at.query_params["lang"] = lang
        at.run()
        at.switch_page("app_pages/data.py").run()
        before = files(sessions_dir)
        at.file_uploader(key="data.files").set_value(("fotos.zip", photo_zip(), "application/zip"))
        at.run()
        press(at, "Preparar el conjunto" if lang == "es" else "Prepare the dataset")
        assert not at.exception
        assert any(words in e.value for e in at.error), [e.value for e in at.error]
        assert files(sessions_dir) == before
        assert not (sessions_dir / at.session_state["session_id"]).exists()


def test_the_disks_reserve_stops_a_run_between_epochs(tmp_path, monkeypatch):
    root = tmp_path / "sessions"
    registry = RunRegistry(root)
    real = housekeeping.disk_usage
    run = registry.start_run("d" * 32, tiny_config(epochs=50), tiny_dataset(), scheduler=Scheduler(1))
    try:
        from app_support import wait_until

        wait_until(lambda: run.snapshot(history=False).epoch >= 1, 120, "a first epoch")

        def nearly_full(path):
            usage = real(path)
            return usage._replace(free=housekeeping.reserve_bytes(usage.total) - 1)

        monkeypatch.setattr(housekeeping, "disk_usage", nearly_full)
        assert run.wait(120)
    finally:
        run.stop()
        run.wait(60)
    snap = run.snapshot()
    assert snap.state == RunState.FAILED and snap.message.key == "error.disk_full", (snap.state, snap.message)
    assert snap.epoch < 50 and "casi lleno" in snap.message.text("es") and "nearly full" in snap.message.text("en")


# --- what the student sees and takes home ------------------------------------------------------------------------

def test_the_sidebar_says_until_when_the_files_are_kept(sessions_dir, trained_run):
    from gan_ui import state

    at = new_app().run()
    state.registry().clock = lambda: NOW
    set_limits(sessions_dir, retention_days=14)
    at.run()
    sidebar = " ".join(c.value for c in at.sidebar.caption)
    assert "se conservan hasta el 16/03/2026 (14 días desde tu última visita" in sidebar, sidebar
    assert not at.get("download_button"), "no runs yet: nothing to download"
    assert "Descargar todas mis ejecuciones" not in "\n".join(texts(at))

    student = make_session(sessions_dir, trained_run, seen=NOW - 6 * DAY)
    set_limits(sessions_dir, retention_days=1)
    at = new_app()
    at.query_params["s"] = housekeeping.session_token(sessions_dir, student)
    at.query_params["lang"] = "en"
    at.run()
    sidebar = " ".join(c.value for c in at.sidebar.caption)
    assert "kept until 2026-03-03 (1 day after your last visit" in sidebar, sidebar
    assert "Download all my runs" in [b.proto.label for b in at.get("download_button")]


def test_the_download_all_zip_holds_every_file_of_every_run_and_leaves_nothing(tmp_path, trained_run):
    from gan_ui.retention_view import runs_zip_bytes

    root = tmp_path / "sessions"
    student = make_session(root, trained_run, seen=NOW, runs=3)
    (root / student / "datasets").mkdir()
    (root / student / "datasets" / "photos.npz").write_bytes(b"not a run")
    before = files(root)
    expected = {name.split("/", 1)[1]: size for name, size in before.items() if name.split("/")[1] == "runs"}
    assert len(expected) > 3 * 5

    with zipfile.ZipFile(io.BytesIO(runs_zip_bytes(root / student))) as archive:
        assert archive.testzip() is None
        assert {info.filename: info.file_size for info in archive.infolist()} == expected
        for name in expected:
            assert archive.read(name) == (root / student / name).read_bytes()
    assert files(root) == before, "the temporary zip is gone"


def test_the_download_all_zip_is_written_to_a_file_in_the_session_not_to_memory(tmp_path, trained_run):
    root = tmp_path / "sessions"
    student = make_session(root, trained_run, seen=NOW, runs=2)
    with retention.runs_zip(root / student) as path:
        assert path.parent == root / student and path.name.startswith(retention.ZIP_PREFIX) and path.is_file()
        assert len(zipfile.ZipFile(path).namelist()) == len(retention.run_files(root / student))
    assert not path.exists()
    stale = root / student / f"{retention.ZIP_PREFIX}crash{retention.ZIP_SUFFIX}"
    stale.write_bytes(b"left by a crash")
    os.utime(stale, (NOW - 2 * 3600, NOW - 2 * 3600))
    retention.sweep(root, classroom.ClassLimits(), set(), NOW)
    assert not stale.exists()


def test_a_gallery_card_whose_run_was_removed_disappears_cleanly(sessions_dir, trained_run):
    from gan_ui import state

    clock = {"now": NOW}
    student = make_session(sessions_dir, trained_run, seen=NOW - 30 * DAY)
    (run_id,) = [p.name for p in (sessions_dir / student / "runs").iterdir()]
    share(sessions_dir, student)
    set_limits(sessions_dir, retention_days=1)

    viewer = new_app().run()
    state.registry().clock = lambda: clock["now"]
    viewer.switch_page("app_pages/gallery.py").run()
    assert not viewer.exception and "Ada" in "\n".join(texts(viewer)) and viewer.image
    assert state.registry().cleanup_idle(force=True) == [], "kept while it is shared, 30 days or not"

    # The student comes back and deletes the shared run on the runs page.
    owner = new_app()
    owner.query_params["s"] = housekeeping.session_token(sessions_dir, student)
    owner.run()
    owner.switch_page("app_pages/runs.py").run()
    owner.button(key=f"runs.delete.{run_id}").click().run()
    owner.button(key=f"runs.delete_yes.{run_id}").click().run()
    assert not owner.exception and not (sessions_dir / student / "runs" / run_id).exists()

    viewer.run()
    assert not viewer.exception and not viewer.error
    assert "Ada" not in "\n".join(texts(viewer)) and not viewer.image
    assert any("Nadie ha compartido" in info.value for info in viewer.info)
    assert classroom.Gallery(sessions_dir).shares(include_hidden=True) == []
    clock["now"] = NOW + 2 * DAY  # shared no more: the retention applies again
    assert state.registry().cleanup_idle(force=True) == [student]


def test_the_teacher_sets_retention_and_budget_and_sees_the_disk(sessions_dir, trained_run):
    from gan_ui import state

    old = make_session(sessions_dir, trained_run, seen=time.time() - 20 * DAY)
    recent = make_session(sessions_dir, trained_run, seen=time.time() - 60)
    teacher = teacher_app(sessions_dir)
    page = "\n".join(texts(teacher))
    assert "Ocupado por las sesiones" in page and "Presupuesto" in page
    assert "Lo siguiente que se borraría para hacer sitio" in page
    (table,) = [frame.value for frame in teacher.dataframe if "Sesión" in frame.value.columns]
    assert list(table["Sesión"]) == [old[:8]], "the old session would go next; the one in class would not"
    assert recent[:8] not in page

    (days,) = [w for w in teacher.number_input if w.key == "limits.retention_days"]
    (size,) = [w for w in teacher.number_input if w.key == "limits.disk_budget_gb"]
    assert days.value == 0 and "28 días" in days.help
    days.set_value(14)
    size.set_value(2.5)
    teacher.button(key="FormSubmitter:teacher.limits-Guardar límites").click().run()
    assert any("Límites guardados" in s.value for s in teacher.success)
    limits = classroom.load_limits(sessions_dir)
    assert (limits.retention_days, limits.disk_budget_gb) == (14, 2.5)
    assert not limits.active, "what the server keeps is no limit a student is told about"
    assert state.registry().retention_seconds() == 14 * DAY
    assert any(m.label == "Presupuesto" and m.value == "2.50 GB" for m in teacher.metric)

    for bad in ({"retention_days": -1}, {"retention_days": "14"}, {"disk_budget_gb": True}):
        with pytest.raises(GanError):
            classroom.ClassLimits(**bad).validate()

    teacher.session_state["lang"] = "en"  # the sidebar's language selector
    teacher.run()
    page = "\n".join(texts(teacher))
    assert "Used by the sessions" in page and "What would go next to make room" in page and "14 days" in page
    assert leftovers(teacher, "en", "es", TEXTS, allowed={"Español"}) == []


def test_a_roomy_disk_makes_room_without_walking_every_session(tmp_path, trained_run, monkeypatch):
    root = tmp_path / "sessions"
    registry = RunRegistry(root, clock=lambda: NOW)
    old = make_session(root, trained_run, seen=NOW - 20 * DAY)
    walked = []
    real_usage = retention.session_usage
    monkeypatch.setattr(retention, "session_usage", lambda folder: walked.append(folder.name) or real_usage(folder))
    roomy = collections.namedtuple("usage", "total used free")(total=10**12, used=10**10, free=99 * 10**10)
    monkeypatch.setattr(housekeeping, "disk_usage", lambda path: roomy)
    read_runs = []  # nor reading every run to know which sessions are spared (an explore page draw asks this)
    real_spared = registry.spared_sessions
    monkeypatch.setattr(registry, "spared_sessions", lambda *a: read_runs.append(a) or real_spared(*a))
    assert registry.make_room(housekeeping.new_session_id(), 1000) == [] and walked == [] and read_runs == []

    set_limits(root, disk_budget_gb=housekeeping.directory_bytes(root / old) / 2 / 1e9)  # below the disk's used bytes
    assert registry.make_room(housekeeping.new_session_id(), 1000) == [old] and walked == [old]


def test_an_epoch_trained_counts_as_a_visit(tmp_path):
    """A restart finds a run that trained for days stopped; its session was busy until then, not idle."""
    from app_support import wait_until

    root = tmp_path / "sessions"
    registry = RunRegistry(root)
    session_id = housekeeping.new_session_id()
    run = registry.start_run(session_id, tiny_config(epochs=3), tiny_dataset(), scheduler=Scheduler(1))
    long_ago = time.time() - 30 * DAY
    mark_seen(root, session_id, long_ago)
    assert run.wait(180) and run.snapshot().state == RunState.FINISHED
    assert wait_until(lambda: housekeeping.last_seen(root / session_id) > time.time() - 600, 5, "a fresh last visit")
    assert registry.cleanup_idle(force=True) == [] and (root / session_id).is_dir()
