"""The server-wide registry of runs: run id -> Run for every session, the one place a session's runs are started,
resumed, found again after a restart (or on the cluster) and cleaned up. Every method may be called from any
session's thread. The app keeps one (gan_ui.state.registry)."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from ..data.datasets import Dataset
from ..i18n import GanError
from ..training.config import TrainConfig
from ..training.run import Run
from ..training.run_folder import RUN_ID_RE, RunFolder, new_run_id
from . import classroom, cluster, housekeeping, retention, worker
from .housekeeping import SESSION_ID_RE
from .scheduler import default_scheduler

CLEANUP_EVERY_SECONDS = 600  # how often sessions past the retention or the disk budget are looked for (retention.sweep)


class RunRegistry:
    """run_id -> Run for the whole server. Every method may be called from any session's thread."""

    def __init__(self, root: Path, clock=time.time):
        self.root = Path(root)
        self.clock = clock  # what retention and the disk budget call "now" (a test's fake clock)
        self._lock = threading.Lock()
        self._starting = threading.Lock()
        self._disk = threading.Lock()  # one decision on what to remove at a time
        self._runs: dict[str, Run] = {}
        self._last_cleanup = 0.0
        self.scheduler = None  # the queue of this server's runs (None: decided at first use, see queue())

    def queue(self, scheduler=None):
        """The queue a run goes to: `scheduler` when given, else this server's: on the cluster with GAN_CLUSTER,
        else in the worker process (gan_core.server.worker) unless GAN_TRAIN_IN=thread asks for this process's
        threads."""
        if scheduler is not None:
            return scheduler
        if self.scheduler is None:
            if cluster.enabled():
                self.scheduler = cluster.app_scheduler()
            elif worker.wanted():
                self.scheduler = worker.worker_scheduler()
            else:
                self.scheduler = default_scheduler()
        return self.scheduler

    def start_worker(self) -> None:
        """When this server's runs train in the worker process (gan_core.server.worker), start it now: it imports
        TensorFlow while nobody waits, not when the first student presses Train."""
        if self.queue().drive is worker.drive:
            worker.worker()

    def session_dir(self, session_id: str) -> Path:
        if not SESSION_ID_RE.fullmatch(session_id):
            raise ValueError("bad session id")
        return self.root / session_id

    def run_dir(self, session_id: str, run_id: str) -> Path:
        if not RUN_ID_RE.fullmatch(run_id):
            raise ValueError("bad run id")
        return self.session_dir(session_id) / "runs" / run_id

    def add(self, run: Run) -> None:
        with self._lock:
            self._runs[run.run_id] = run

    def active_run(self, session_id: str) -> Run | None:
        """The session's queued, running or paused run, if any (at most one: start_run and resume_run see to it)."""
        with self._lock:
            return next((run for run in self._runs.values() if run.owner == session_id and run.snapshot(history=False).active),
                        None)

    def start_run(self, session_id: str, config: TrainConfig, dataset: Dataset | None = None,
                  quota_bytes: int | None = None, scheduler=None) -> Run:
        """Create, register and queue a run for the session: refused (GanError) while the session has a run queued,
        running or paused, when its folder is over the quota, or when the server's disk budget is reached and no
        session may go to make room (make_room); the quota and the disk's reserve are checked again every epoch."""
        quota_bytes = housekeeping.DEFAULT_QUOTA_BYTES if quota_bytes is None else quota_bytes
        with self._starting:  # two tabs of one session pressing Train at once: one run
            self._refuse_if_busy(session_id)
            housekeeping.check_quota(self.session_dir(session_id), 0, quota_bytes)
            self.make_room(session_id)
            run = Run.create(self.run_dir(session_id, new_run_id()), config, dataset=dataset, owner=session_id,
                             command="app")
            run.disk_quota = (self.session_dir(session_id), quota_bytes)
            self.add(run)
            run.start(self.queue(scheduler))
            return run

    def resume_run(self, session_id: str, run: Run, extra_epochs: int = 0,
                   quota_bytes: int | None = None, scheduler=None) -> None:
        """Continue one of the session's runs (Run.resume_training; one stopped before its first step starts over),
        under the same rules as start_run."""
        quota_bytes = housekeeping.DEFAULT_QUOTA_BYTES if quota_bytes is None else quota_bytes
        with self._starting:
            self._refuse_if_busy(session_id)
            housekeeping.check_quota(self.session_dir(session_id), 0, quota_bytes)
            self.make_room(session_id)
            run.disk_quota = (self.session_dir(session_id), quota_bytes)
            try:
                run.resume_training(extra_epochs=extra_epochs, scheduler=self.queue(scheduler))
            except GanError as exc:
                if exc.message.key != "error.no_checkpoint" or run.snapshot().step:
                    raise
                run.start(self.queue(scheduler))

    def _refuse_if_busy(self, session_id: str) -> None:
        busy = self.active_run(session_id)
        if busy is not None:
            raise GanError("error.session_busy", run=busy.run_id)

    def get(self, session_id: str, run_id: str) -> Run | None:
        """The session's run: the live object if this server has it, else reopened from disk; None if not theirs."""
        if not RUN_ID_RE.fullmatch(run_id or ""):
            return None
        with self._lock:
            run = self._runs.get(run_id)
            if run is not None:
                return run if run.owner == session_id else None
            directory = self.run_dir(session_id, run_id)
            if not RunFolder(directory).is_run():
                return None
            run = Run.open(directory, owner=session_id)
            self._runs[run_id] = run
        if run.was_active and cluster.enabled():  # its job may still train on the cluster: follow it again
            actor = cluster.find(run_id)
            if actor is not None:
                run.attach(actor, self.queue())
        return run

    def reattach_cluster_jobs(self) -> list[str]:
        """An app that starts again follows every job still training on the cluster in its sessions' folders
        (the teacher sees them, the queue counts them); returns their run ids."""
        if not cluster.enabled():
            return []
        found = []
        for actor, info in cluster.running_jobs():
            directory = Path(info["directory"])
            owner = info["owner"]
            if not SESSION_ID_RE.fullmatch(owner) or directory.resolve() != self.run_dir(owner, directory.name).resolve():
                continue  # not one of this server's sessions
            with self._lock:
                if directory.name in self._runs:
                    continue
                run = Run.open(directory, owner=owner)
                self._runs[run.run_id] = run
            run.attach(actor, self.queue())
            found.append(run.run_id)
        return found

    def run_ids(self, session_id: str) -> list[str]:
        """The session's runs, oldest first: the ones on disk and any still being created."""
        folder = self.session_dir(session_id) / "runs"
        on_disk = {p.name for p in folder.iterdir() if RUN_ID_RE.fullmatch(p.name)} if folder.is_dir() else set()
        with self._lock:
            live = {run_id for run_id, run in self._runs.items() if run.owner == session_id}
        return sorted(on_disk | live)

    def all_runs(self) -> list[Run]:
        with self._lock:
            return list(self._runs.values())

    def forget(self, run_id: str) -> None:
        with self._lock:
            self._runs.pop(run_id, None)

    # --- what the server keeps (gan_core.server.retention) -------------------------------------------------------

    def limits(self) -> classroom.ClassLimits:
        return classroom.load_limits(self.root)

    def retention_seconds(self) -> float:
        return retention.retention_seconds(self.limits())

    def kept_until(self, session_id: str) -> float:
        """When this session's files may be removed at the earliest, as of now: its last visit plus the retention."""
        return retention.kept_until(self.session_dir(session_id), self.retention_seconds(), self.clock())

    def touch(self, session_id: str) -> None:
        """The session is seen now (by this registry's clock)."""
        housekeeping.touch_session(self.session_dir(session_id), now=self.clock())

    def spared_sessions(self, asking: str | None = None) -> set[str]:
        """Sessions nothing may remove: those with an active run here, those with a run in the class gallery, and the
        session asking for room."""
        with self._lock:
            busy = {run.owner for run in self._runs.values() if run.snapshot(history=False).active}
        return busy | retention.shared_sessions(self.root) | ({asking} if asking else set())

    def disk_state(self) -> retention.DiskState:
        """The sessions against the disk budget, and which would go next (the teacher's view)."""
        return retention.disk_state(self.root, self.limits(), self.spared_sessions(), self.clock())

    def make_room(self, session_id: str, incoming_bytes: int = 0) -> list[str]:
        """Before the session writes incoming_bytes: keep every session within the server's disk budget, removing the
        least recently seen sessions that may go (retention.make_room) and forgetting their runs.
        GanError('error.disk_budget') when even that would not make room: nothing is removed then, and the caller
        writes nothing."""
        with self._disk:
            removed = retention.make_room(self.root, incoming_bytes, self.limits(), self.spared_sessions(session_id),
                                          self.clock())
        self._forget_sessions(removed)
        return removed

    def cleanup_idle(self, force: bool = False) -> list[str]:
        """Every CLEANUP_EVERY_SECONDS (and at start, forced): delete the folders of sessions past the retention and,
        while the sessions are over the disk budget, of the least recently seen that may go (retention.sweep); sessions
        with an active or shared run stay. Their runs are forgotten. Returns the session ids removed."""
        with self._lock:
            if not force and time.time() - self._last_cleanup < CLEANUP_EVERY_SECONDS:
                return []
            self._last_cleanup = time.time()
        with self._disk:  # deleting files: not under the registry's lock
            removed = retention.sweep(self.root, self.limits(), self.spared_sessions(), self.clock())
        self._forget_sessions(removed)
        return removed

    def _forget_sessions(self, session_ids: list[str]) -> None:
        if not session_ids:
            return
        with self._lock:
            for run_id in [i for i, run in self._runs.items() if run.owner in session_ids]:
                del self._runs[run_id]
