"""GAN_CLUSTER: the app's own registry and runs train on a real local Ray cluster (a head without CPUs and one
worker process with one CPU, so every job lands on the worker): live progress, pause, resume, stop, an app that
starts again and reattaches, a killed worker that fails its run and frees its slot, then resumes elsewhere."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time

import pytest

if os.environ.get("GAN_TEST_RAY") != "1":  # opt-in: they start a real Ray cluster (head and worker processes)
    pytest.skip("Ray cluster tests run with GAN_TEST_RAY=1 and `pip install -r requirements-cluster.txt` "
                "(they are not yet reliable on a loaded 2-core CI machine)", allow_module_level=True)
ray = pytest.importorskip("ray")

from app_support import wait_until  # noqa: E402

from gan_core import RunState, TrainConfig  # noqa: E402
from gan_core.server import cluster, housekeeping  # noqa: E402
from gan_core.server.registry import RunRegistry  # noqa: E402
from gan_core.server.scheduler import Scheduler  # noqa: E402

pytestmark = pytest.mark.slow
STEPS = 30  # batches per epoch: long enough to pause inside an epoch


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _ports(*names) -> list[str]:
    return [f"--{name}={_free_port()}" for name in names]


def _ray_start(args, temp_dir) -> subprocess.Popen:
    """`ray start ... --block` in its own process group: the fixture ends exactly what it started."""
    log = open(os.path.join(temp_dir, f"start-{len(os.listdir(temp_dir))}.log"), "w")
    return subprocess.Popen(["ray", "start", "--block", "--disable-usage-stats", *args], stdout=log,
                            stderr=subprocess.STDOUT, start_new_session=True, env={**os.environ, "RAY_USAGE_STATS_ENABLED": "0"})


@pytest.fixture(scope="module")
def local_cluster():
    temp_dir = tempfile.mkdtemp(prefix="rayg_", dir="/tmp")  # short: Ray's socket paths have a length limit
    port = _free_port()
    node_ports = ("node-manager-port", "object-manager-port", "dashboard-agent-listen-port",
                  "dashboard-agent-grpc-port", "runtime-env-agent-port", "metrics-export-port")
    head = _ray_start(["--head", f"--port={port}", "--num-cpus=0", "--num-gpus=0", "--include-dashboard=false",
                       f"--temp-dir={temp_dir}", *_ports("ray-client-server-port", *node_ports)], temp_dir)
    processes = [head]
    address = f"127.0.0.1:{port}"
    saved = os.environ.get(cluster.CLUSTER_ENV)
    try:
        _wait_for_gcs(port, head)
        processes.append(_ray_start([f"--address={address}", "--num-cpus=1", "--num-gpus=0", *_ports(*node_ports)],
                                    temp_dir))
        os.environ[cluster.CLUSTER_ENV] = address
        cluster.connect()
        deadline = time.time() + 180
        while ray.cluster_resources().get("CPU", 0) < 1:
            assert time.time() < deadline, "the worker never joined"
            time.sleep(1)
        yield address
    finally:
        if ray.is_initialized():
            ray.shutdown()
        if saved is None:
            os.environ.pop(cluster.CLUSTER_ENV, None)
        else:
            os.environ[cluster.CLUSTER_ENV] = saved
        for process in reversed(processes):
            _end_group(process)
        shutil.rmtree(temp_dir, ignore_errors=True)


def _wait_for_gcs(port, head):
    deadline = time.time() + 120
    while time.time() < deadline:
        assert head.poll() is None, "ray start --head ended"
        try:
            socket.create_connection(("127.0.0.1", port), 1).close()
            time.sleep(2)
            return
        except OSError:
            time.sleep(0.5)
    raise AssertionError("the head never listened")


def _end_group(process):
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(30)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def _config(epochs: int) -> TrainConfig:
    return TrainConfig(preset="fast", dataset="mnist", epochs=epochs, batch_size=32, max_images=256,
                       steps_per_epoch=STEPS, keep_checkpoints=1)


def _until(condition, what, seconds=300):
    return wait_until(condition, seconds, what)


def test_a_run_trains_on_the_cluster_live_paused_resumed_and_stopped(local_cluster, tmp_path):
    assert cluster.capacity() == 1  # the head has no CPUs: one worker, one job
    registry = RunRegistry(tmp_path)
    scheduler = registry.scheduler = Scheduler(cluster.capacity())
    session = housekeeping.new_session_id()
    run = registry.start_run(session, _config(epochs=2), scheduler=scheduler)

    _until(lambda: run.snapshot().state == RunState.RUNNING and run.snapshot().step >= 1, "the first step")
    run.pause()
    paused = _until(lambda: (s := run.snapshot()).state == RunState.PAUSED and s.node and s, "the pause")
    time.sleep(3)  # the mirror catches up with the last step before the pause, then nothing moves
    held = run.snapshot().step
    time.sleep(2)
    assert run.snapshot().step == held < 2 * STEPS, "paused within the epoch, on the worker"
    assert paused.grid_epochs == [0] and paused.steps["step"], "live: the first grid and the step records"
    assert (run.directory / "grids" / "epoch_000.png").is_file(), "written by the actor into the shared folder"
    assert [job.run_id for job in scheduler.jobs()["running"]] == [run.run_id]

    run.resume()
    assert run.wait(300)
    final = run.snapshot()
    assert final.state == RunState.FINISHED, (final.message and final.message.text("en"), final.traceback)
    assert final.steps["step"] == list(range(1, 2 * STEPS + 1))
    assert [e["epoch"] for e in final.epochs] == [1, 2] and final.grid_epochs == [0, 1, 2]
    assert final.has_generator and final.node and final.device
    status = json.loads((run.directory / "status.json").read_text())
    assert status["state"] == "finished" and status["node"] == final.node
    assert scheduler.jobs() == {"running": [], "queued": []}
    assert cluster.find(run.run_id) is None, "the finished job's actor is gone"

    registry.resume_run(session, run, extra_epochs=2, scheduler=scheduler)  # continued on the cluster, then stopped
    _until(lambda: run.snapshot().step > 2 * STEPS + 2, "training past the checkpoint")
    run.stop()
    assert run.wait(120)
    stopped = run.snapshot()
    assert stopped.state == RunState.STOPPED and 2 * STEPS < stopped.step < 4 * STEPS
    assert scheduler.jobs() == {"running": [], "queued": []}


def test_an_app_restart_reattaches_and_a_killed_worker_fails_then_resumes(local_cluster, tmp_path):
    registry = RunRegistry(tmp_path)
    registry.scheduler = Scheduler(cluster.capacity())
    session = housekeeping.new_session_id()
    first = registry.start_run(session, _config(epochs=3), scheduler=registry.scheduler)
    _until(lambda: first.snapshot().epoch >= 1, "the first epoch")
    first.pause()  # keeps the job alive on the worker while the "app" goes away
    _until(lambda: first.snapshot().state == RunState.PAUSED, "the pause")

    cluster.detach(first)  # the app process ends: its thread lets go, the actor keeps the run
    assert first.wait(30)
    registry = RunRegistry(tmp_path)  # a new app process: a new registry and queue
    scheduler = registry.scheduler = Scheduler(cluster.capacity())
    assert registry.reattach_cluster_jobs() == [first.run_id]
    run = registry.get(session, first.run_id)
    assert run is not first
    _until(lambda: run.snapshot().state == RunState.PAUSED and run.snapshot().epoch >= 1, "the reattached state")
    assert [job.run_id for job in scheduler.jobs()["running"]] == [run.run_id], "it holds its slot"
    run.resume()
    _until(lambda: run.snapshot().state == RunState.RUNNING and run.remote_pid, "running again")

    os.kill(run.remote_pid, signal.SIGKILL)  # the worker process dies mid-run
    failed = _until(lambda: (s := run.snapshot()).state == RunState.FAILED and s, "the failure", 180)
    assert failed.message.key == "error.worker_lost", failed.message.text("en")
    assert "lost" in failed.message.text("en")
    assert scheduler.jobs()["running"] == [], "its slot is free"
    assert json.loads((run.directory / "status.json").read_text())["state"] == "failed"

    registry.resume_run(session, run, scheduler=scheduler)  # from its last checkpoint, wherever Ray places it
    assert run.wait(300)
    final = run.snapshot()
    assert final.state == RunState.FINISHED, (final.message and final.message.text("en"), final.traceback)
    assert final.steps["step"] == list(range(1, 3 * STEPS + 1)), "from the checkpoint on, no gaps, no repeats"
    assert [e["epoch"] for e in final.epochs] == [1, 2, 3] and final.grid_epochs == [0, 1, 2, 3]
    assert scheduler.jobs() == {"running": [], "queued": []}
