"""Training on a Ray cluster (GAN_CLUSTER): each run is a named Ray actor that trains into the shared run folder.

The app keeps deciding who trains (app_scheduler(): a gan_core.server.scheduler.Scheduler over the cluster's
capacity, fair turns included, whose `drive` is this module's); Ray decides where. A run's driver thread in the app asks the scheduler for a slot, starts the actor, and polls it: the live
counters and new step records come back in each poll (small), everything else (metrics.jsonl, grids,
checkpoints, generator.keras) the actor writes into the run's folder, which every machine sees at the same path
(a shared filesystem). Without GAN_CLUSTER none of this is imported and runs train in threads as before.

Only a cluster with Ray's token authentication: without it, anyone who can reach the cluster can run code as the
server's user, read sessions/.session_secret and forge any student's address. connect() refuses unless this process
speaks token authentication (RAY_AUTH_MODE=token and a token) and the cluster refuses a call without the token;
GAN_CLUSTER_INSECURE=1 turns both checks off, for a network nobody else can reach.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from pathlib import Path

from ..i18n import GanError, Message
from ..training.run import take_slot
from . import scheduler as queue
from .jobs import TrainingJob, follow, job_arguments

CLUSTER_ENV = "GAN_CLUSTER"  # unset: threads in this process; "auto", "host:port" or "ray://host:port": Ray
CPUS_ENV = "GAN_CLUSTER_CPUS"  # CPUs one job asks for on a cluster without GPUs (default 1)
NAMESPACE = "aula-gan"
POLL_SECONDS = 0.5
FIRST_POLL_SECONDS = 600.0  # a fresh worker process imports TensorFlow: slow on a busy machine
POLL_TIMEOUT_SECONDS = 120.0  # a worker that answers nothing for this long is lost
INSECURE_ENV = "GAN_CLUSTER_INSECURE"  # "1": a cluster without token authentication is accepted
AUTH_MODE_ENV, TOKEN_ENV, TOKEN_PATH_ENV = "RAY_AUTH_MODE", "RAY_AUTH_TOKEN", "RAY_AUTH_TOKEN_PATH"  # Ray's own
AUTH_CHECK_SECONDS = 30.0
PASSED_ENV = ("GAN_DATA_DIR", "GAN_NO_DOWNLOAD", "KERAS_HOME", "TF_CPP_MIN_LOG_LEVEL", "GAN_TF_THREADS")

_connect_lock = threading.Lock()


def address() -> str | None:
    value = os.environ.get(CLUSTER_ENV, "").strip()
    return value or None


def enabled() -> bool:
    return address() is not None


_app_scheduler = None
_app_scheduler_lock = threading.Lock()


def app_scheduler():
    """The queue of this process's runs: with GAN_CLUSTER, one over the cluster's whole capacity whose jobs train
    there (Ray places them, the app decides who trains: fair turns included); else the server's own
    (gan_core.server.scheduler.default_scheduler)."""
    global _app_scheduler
    if not enabled():
        return queue.default_scheduler()
    with _app_scheduler_lock:  # not _connect_lock: capacity() connects
        if _app_scheduler is None:
            _app_scheduler = queue.Scheduler(capacity(), *queue.default_turn(), drive=drive)
        return _app_scheduler


# --- token authentication --------------------------------------------------------------------------------

def insecure_allowed() -> bool:
    return os.environ.get(INSECURE_ENV, "").strip() == "1"


def token_available() -> bool:
    """Whether Ray finds a token here, where Ray 2.60 looks (its AuthenticationTokenLoader): RAY_AUTH_TOKEN, the file
    RAY_AUTH_TOKEN_PATH names, else ~/.ray/auth_token."""
    if os.environ.get(TOKEN_ENV, "").strip():
        return True
    path = os.environ.get(TOKEN_PATH_ENV) or str(Path.home() / ".ray" / "auth_token")
    try:
        return bool(Path(path).read_text().strip())
    except OSError:
        return False


def check_auth_settings() -> None:
    """Before connecting: GanError unless this process speaks Ray's token authentication (or GAN_CLUSTER_INSECURE=1).
    Ray connects without a token wherever RAY_AUTH_MODE is not "token", and such a driver can only reach a cluster
    that lets anyone in."""
    if insecure_allowed():
        return
    if os.environ.get(AUTH_MODE_ENV, "").strip().lower() != "token":
        raise GanError("error.cluster_no_auth", mode=os.environ.get(AUTH_MODE_ENV) or "—")
    if not token_available():
        raise GanError("error.cluster_no_token")


def refuse_open_cluster(gcs_address: str) -> None:
    """GanError unless the cluster at `gcs_address` refuses a call that carries no token (or GAN_CLUSTER_INSECURE=1).
    A driver with a token connects just as well to a cluster started without authentication (tried on Ray 2.60), so
    the app asks the cluster's GCS for its id with no token, as an outsider would: a cluster with authentication
    answers UNAUTHENTICATED."""
    if insecure_allowed():
        return
    import grpc
    from ray.core.generated import gcs_service_pb2, gcs_service_pb2_grpc

    with grpc.insecure_channel(gcs_address) as channel:
        stub = gcs_service_pb2_grpc.NodeInfoGcsServiceStub(channel)
        try:
            stub.GetClusterId(gcs_service_pb2.GetClusterIdRequest(), timeout=AUTH_CHECK_SECONDS)
        except grpc.RpcError as exc:
            if exc.code() == grpc.StatusCode.UNAUTHENTICATED:
                return
            raise GanError("error.cluster_unverified", address=gcs_address, reason=str(exc.code())) from exc
    raise GanError("error.cluster_open", address=gcs_address)


def connect():
    """ray, initialised once per process against GAN_CLUSTER. Workers import gan_core from this checkout's path:
    the code, like the run folders, must be at the same path on every machine.

    Never a cluster of its own: ray.init() without an address, or any Ray call before init or after shutdown,
    starts a local one inside this process, spawned from the calling thread with PR_SET_PDEATHSIG, so the kernel
    kills it when that (run) thread ends, and 60 s later Ray ends this whole process ("Failed to connect to GCS").
    That is how a leftover run thread took a test run down; so no address is an error and Ray's auto-connect is
    off (read when ray is first imported, here)."""
    where = address()
    if where is None:
        raise RuntimeError(f"{CLUSTER_ENV} is not set: there is no cluster to train on")
    check_auth_settings()
    os.environ.setdefault("RAY_ENABLE_AUTO_CONNECT", "0")
    import ray

    with _connect_lock:
        if not ray.is_initialized():
            root = Path(__file__).resolve().parents[2]
            env = {name: os.environ[name] for name in PASSED_ENV if name in os.environ}
            env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(root), os.environ.get("PYTHONPATH")]))
            ray.init(address=where, namespace=NAMESPACE, logging_level="WARNING", log_to_driver=False,
                     runtime_env={"env_vars": env})
            try:
                refuse_open_cluster(ray.get_runtime_context().gcs_address)
            except BaseException:
                ray.shutdown()  # nothing runs on a cluster that lets anyone in
                raise
    return ray


def job_cpus() -> int:
    return max(1, int(os.environ.get(CPUS_ENV, "1") or 1))


def capacity() -> int:
    """How many jobs the cluster holds at once: one per GPU, else its CPUs over what one job asks for."""
    resources = connect().cluster_resources()
    gpus = int(resources.get("GPU", 0))
    return gpus if gpus else max(1, int(resources.get("CPU", 0)) // job_cpus())


def actor_name(run_id: str) -> str:
    return f"train-{run_id}"


# --- the actor, on a worker ------------------------------------------------------------------------

class ClusterJob(TrainingJob):
    """A run's job as a Ray actor: it ends its turn at an epoch's end (gan_core.server.jobs.JobTurns)."""

    def node_label(self) -> str:
        return f"{socket.gethostname()} ({_node_ip()})"


def _node_ip() -> str:
    try:
        import ray

        return ray.util.get_node_ip_address()
    except Exception:  # noqa: BLE001 - a label for the teacher, never a reason to fail
        return "?"


# --- the app's side -----------------------------------------------------------------------------------

class RemoteControl:
    """What a Run in the app holds while its actor trains (gan_core.server.jobs.JobHandle): pause, resume and stop go
    straight to the actor; poll waits for its answer, long for the first (a fresh worker imports TensorFlow)."""

    poll_seconds = awaited_poll_seconds = POLL_SECONDS

    def __init__(self, actor, ray=None):
        self.actor, self.ray = actor, ray
        self.detached = threading.Event()  # this app lets go of the job (it keeps training); see detach()
        self._timeout = FIRST_POLL_SECONDS

    def poll(self, after_step: int, someone_waits: bool) -> dict:
        info = self.ray.get(self.actor.poll.remote(after_step, someone_waits), timeout=self._timeout)
        self._timeout = POLL_TIMEOUT_SECONDS
        return info

    def go(self, someone_waits: bool) -> None:
        pass  # an actor never waits in memory: its turn ends with it (gan_core.server.jobs.JobTurns)

    def pause(self):
        self.actor.pause.remote()

    def resume(self):
        self.actor.resume.remote()

    def stop(self):
        self.actor.stop.remote()


def launch(run, scheduler=None):
    """Start the run's actor: one GPU where the cluster has them, else GAN_CLUSTER_CPUS CPUs; its turns as the
    app's queue has them."""
    ray = connect()
    gpus = int(ray.cluster_resources().get("GPU", 0))
    resources = {"num_gpus": 1, "num_cpus": 1} if gpus else {"num_cpus": job_cpus()}
    actor_class = ray.remote(ClusterJob).options(
        name=actor_name(run.run_id), namespace=NAMESPACE, lifetime="detached", max_restarts=0, **resources)
    return actor_class.remote(**job_arguments(run, scheduler), keep_in_memory=False, cpus=resources["num_cpus"])


