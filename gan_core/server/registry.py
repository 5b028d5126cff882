"""The server-wide registry of runs: run id -> Run for every session, the one place a session's runs are started,
resumed, found again after a restart (or on the cluster) and cleaned up. Every method may be called from any
session's thread. The app keeps one (gan_ui.state.registry)."""

from __future__ import annotations

import hashlib
import logging
import math
import os
import threading
import time
from collections import Counter
from pathlib import Path

from ..data.datasets import Dataset
from ..i18n import GanError
from ..training.config import TrainConfig, check_extra_epochs
from ..training.run import ACTIVE_STATES, Run
from ..training.run_folder import RUN_ID_RE, RunFolder, new_run_id
from . import classroom, cluster, housekeeping, retention, worker
from .housekeeping import SESSION_ID_RE
from .scheduler import default_scheduler

TOUCH_SECONDS = 60.0  # a session's "last seen" file is written at most this often (each page run asks)
CLEANUP_EVERY_SECONDS = 600  # how often sessions past the retention or the disk budget are looked for (retention.sweep)
ADDRESS_CAP_ENV = "GAN_MAX_QUEUED_PER_ADDRESS"  # runs queued or training at once from one client address; 0: off


def address_cap() -> int:
    """GAN_MAX_QUEUED_PER_ADDRESS: how many runs one client address may have queued or training at once (one person
    opening many sessions). 0, unset or unreadable: no cap, the default, since a class behind one NAT shares one
    address."""
    try:
        return max(0, int(os.environ.get(ADDRESS_CAP_ENV, "0") or 0))
    except ValueError:
        return 0


