"""GAN_CLUSTER: the app's own registry and runs train on a real local Ray cluster (a head without CPUs and one
worker process with one CPU, so every job lands on the worker, all with Ray's token authentication): live progress,
pause, resume, stop, an app that starts again and reattaches, a killed worker that fails its run and frees its slot,
then resumes elsewhere, two students' runs taking fair turns on the one slot while the teacher's page shows the
machine of each job, and a call without the token refused while a cluster that takes one is refused by the app."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

# Token authentication on, as the app requires (gan_core.server.cluster.check_auth_settings): the cluster's processes
# and this driver share one token made for this run, never written to disk. Set before ray is imported: Ray reads
# RAY_AUTH_MODE once, at import, and a driver that sets it later connects without its token and is refused.
RAY_ENV = {"RAY_AUTH_MODE": "token", "RAY_AUTH_TOKEN": secrets.token_hex(32), "RAY_USAGE_STATS_ENABLED": "0"}
os.environ.update(RAY_ENV)
os.environ.setdefault("RAY_ENABLE_AUTO_CONNECT", "0")  # read at ray's import: see gan_core.server.cluster.connect
ray = pytest.importorskip("ray")  # requirements-test.txt installs it; a bare install skips these tests

import streamlit as st  # noqa: E402
from app_support import new_app, poll, sessions_dir, texts, wait_until  # noqa: E402, F401 - sessions_dir: a fixture

from gan_core import RunState, TrainConfig  # noqa: E402
from gan_core.i18n import tr  # noqa: E402
from gan_core.server import classroom, cluster, housekeeping  # noqa: E402
from gan_core.server import scheduler as queue  # noqa: E402
from gan_core.server.registry import RunRegistry  # noqa: E402
from gan_core.server.scheduler import Scheduler  # noqa: E402
from gan_ui import state  # noqa: E402

pytestmark = pytest.mark.slow
STEPS = 30  # batches per epoch: long enough to pause inside an epoch
OBJECT_STORE_BYTES = 100 * 1024 * 1024


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _ports(*names) -> list[str]:
    return [f"--{name}={_free_port()}" for name in names]


def _ray_start(args, temp_dir, env=None) -> subprocess.Popen:
    """`ray start ... --block` in its own process group: the fixture ends exactly what it started."""
    log = open(os.path.join(temp_dir, f"start-{len(os.listdir(temp_dir))}.log"), "w")
    return subprocess.Popen(["ray", "start", "--block", "--disable-usage-stats", *args], stdout=log,
                            stderr=subprocess.STDOUT, start_new_session=True, env=env or os.environ.copy())


def _start_logs(temp_dir) -> str:
    """The last lines of each `ray start` log, and of Ray's own session logs for the raylets and the GCS."""
    parts = []
    for path in sorted(Path(temp_dir).glob("start-*.log")) + sorted(Path(temp_dir).glob("session_latest/logs/*")):
        if path.is_file() and (path.name.startswith("start-") or path.name.startswith(("raylet", "gcs_server"))):
            lines = path.read_text(errors="replace").splitlines()[-15:]
            parts.append(f"--- {path.name}\n" + "\n".join(lines))
    return "\n".join(parts)


