"""Shared fixtures: real offline datasets, quiet TensorFlow, a private scheduler per test."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("GAN_NO_DOWNLOAD", "1")  # tests never reach for the network
# AppTest pages run in this process: their runs train in its threads, where a test can reach them; a test that asks for
# the `train_in_worker` fixture trains in the worker process instead, as a class server does (and so do the real
# servers of the browser tests: bench.app_server.server_env).
os.environ.setdefault("GAN_TRAIN_IN", "thread")

import pytest
from scheduling_support import module_scheduler


@pytest.hookimpl(optionalhook=True)  # pytest-xdist's hook: absent with -p no:xdist
def pytest_xdist_make_scheduler(config, log):
    """`--dist loadfile` (scripts/test.sh) keeps each module whole in one worker; the browser modules that share a
    server are kept together too (tests/scheduling_support.py). Any other --dist is pytest-xdist's own."""
    if config.getvalue("dist") == "loadfile":
        return module_scheduler(config, log)
    return None


@pytest.fixture(scope="session", autouse=True)
def _real_data_present():
    # Imported here, in the process that runs tests: pytest-xdist's controller also reads this file, and an import of
    # gan_core at its top made it import TensorFlow (about 6 CPU-seconds) for nothing.
    from gan_core.data.datasets import data_dir

    root = data_dir()
    if root is None or not (root / "keras" / "mnist.npz").is_file():
        pytest.exit("the offline datasets (../shared/datasets or $GAN_DATA_DIR) are missing", returncode=2)


@pytest.fixture(scope="session", autouse=True)
def _sessions_outside_the_project(tmp_path_factory):
    """A page drawn without the `sessions_dir` fixture keeps its sessions in a temporary folder of this test process,
    not in the project's sessions/: tests/test_uploads.py asserts that nothing appears in the project while its test
    runs, and under pytest-xdist another worker's tests run meanwhile."""
    os.environ.setdefault("GAN_SESSIONS_DIR", str(tmp_path_factory.mktemp("sessions-default")))


@pytest.fixture
def scheduler():
    from gan_core.server.scheduler import Scheduler

    return Scheduler(2)


@pytest.fixture
def train_in_worker(monkeypatch):
    """The app's runs train in the worker process (gan_core.server.worker), as a class server's do, not in this
    process's threads. Ask for it after `sessions_dir` (its fresh registry then picks the worker's queue). After the
    test, every run the app started must have trained in the worker: another process's id."""
    monkeypatch.setenv("GAN_TRAIN_IN", "worker")
    yield
    from gan_ui import state

    runs = state.registry().all_runs()
    assert runs, "the test started no run"
    assert all(run.remote_pid not in (None, os.getpid()) for run in runs), [run.remote_pid for run in runs]
