"""A server-wide training queue: at most K runs at once, one running job per owner, and fair turns.

Jobs are served in arrival order. With a turn configured (an epoch, a number of seconds, or both: whichever
comes first), a running job whose turn is over gives its slot up between two batches when someone else could
take it, and waits at the back of the queue with everything still in memory; so students take turns round robin
and nobody waits for whole runs. With nobody waiting a job runs on. Without a turn it is plain FIFO to the end.
"""

from __future__ import annotations

import os
import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import Callable

from ..i18n import Message
from ..training.device import configure
from ..training.doctor import read_slots, slots_file

TURN_SECONDS_ENV = "GAN_TURN_SECONDS"
TURN_EPOCHS_ENV = "GAN_TURN_EPOCHS"
DEFAULT_TURN_SECONDS = 60.0
DEFAULT_TURN_EPOCHS = 1
WAIT_SAFETY_SECONDS = 30.0  # a waiting run looks at the queue at least this often, even if nobody wakes it


@dataclass
class Job:
    run_id: str
    owner: str
    queued_at: float
    started_at: float | None = None  # when its current turn began
    remaining: Callable[[], float | None] | None = None  # the run's own estimate of its training time left
    turns: int = 0


class Scheduler:
    """Runs call `acquire` from their own thread (it blocks while queued), `take_turn_break` between batches and
    `release` when done. `drive`, when set, is how its jobs train: a function (run, scheduler[, actor]) run in the
    run's thread in place of training in this process (gan_core.server.cluster.drive: on a Ray cluster)."""

    def __init__(self, max_concurrent: int, turn_seconds: float | None = None, turn_epochs: int | None = None,
                 drive: Callable | None = None):
        self.max_concurrent = max(1, int(max_concurrent))
        self.drive = drive
        self.turn_seconds = float(turn_seconds) if turn_seconds else None
        self.turn_epochs = int(turn_epochs) if turn_epochs else None
        self._cond = threading.Condition()
        self._queue: list[Job] = []
        self._running: dict[str, Job] = {}
        self.history: deque = deque(maxlen=2000)  # (time, event, run_id): "start", "yield", "end"

    def wake(self) -> None:
        """Let every waiting run look again at once (one of them was stopped: it leaves the queue)."""
        with self._cond:
            self._cond.notify_all()

    @property
    def fair(self) -> bool:
        return bool(self.turn_seconds or self.turn_epochs)

    def acquire(self, run_id: str, owner: str, cancelled: threading.Event,
                remaining: Callable[[], float | None] | None = None) -> bool:
        """Wait for a slot at the back of the queue. False if `cancelled` was set while waiting."""
        return self._wait_for_turn(Job(run_id, owner, time.time(), remaining=remaining), cancelled)

    def _wait_for_turn(self, job: Job, cancelled: threading.Event) -> bool:
        with self._cond:
            job.queued_at = time.time()
            self._queue.append(job)
            self._cond.notify_all()
            while self._next_eligible() is not job:
                if cancelled.is_set():
                    self._queue.remove(job)
                    self._cond.notify_all()
                    return False
                # Woken by every change of the queue and by wake() (a run stopped while it waits); the timeout is only
                # a safety net. A short one cost the training thread dearly: 29 runs waiting on 0.2-s polls took
                # the interpreter lock from it ~145 times a second (bench/RESULTS.md, fair turns).
                self._cond.wait(WAIT_SAFETY_SECONDS)
            self._queue.remove(job)
            job.started_at = time.time()
            job.turns += 1
            self._running[job.run_id] = job
            self.history.append((job.started_at, "start", job.run_id))
            self._cond.notify_all()
            return True

    def adopt(self, run_id: str, owner: str, remaining: Callable[[], float | None] | None = None) -> None:
        """Count a job that is already training (on a cluster, found again after the app restarted) as running,
        even past the slots: it is not stopped to make room."""
        with self._cond:
            job = Job(run_id, owner, time.time(), started_at=time.time(), remaining=remaining, turns=1)
            self._running[run_id] = job
            self.history.append((job.started_at, "start", run_id))
            self._cond.notify_all()

    def release(self, run_id: str) -> None:
        with self._cond:
            if self._running.pop(run_id, None) is not None:
                self.history.append((time.time(), "end", run_id))
            self._cond.notify_all()

    def turn_over(self, run_id: str, epochs_this_turn: int) -> bool:
        """True when the job's turn is spent and another job could take its slot right now."""
        if not self.fair:
            return False
        with self._cond:
            job = self._running.get(run_id)
            if job is None:
                return False
            return (turn_spent(self.turn_seconds, self.turn_epochs, epochs_this_turn, time.time() - job.started_at)
                    and self._someone_could_take(job))

    def someone_waits_for(self, run_id: str) -> bool:
        """True when another owner's queued job could take this running job's slot (its turn may not be over)."""
        with self._cond:
            job = self._running.get(run_id)
            return job is not None and self._someone_could_take(job)

    def take_turn_break(self, run_id: str, cancelled: threading.Event) -> bool:
        """Give the slot up and wait at the back of the queue (the caller keeps its state). False if cancelled
        while waiting: the caller then ends without a slot."""
        with self._cond:
            job = self._running.pop(run_id, None)
            if job is None:
                return True
            self.history.append((time.time(), "yield", run_id))
            self._cond.notify_all()
        return self._wait_for_turn(job, cancelled)

    def _someone_could_take(self, job: Job) -> bool:
        busy_owners = {other.owner for other in self._running.values() if other is not job}
        return any(waiting.owner not in busy_owners and waiting.owner != job.owner for waiting in self._queue)

    def _next_eligible(self) -> Job | None:
        if len(self._running) >= self.max_concurrent:
            return None
        busy_owners = {job.owner for job in self._running.values()}
        for job in self._queue:
            if job.owner not in busy_owners:
                return job
        return None

    def position(self, run_id: str) -> int | None:
        """1-based place in the queue, or None when not queued."""
        with self._cond:
            for index, job in enumerate(self._queue):
                if job.run_id == run_id:
                    return index + 1
        return None

    def expected_wait(self, run_id: str) -> float | None:
        """About how many seconds until the queued job's turn: what the slots still have to do before it (each
        running job the rest of its turn, each job ahead one turn), shared over the slots. None when not queued
        or nobody can tell yet (no job has a speed to go by)."""
        with self._cond:  # copied under the lock, estimated outside it: estimates take the runs' own locks
            ahead = []
            for job in self._queue:
                if job.run_id == run_id:
                    break
                ahead.append(job)
            else:
                return None
            running = [(job, job.started_at) for job in self._running.values()]
        now = time.time()
        total, known = 0.0, True
        for job, started_at in running:
            left = _left(job)
            if self.turn_seconds is not None:
                turn_left = self.turn_seconds - (now - (started_at or now))
                left = turn_left if left is None else min(left, turn_left)
            known &= left is not None
            total += max(0.0, left or 0.0)
        for job in ahead:
            left = _left(job)
            if self.turn_seconds is not None:
                left = self.turn_seconds if left is None else min(left, self.turn_seconds)
            known &= left is not None
            total += max(0.0, left or 0.0)
        return total / self.max_concurrent if known else None

    def jobs(self) -> dict[str, list[Job]]:
        with self._cond:
            return {"running": list(self._running.values()), "queued": list(self._queue)}


