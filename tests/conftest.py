"""Shared fixtures: real offline datasets, quiet TensorFlow, a private scheduler per test."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("GAN_NO_DOWNLOAD", "1")  # tests never reach for the network
# AppTest pages run in this process: their runs train in its threads, where a test can reach them. The real servers
# of the browser tests train in the worker process, as a class's does (bench.app_server.server_env).
os.environ.setdefault("GAN_TRAIN_IN", "thread")

import pytest

from gan_core.data.datasets import data_dir


@pytest.fixture(scope="session", autouse=True)
def _real_data_present():
    root = data_dir()
    if root is None or not (root / "keras" / "mnist.npz").is_file():
        pytest.exit("the offline datasets (../shared/datasets or $GAN_DATA_DIR) are missing", returncode=2)


@pytest.fixture
def scheduler():
    from gan_core.server.scheduler import Scheduler

    return Scheduler(2)