class RunRegistry:
    """run_id -> Run for the whole server. Every method may be called from any session's thread."""

    def __init__(self, root: Path, clock=time.time):
        self.root = Path(root)
        self.clock = clock  # what retention and the disk budget call "now" (a test's fake clock)
        self._lock = threading.Lock()
        self._touched: dict[str, float] = {}  # session id -> when its "last seen" file was last written
        self._starting = threading.Lock()
        self._disk = threading.Lock()  # one decision on what to remove at a time
        self._runs: dict[str, Run] = {}
        # run id -> the client address that last started or continued it: in memory only, never written to disk,
        # for the per-address cap and the teacher's view
        self._addresses: dict[str, str] = {}
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
            try:
                worker.worker()
            except GanError as exc:  # an unusable GAN_BACKEND: the pages still work, each run says why (worker.drive)
                logging.getLogger(__name__).error("training worker not started: %s", exc.text("en"))

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
                  quota_bytes: int | None = None, scheduler=None, dataset_choice: str | None = None,
                  address: str | None = None) -> Run:
        """Create, register and queue a run for the session: refused (GanError) while the session has a run queued,
        running or paused, while its client `address` has as many as GAN_MAX_QUEUED_PER_ADDRESS allows, when its
        folder is over the quota (checked again every epoch), when the server's disk budget is reached and no session
        may go to make room (make_room), or when the class does not offer its recipe or dataset
        (`dataset_choice` as the form names it: "upload:<id>" for a student's photos). The class's limits cap
        `config` (in place); the run keeps the reasons (Run.limit_notes) and the bound on its minutes."""
        quota_bytes = housekeeping.DEFAULT_QUOTA_BYTES if quota_bytes is None else quota_bytes
        with self._starting:  # two tabs of one session pressing Train at once: one run
            self._refuse_if_busy(session_id)
            self._refuse_if_address_busy(address)
            housekeeping.check_quota(self.session_dir(session_id), 0, quota_bytes)
            limits = classroom.load_limits(self.root)
            notes = limits.apply(config, dataset_choice or config.dataset)
            self.make_room(session_id)
            run = Run.create(self.run_dir(session_id, new_run_id()), config, dataset=dataset, owner=session_id,
                             command="app")
            run.set_class_limits(limits.max_minutes, notes)
            housekeeping.keep_run_within(run, self.session_dir(session_id), quota_bytes)
            self.add(run)
            self._remember_address(run.run_id, address)
            run.start(self.queue(scheduler))
            return run

    def resume_run(self, session_id: str, run: Run, extra_epochs: int = 0,
                   quota_bytes: int | None = None, scheduler=None, address: str | None = None) -> None:
        """Continue one of the session's runs (Run.resume_training; one stopped before its first step starts over),
        under the same rules as start_run. The class's limits bound the run's total, every continue counted: more
        epochs than they allow are cut (the run keeps the reason), and a run already at its epochs or minutes is
        refused (GanError) with nothing queued. The same holds for a run reopened after a server restart."""
        quota_bytes = housekeeping.DEFAULT_QUOTA_BYTES if quota_bytes is None else quota_bytes
        with self._starting:
            self._refuse_if_busy(session_id)
            self._refuse_if_address_busy(address)
            housekeeping.check_quota(self.session_dir(session_id), 0, quota_bytes)
            check_extra_epochs(extra_epochs, run.config.epochs)
            limits = classroom.load_limits(self.root)
            done = run.snapshot(history=False)
            total, notes = limits.allow_more(done.epoch, done.total_epochs, extra_epochs, done.elapsed_seconds)
            extra = max(0, total - done.total_epochs)
            run.set_class_limits(limits.max_minutes, notes, total_epochs=min(total, done.total_epochs))
            self.make_room(session_id)
            housekeeping.keep_run_within(run, self.session_dir(session_id), quota_bytes)
            try:
                run.resume_training(extra_epochs=extra, scheduler=self.queue(scheduler))
            except GanError as exc:
                if exc.message.key != "error.no_checkpoint" or run.snapshot().step:
                    raise
                run.start(self.queue(scheduler))
            self._remember_address(run.run_id, address)

    def _refuse_if_busy(self, session_id: str) -> None:
        busy = self.active_run(session_id)
        if busy is not None:
            raise GanError("error.session_busy", run=busy.run_id)

    def _refuse_if_address_busy(self, address: str | None) -> None:
        """One person opening session after session: GanError once their address has address_cap() runs queued or
        training (no cap, or an unknown address: nothing to refuse)."""
        cap = address_cap()
        if not cap or not address:
            return
        with self._lock:
            count = sum(1 for run_id, run in self._runs.items()
                        if self._addresses.get(run_id) == address and run.snapshot(history=False).active)
        if count >= cap:
            raise GanError("error.address_busy", limit=cap)

    def _remember_address(self, run_id: str, address: str | None) -> None:
        with self._lock:
            if address:
                self._addresses[run_id] = address
            else:
                self._addresses.pop(run_id, None)

    def address_of(self, run_id: str) -> str | None:
        """The client address that last started or continued the run, while this server runs (never on disk)."""
        with self._lock:
            return self._addresses.get(run_id)

    def by_session(self, runs: list[Run]) -> list[tuple[str, str | None, list[Run]]]:
        """`runs` grouped for the teacher: (session id, its client address or None, its runs by id) for every session
        among them, the sessions of the address with the most of them first and an address's sessions together, so
        one person with many sessions stands out."""
        by_owner: dict[str, list[Run]] = {}
        for run in sorted(runs, key=lambda r: r.run_id):
            by_owner.setdefault(run.owner, []).append(run)
        sessions = []
        for owner, owned in by_owner.items():
            address = next((a for a in map(self.address_of, (run.run_id for run in owned)) if a), None)
            sessions.append((owner, address, owned))
        per_address = Counter(address for _, address, _ in sessions if address)
        return sorted(sessions, key=lambda s: (-per_address.get(s[1], 0), s[1] or "", s[2][0].run_id))

    @staticmethod
    def session_tag(session_id: str) -> str:
        """A short stable name for a session that is not its key (a widget key reaches the browser)."""
        return hashlib.sha256(session_id.encode()).hexdigest()[:16]

    def stop_session(self, session_id: str) -> list[str]:
        """Stop every queued, running or paused run of one session (the teacher's button); returns their ids."""
        with self._lock:
            runs = [run for run in self._runs.values() if run.owner == session_id]
        stopped = [run for run in runs if run.snapshot(history=False).active]
        for run in stopped:
            run.stop()
        return [run.run_id for run in stopped]

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
            self._addresses.pop(run_id, None)

    # --- what the server keeps (gan_core.server.retention) -------------------------------------------------------

    def limits(self) -> classroom.ClassLimits:
        return classroom.load_limits(self.root)

    def retention_seconds(self) -> float:
        return retention.retention_seconds(self.limits())

    def kept_until(self, session_id: str) -> float:
        """When this session's files may be removed at the earliest, as of now: its last visit plus the retention."""
        return retention.kept_until(self.session_dir(session_id), self.retention_seconds(), self.clock())

    def touch(self, session_id: str) -> None:
        """The session is seen now (by this registry's clock). Every page run calls it; the file is written at most
        once every TOUCH_SECONDS a session (retention counts in hours and days)."""
        now = self.clock()
        with self._lock:
            if now - self._touched.get(session_id, -math.inf) < TOUCH_SECONDS:
                return
        if housekeeping.touch_session(self.session_dir(session_id), now=now):
            with self._lock:
                self._touched[session_id] = now

    def spared_sessions(self, asking: str | None = None) -> set[str]:
        """Sessions nothing may remove: those with an active run here, those with a run in the class gallery, and the
        session asking for room."""
        with self._lock:  # run.version(): no snapshot of each of the server's runs, no file checked
            busy = {run.owner for run in self._runs.values() if run.version()[0] in ACTIVE_STATES}
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
            removed = retention.make_room(self.root, incoming_bytes, self.limits(),
                                          lambda: self.spared_sessions(session_id), self.clock())
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
                self._addresses.pop(run_id, None)