def turn_spent(turn_seconds: float | None, turn_epochs: int | None, epochs: int, seconds: float) -> bool:
    """Whether a turn of `epochs` epochs and `seconds` seconds has reached either bound (None: no such bound)."""
    return (turn_epochs is not None and epochs >= turn_epochs) or (turn_seconds is not None and seconds >= turn_seconds)


def _left(job: Job) -> float | None:
    if job.remaining is None:
        return None
    try:
        return job.remaining()
    except Exception:  # noqa: BLE001 - an estimate, never a reason to fail the queue
        return None


def default_slots() -> int:
    return slots_and_reason()[0]


def slots_and_reason() -> tuple[int, Message]:
    """Trainings at once, and why (the teacher's device check says it): GAN_MAX_CONCURRENT; else the measurement
    `python -m gan_core doctor --slots` saved for this machine (gan_core.training.doctor: slots per GPU times the
    GPUs); else one per GPU, or on a CPU one per two cores beyond the first, so pages stay responsive."""
    configured = int(os.environ.get("GAN_MAX_CONCURRENT", "0") or 0)
    if configured > 0:
        return configured, Message("slots.setting", slots=configured)
    gpus = configure()["gpus"]
    advice = read_slots(gpus)
    if advice is not None:
        slots = advice.slots * len(gpus) if advice.per_gpu and gpus else advice.slots
        return slots, Message(f"slots.measured_{'gpu' if gpus else 'cpu'}", slots=slots, per_gpu=advice.slots,
                              gpus=len(gpus), path=str(slots_file()))
    if gpus:
        return len(gpus), Message("slots.one_per_gpu", slots=len(gpus))
    slots = max(1, ((os.cpu_count() or 2) - 1) // 2)
    return slots, Message("slots.cpu_cores", slots=slots, cores=os.cpu_count() or 2)


def default_turn() -> tuple[float | None, int | None]:
    """(seconds, epochs) of one turn from GAN_TURN_SECONDS and GAN_TURN_EPOCHS; 0 switches that bound off, both
    off is plain FIFO."""
    seconds = float(os.environ.get(TURN_SECONDS_ENV, DEFAULT_TURN_SECONDS) or 0)
    epochs = int(os.environ.get(TURN_EPOCHS_ENV, DEFAULT_TURN_EPOCHS) or 0)
    return (seconds if seconds > 0 else None), (epochs if epochs > 0 else None)


_default: Scheduler | None = None
_default_lock = threading.Lock()


def default_scheduler() -> Scheduler:
    global _default
    with _default_lock:
        if _default is None:
            seconds, epochs = default_turn()
            _default = Scheduler(default_slots(), turn_seconds=seconds, turn_epochs=epochs)
        return _default