@pytest.fixture(scope="module")
def local_cluster():
    temp_dir = tempfile.mkdtemp(prefix="rayg_", dir="/tmp")  # short: Ray's socket paths have a length limit
    saved = {name: os.environ.get(name) for name in (cluster.CLUSTER_ENV, *RAY_ENV)}
    os.environ.update(RAY_ENV)  # the cluster's processes and this driver (again: a test may have changed them)
    port = _free_port()
    node_ports = ("node-manager-port", "object-manager-port", "dashboard-agent-listen-port",
                  "dashboard-agent-grpc-port", "runtime-env-agent-port", "metrics-export-port")
    # A small object store: by default each node maps 30% of the machine's memory (7 GB of 24 here) for objects
    # these tests never make (the actors' polls are a few hundred bytes).
    small = ["--num-gpus=0", f"--object-store-memory={OBJECT_STORE_BYTES}"]
    head = _ray_start(["--head", f"--port={port}", "--num-cpus=0", *small, "--include-dashboard=false",
                       f"--temp-dir={temp_dir}", *_ports("ray-client-server-port", *node_ports)], temp_dir)
    processes = [head]
    address = f"127.0.0.1:{port}"
    try:
        _wait_for_gcs(port, head)
        processes.append(_ray_start([f"--address={address}", "--num-cpus=1", *small, *_ports(*node_ports)],
                                    temp_dir))
        os.environ[cluster.CLUSTER_ENV] = address
        cluster.connect()
        try:
            wait_until(lambda: ray.cluster_resources().get("CPU", 0) >= 1, 180, "the worker joining")
        except AssertionError:
            raise AssertionError(f"the worker did not join; what the nodes said:\n{_start_logs(temp_dir)}") from None
        yield address
    finally:
        if ray.is_initialized():
            for actor, _ in cluster.running_jobs():  # a failed test's jobs: nothing may outlive the cluster
                ray.kill(actor)
            ray.shutdown()
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        for process in reversed(processes):
            _end_group(process)
        shutil.rmtree(temp_dir, ignore_errors=True)


@pytest.fixture
def registries(local_cluster, tmp_path):
    """New app registries over one sessions folder (each one an app process); every run they hold is stopped and
    its thread ended before the test is over, passed or failed: a run thread left behind would call Ray after the
    cluster is gone (gan_core.server.cluster.connect tells what that did to a whole test run)."""
    made = []

    def new_registry() -> RunRegistry:
        registry = RunRegistry(tmp_path)
        registry.scheduler = Scheduler(cluster.capacity(), drive=cluster.drive)
        made.append(registry)
        return registry

    yield new_registry
    _end_runs(run for registry in made for run in registry.all_runs())


def _end_runs(runs) -> None:
    runs = list(runs)
    for run in runs:
        run.stop()
    for run in runs:
        assert run.wait(180), f"run {run.run_id} did not end"


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
        process.wait(15)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def _config(epochs: int, steps: int = STEPS) -> TrainConfig:
    return TrainConfig(preset="fast", dataset="mnist", epochs=epochs, batch_size=32, max_images=256,
                       steps_per_epoch=steps, keep_checkpoints=1)


def _until(condition, what, seconds=300):
    return wait_until(condition, seconds, what)


def _actor_step(run) -> int:
    """The step the run's actor itself is at (not the app's mirror of it)."""
    return ray.get(cluster.find(run.run_id).poll.remote(run.snapshot().step))["step"]


def test_a_run_trains_on_the_cluster_live_paused_resumed_and_stopped(registries):
    assert cluster.capacity() == 1  # the head has no CPUs: one worker, one job
    registry = registries()
    scheduler = registry.scheduler
    session = housekeeping.new_session_id()
    epochs = 4  # long enough that a quick worker is still training when the pause reaches it
    run = registry.start_run(session, _config(epochs=epochs), scheduler=scheduler)

    _until(lambda: run.snapshot().state == RunState.RUNNING and run.snapshot().step >= 1, "the first step")
    run.pause()
    paused = _until(lambda: (s := run.snapshot()).state == RunState.PAUSED and s.node and s, "the pause")
    # PAUSED is said when the pause is asked for; the batch in flight then ends (one more step) and the actor's trainer
    # parks, which its polls say (Run.parked): only then does nothing move (one step came after PAUSED under load).
    _until(lambda: run.parked, "the actor's trainer parked")
    held = _until(lambda: (step := run.snapshot().step) == _actor_step(run) and run.parked and step,
                  "the mirror catching up")
    assert held < epochs * STEPS, "paused before its end, on the worker"
    assert paused.grid_epochs == list(range(paused.epoch + 1)) and paused.steps["step"], \
        "live: the grids so far and the step records"
    assert (run.directory / "grids" / "epoch_000.png").is_file(), "written by the actor into the shared folder"
    assert [job.run_id for job in scheduler.jobs()["running"]] == [run.run_id]
    assert run.snapshot().step == _actor_step(run) == held, "nothing moves while paused"

    run.resume()
    assert run.wait(300)
    final = run.snapshot()
    assert final.state == RunState.FINISHED, (final.message and final.message.text("en"), final.traceback)
    assert final.steps["step"] == list(range(1, epochs * STEPS + 1))
    assert [e["epoch"] for e in final.epochs] == list(range(1, epochs + 1))
    assert final.grid_epochs == list(range(epochs + 1))
    assert final.has_generator and final.node and final.device
    status = json.loads((run.directory / "status.json").read_text())
    assert status["state"] == "finished" and status["node"] == final.node
    assert scheduler.jobs() == {"running": [], "queued": []}
    assert cluster.find(run.run_id) is None, "the finished job's actor is gone"

    more = 20  # far more than it trains before the stop arrives, however quick the worker
    registry.resume_run(session, run, extra_epochs=more, scheduler=scheduler)  # continued on the cluster, then stopped
    _until(lambda: run.snapshot().step > epochs * STEPS + 2, "training past the checkpoint")
    run.stop()
    assert run.wait(120)
    stopped = run.snapshot()
    assert stopped.state == RunState.STOPPED and epochs * STEPS < stopped.step < (epochs + more) * STEPS
    assert scheduler.jobs() == {"running": [], "queued": []}