def find(run_id: str):
    """The run's actor if it still lives on the cluster, else None."""
    ray = connect()
    try:
        return ray.get_actor(actor_name(run_id), namespace=NAMESPACE)
    except ValueError:
        return None


def running_jobs() -> list[tuple[object, dict]]:
    """(actor, {"directory", "owner"}) for every training actor on the cluster: an app that starts again finds
    its jobs here."""
    ray = connect()
    found = []
    for entry in ray.util.list_named_actors(all_namespaces=True):
        if entry.get("namespace") != NAMESPACE or not entry["name"].startswith("train-"):
            continue
        try:
            actor = ray.get_actor(entry["name"], namespace=NAMESPACE)
            found.append((actor, ray.get(actor.describe.remote(), timeout=30)))
        except Exception:  # noqa: BLE001 - an actor that just ended or died
            continue
    return found


def detach(run) -> None:
    """Let go of a run's job without touching it (what a closing app does): its driver thread ends, the actor
    trains on, and another app process reattaches to it."""
    remote = run.remote
    if remote is not None:
        remote.detached.set()


def drive(run, scheduler, actor=None) -> None:
    """The run's thread in the app: a slot from the scheduler (take_slot, as every way a run trains takes it), the
    actor started (or the running one adopted, which holds its slot already), then its progress mirrored into the Run
    until it ends (gan_core.server.jobs.follow). When its turn is over the actor ends at an epoch's end and the run
    waits at the back of the queue; its next turn is a new actor from that epoch's checkpoint. A lost worker fails the
    run with the reason and frees the slot; resume_training then starts again from the last checkpoint, wherever Ray
    places it."""
    ray = connect()
    if actor is not None:
        scheduler.adopt(run.run_id, run.owner, remaining=run.clock.remaining_seconds)
    elif not take_slot(run, scheduler):
        return
    try:
        while True:
            if actor is None:
                run.save_status()  # the last word from the app: from here on the actor writes the status
                actor = launch(run, scheduler)
            remote = RemoteControl(actor, ray)
            if not _ended_handing_over(ray, run, actor, follow(run, scheduler, remote, remote.detached)):
                return
            actor = None  # its turn went to another job: wait at the back of the queue, then on from the checkpoint
            if not scheduler.take_turn_break(run.run_id, run.stop_event) or run.stop_requested:
                run.mark_stopped()
                return
            run.set_resume_checkpoint(run.folder.existing_checkpoint(None))  # last.npz: where its turn ended
    except Exception as exc:  # noqa: BLE001 - a lost worker or cluster fails this run, never the app
        run.fail(Message("error.worker_lost", error=_reason(exc)))
        run.save_status()
    finally:
        run.set_resume_checkpoint(None)
        scheduler.release(run.run_id)


def _ended_handing_over(ray, run, actor, info: dict | None) -> bool:
    """After following the actor (info: its last poll, None when this app let go): end it once it is done; True when
    it ended handing its turn over."""
    if info is None:
        return False
    ray.kill(actor)
    if info["handed_over"]:
        _wait_until_gone(ray, run.run_id)  # its name and resources free before the next turn's actor
    return info["handed_over"]


def _wait_until_gone(ray, run_id: str, seconds: float = 60.0) -> None:
    deadline = time.monotonic() + seconds
    while find(run_id) is not None:
        if time.monotonic() > deadline:
            raise TimeoutError(f"the actor of {run_id} did not end")
        time.sleep(0.1)


def _reason(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    first = next((line for line in text if line.strip()), "")
    return f"{type(exc).__name__}: {first[:300]}"
