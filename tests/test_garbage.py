"""The class server's long-lived processes keep the objects of their imports out of the garbage collector's scans
(gan_core.server.garbage): a full collection over them held every student's page for 250-600 ms under load."""

import gc
import json
import subprocess
import sys
from pathlib import Path

from app_support import new_app, sessions_dir  # noqa: F401 - a fixture

from gan_core.server import garbage

ROOT = Path(__file__).resolve().parents[1]


def in_a_fresh_python(code: str) -> dict:
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300,
                          env={"TF_CPP_MIN_LOG_LEVEL": "3", "PATH": "/usr/bin:/bin", "HOME": str(Path.home())})
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_a_freeze_takes_the_imports_out_of_a_full_collection_once():
    seen = in_a_fresh_python(
        "import gc, json\n"
        "from gan_core.server import garbage\n"
        "import gan_core.training.trainer\n"
        "before = len(gc.get_objects())\n"
        "first = garbage.freeze_startup_objects('json', space_full_collections=True)\n"
        "again = garbage.freeze_startup_objects('json')\n"
        "print(json.dumps({'first': first, 'again': again, 'before': before, 'frozen': gc.get_freeze_count(),\n"
        "                  'scanned': len(gc.get_objects()), 'full_after': gc.get_threshold()[2],\n"
        "                  'decoder': 'json.decoder' in __import__('sys').modules}))\n")
    assert seen["first"] and not seen["again"]
    assert seen["before"] > 100_000  # TensorFlow and Keras imported: what every full collection walked
    assert seen["frozen"] >= seen["before"] * 0.9 and seen["scanned"] < 5_000, seen
    assert seen["full_after"] == garbage.FULL_COLLECTION_AFTER > 10  # full collections spaced out (Python's: 10)
    assert seen["decoder"]  # a package's modules are imported before the freeze


def test_the_training_worker_freezes_once_its_engine_is_imported():
    seen = in_a_fresh_python(
        "import gc, json, sys\n"
        "from gan_core.server import worker\n"
        "worker._import_engine()\n"
        "print(json.dumps({'frozen': gc.get_freeze_count(), 'trainer': 'gan_core.training.trainer' in sys.modules,\n"
        "                  'full_after': gc.get_threshold()[2]}))\n")
    assert seen["trainer"] and seen["frozen"] > 100_000, seen
    assert seen["full_after"] == 10, "the worker's full collections free the ended runs' graphs: not spaced out"


def test_the_app_freezes_at_its_first_page_with_every_page_module_imported(sessions_dir):
    at = new_app().run(timeout=120)
    assert not at.exception
    assert gc.get_freeze_count() > 100_000 and gc.get_threshold()[2] == garbage.FULL_COLLECTION_AFTER
    assert {"gan_ui.explore_view", "gan_ui.charts", "gan_ui.playground_charts"} <= set(sys.modules)
