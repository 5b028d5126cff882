"""Bundled generators for the explorer's tests: the real pretrained/ when it holds mnist and mnist-cgan, otherwise
two tiny real generators trained once per test session with the engine (about a minute on two busy cores).

Use the `pretrained_dir` fixture (import it into the test module); `use_pretrained` also points
$GAN_PRETRAINED_DIR at it for the test (AppTest reads it in-process; a server subprocess inherits os.environ)."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from gan_core.training.config import recipe
from gan_core.training.pretrained import PRETRAINED_DIR

NEEDED = ("mnist", "mnist-cgan")
RECIPES = {"mnist": "fast", "mnist-cgan": "cgan"}  # name -> preset, trained on MNIST
_made: dict[str, Path] = {}  # one folder per test session, even when several modules import the fixture


def has_generators(root: Path) -> bool:
    return all((Path(root) / name / "generator.keras").is_file() for name in NEEDED)


def train_tiny_generators(root: Path) -> Path:
    """One epoch on 1280 MNIST images, batch 64 (20 steps) for each recipe, side by side; then each run's
    generator.keras and card.json go to <root>/pretrained/<name>, which is what pretrained-export copies (it
    also scores 2000 samples: skipped here, the explorer then shows "no quality metrics")."""
    from gan_core import Run, new_run_id
    from gan_core.server.scheduler import Scheduler

    scheduler = Scheduler(2)
    runs = {}
    for name, preset in RECIPES.items():
        config = recipe(preset, dataset="mnist", epochs=1, batch_size=64, max_images=1280)
        runs[name] = Run.create(root / "runs" / new_run_id(), config, owner=f"fixture{len(runs)}")
        runs[name].start(scheduler)
    target = root / "pretrained"
    for name, run in runs.items():
        assert run.wait(600), f"the tiny {name} generator did not finish training"
        snap = run.snapshot()
        assert snap.state.value == "finished", (name, snap.message and snap.message.text("en"), snap.traceback)
        folder = target / name
        folder.mkdir(parents=True)
        shutil.copyfile(run.directory / "generator.keras", folder / "generator.keras")
        card = json.loads((run.directory / "card.json").read_text())
        (folder / "card.json").write_text(json.dumps(card, indent=2))
    return target


@pytest.fixture(scope="session")
def pretrained_dir(tmp_path_factory) -> Path:
    """A folder holding at least the mnist and mnist-cgan generators (see the module's docstring)."""
    if "dir" not in _made:
        wanted = os.environ.get("GAN_PRETRAINED_DIR")
        if wanted and has_generators(Path(wanted)):
            _made["dir"] = Path(wanted)
        elif has_generators(PRETRAINED_DIR):
            _made["dir"] = PRETRAINED_DIR
        else:
            _made["dir"] = train_tiny_generators(tmp_path_factory.mktemp("tiny-generators"))
    assert has_generators(_made["dir"])
    return _made["dir"]


@pytest.fixture
def use_pretrained(pretrained_dir, monkeypatch) -> Path:
    monkeypatch.setenv("GAN_PRETRAINED_DIR", str(pretrained_dir))
    return pretrained_dir