def test_an_app_restart_reattaches_and_a_killed_worker_fails_then_resumes(registries):
    registry = registries()
    session = housekeeping.new_session_id()
    epochs = 8  # long enough that a quick worker is still training when the pause and the kill reach it
    first = registry.start_run(session, _config(epochs=epochs), scheduler=registry.scheduler)
    _until(lambda: first.snapshot().epoch >= 1, "the first epoch")
    # The epoch's record reaches the app before the actor has saved its checkpoint (the grid, the scores and the
    # TensorBoard events come first): on a loaded machine the kill below once came in between, and there was nothing
    # to resume from. The kill is meant to come after a checkpoint.
    _until(lambda: first.folder.existing_checkpoint() is not None, "the first epoch's checkpoint")
    first.pause()  # keeps the job alive on the worker while the "app" goes away
    _until(lambda: first.snapshot().state == RunState.PAUSED, "the pause")

    cluster.detach(first)  # the app process ends: its thread lets go, the actor keeps the run
    assert first.wait(30)
    registry = registries()  # a new app process: a new registry and queue
    scheduler = registry.scheduler
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
    assert final.steps["step"] == list(range(1, epochs * STEPS + 1)), "from the checkpoint on, no gaps, no repeats"
    assert [e["epoch"] for e in final.epochs] == list(range(1, epochs + 1))
    assert final.grid_epochs == list(range(epochs + 1))
    assert scheduler.jobs() == {"running": [], "queued": []}


TURN_STEPS = 10  # a turn is one epoch: short epochs, several turns


def test_two_students_take_turns_on_a_one_slot_cluster_and_the_teacher_sees_each_machine(
        local_cluster, sessions_dir, tmp_path, monkeypatch):
    """Through the app's own registry and queue (turns of one epoch): the slot alternates between the two
    students, each turn its own actor (so Ray frees the worker's CPU for the other), and each run still trains
    every step exactly once; the teacher's page names the machine of each job."""
    empty = tmp_path / "no-generators"
    empty.mkdir()
    monkeypatch.setenv("GAN_PRETRAINED_DIR", str(empty))  # pages without bundled generators: cheaper
    monkeypatch.setenv(queue.TURN_EPOCHS_ENV, "1")
    monkeypatch.setenv(queue.TURN_SECONDS_ENV, "0")
    monkeypatch.setattr(cluster, "_app_scheduler", None)
    st.cache_resource.clear()
    registry = state.registry()  # the app's own, as every page sees it
    scheduler = registry.queue()  # cluster.app_scheduler(): over the cluster's capacity, its jobs trained there
    assert scheduler.max_concurrent == 1 and scheduler.drive is cluster.drive and scheduler.turn_epochs == 1
    ana, bea = housekeeping.new_session_id(), housekeeping.new_session_id()
    first = registry.start_run(ana, _config(epochs=3, steps=TURN_STEPS))
    _until(lambda: first.snapshot().state == RunState.RUNNING, "the first run's turn")
    second = registry.start_run(bea, _config(epochs=2, steps=TURN_STEPS))
    _until(lambda: scheduler.position(second.run_id) == 1, "the second run queued")

    teacher = new_app()
    teacher.secrets["unrelated"] = "x"  # no teacher_password: the generated one
    teacher.run()
    teacher.switch_page("app_pages/teacher.py").run()
    teacher.text_input[0].set_value(classroom.generated_password(sessions_dir)[0])
    teacher.button(key="FormSubmitter:teacher.login-Entrar").click().run()
    running = _until(lambda: next((r for r in (first, second) if r.snapshot().state == RunState.RUNNING
                                   and r.snapshot().node), None), "a job with its machine")
    node = running.snapshot().node
    assert socket.gethostname() in node
    poll(teacher, lambda at: tr("teacher.node", "es", node=node) in texts(at) and running.run_id in texts(at),
         describe=lambda: [t for t in texts(teacher) if "Máquina" in t])

    assert first.wait(600) and second.wait(600)
    for run, epochs in ((first, 3), (second, 2)):
        final = run.snapshot()
        assert final.state == RunState.FINISHED, (final.message and final.message.text("en"), final.traceback)
        assert final.steps["step"] == list(range(1, epochs * TURN_STEPS + 1)), "every step once, across actors"
        assert [e["epoch"] for e in final.epochs] == list(range(1, epochs + 1))
    turns = [run_id for _, event, run_id in scheduler.history if event == "start"]
    assert turns[:4] == [first.run_id, second.run_id, first.run_id, second.run_id], scheduler.history
    assert [event for _, event, _ in scheduler.history].count("end") == 2
    assert scheduler.jobs() == {"running": [], "queued": []}
    assert cluster.find(first.run_id) is None and cluster.find(second.run_id) is None


