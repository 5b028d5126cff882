"""Real finished runs for the tests that need one on disk (a gallery card, the runs page's table, a download, a
reload): each kind is trained once in a test process, then its folder is copied, since a run's folder is all a run
is (gan_core.training.run_folder). A copy holds all that a finished training of that recipe leaves,
for a file copy instead of 1.4-2.2 CPU-s of tracing and steps: 24 of the suite's 102 trainings were such runs (bench/RESULTS.md, session
17). The tests that test training (the engine's, the queue's, the pages' Entrenar) still train their own."""

from __future__ import annotations

import atexit
import functools
import json
import shutil
import tempfile
from pathlib import Path

from gan_core import Run
from gan_core.server.scheduler import Scheduler
from gan_core.training.config import recipe
from gan_core.training.run import RunState
from gan_core.training.run_folder import new_run_id

# The recipe every copied run trains: the fast recipe on 64 MNIST images, batches of 32 (2 steps, one epoch).
TINY = {"dataset": "mnist", "epochs": 1, "max_images": 64, "batch_size": 32}

_templates: dict[str, Path] = {}  # the settings (as JSON) -> the folder of the run trained with them


def finished_run(directory: Path, owner: str = "local", preset: str = "fast", **settings) -> Run:
    """A finished real run of `preset` (with TINY and `settings` over it) at `directory`, owned by `owner`."""
    key = json.dumps({"preset": preset, **settings}, sort_keys=True)
    template = _templates.get(key)
    if template is None:
        template = _trained(preset, {**TINY, **settings})
        _templates[key] = template
    shutil.copytree(template, directory)
    run = Run.open(directory, owner=owner)
    run.save_status()  # status.json, the one file that names the owner, names the new one
    return run


def finished_session_run(sessions_dir: Path, session_id: str, **settings) -> Run:
    """`finished_run` in a session's runs folder, under a new run id, as the app would have trained it there."""
    return finished_run(Path(sessions_dir) / session_id / "runs" / new_run_id(), session_id, **settings)


@functools.cache
def _templates_folder() -> Path:
    """This process's folder of templates, removed when it ends."""
    folder = Path(tempfile.mkdtemp(prefix="gan-run-templates-"))
    atexit.register(shutil.rmtree, folder, True)
    return folder


def _trained(preset: str, settings: dict) -> Path:
    run = Run.create(_templates_folder() / new_run_id(), recipe(preset, **settings), owner="template")
    run.start(Scheduler(1))
    assert run.wait(180), "the template run did not finish in time"
    snap = run.snapshot()
    assert snap.state == RunState.FINISHED, (snap.message, snap.traceback)
    return run.directory