def test_a_call_without_the_token_is_refused_and_the_app_refuses_a_cluster_that_takes_one(local_cluster, monkeypatch):
    """The attack: anyone who reaches the cluster calls its GCS with no token. The class's cluster refuses it; a
    cluster started without authentication answers, and the app then refuses to use it (in both languages) unless
    GAN_CLUSTER_INSECURE=1."""
    import grpc
    from ray.core.generated import gcs_service_pb2, gcs_service_pb2_grpc

    from gan_core.i18n import GanError

    def tokenless_call(address):
        with grpc.insecure_channel(address) as channel:
            stub = gcs_service_pb2_grpc.NodeInfoGcsServiceStub(channel)
            return stub.GetClusterId(gcs_service_pb2.GetClusterIdRequest(), timeout=30)

    gcs = ray.get_runtime_context().gcs_address  # where the app's connection went (its cluster.connect passed)
    with pytest.raises(grpc.RpcError) as refused:
        tokenless_call(gcs)
    assert refused.value.code() == grpc.StatusCode.UNAUTHENTICATED
    cluster.refuse_open_cluster(gcs)  # the app's own check agrees

    temp_dir = tempfile.mkdtemp(prefix="rayo_", dir="/tmp")
    port = _free_port()
    open_env = {**os.environ, "RAY_AUTH_MODE": "disabled"}
    open_env.pop("RAY_AUTH_TOKEN")
    head = _ray_start(["--head", f"--port={port}", "--num-cpus=0", "--num-gpus=0",
                       f"--object-store-memory={OBJECT_STORE_BYTES}", "--include-dashboard=false",
                       f"--temp-dir={temp_dir}", *_ports("ray-client-server-port", "node-manager-port",
                                                        "object-manager-port", "dashboard-agent-listen-port",
                                                        "dashboard-agent-grpc-port", "runtime-env-agent-port",
                                                        "metrics-export-port")], temp_dir, env=open_env)
    try:
        _wait_for_gcs(port, head)
        address = f"127.0.0.1:{port}"
        assert tokenless_call(address).cluster_id, "an open cluster answers anyone"
        with pytest.raises(GanError) as caught:
            cluster.refuse_open_cluster(address)
        assert caught.value.message.key == "error.cluster_open"
        assert "responde a peticiones sin token" in caught.value.text("es")
        assert "answers requests without a token" in caught.value.text("en")
        monkeypatch.setenv(cluster.INSECURE_ENV, "1")
        cluster.refuse_open_cluster(address)  # said explicitly: accepted
    finally:
        _end_group(head)
        shutil.rmtree(temp_dir, ignore_errors=True)
