"""A server-wide training queue: at most K runs at once, FIFO, one running job per owner."""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass


@dataclass
class Job:
    run_id: str
    owner: str
    queued_at: float
    started_at: float | None = None


class Scheduler:
    """Runs call `acquire` from their own thread (it blocks while queued) and `release` when done."""

    def __init__(self, max_concurrent: int):
        self.max_concurrent = max(1, int(max_concurrent))
        self._cond = threading.Condition()
        self._queue: list[Job] = []
        self._running: dict[str, Job] = {}

    def acquire(self, run_id: str, owner: str, cancelled: threading.Event) -> bool:
        """Wait for a slot in FIFO order. False if `cancelled` was set while waiting."""
        with self._cond:
            job = Job(run_id, owner, time.time())
            self._queue.append(job)
            self._cond.notify_all()
            while self._next_eligible() is not job:
                if cancelled.is_set():
                    self._queue.remove(job)
                    self._cond.notify_all()
                    return False
                self._cond.wait(0.2)
            self._queue.remove(job)
            job.started_at = time.time()
            self._running[run_id] = job
            self._cond.notify_all()
            return True

    def release(self, run_id: str) -> None:
        with self._cond:
            self._running.pop(run_id, None)
            self._cond.notify_all()

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

    def jobs(self) -> dict[str, list[Job]]:
        with self._cond:
            return {"running": list(self._running.values()), "queued": list(self._queue)}


def default_slots() -> int:
    """One per GPU; on CPU one per two cores beyond the first, so pages stay responsive."""
    configured = int(os.environ.get("GAN_MAX_CONCURRENT", "0") or 0)
    if configured > 0:
        return configured
    from .device import gpu_count

    gpus = gpu_count()
    if gpus:
        return gpus
    return max(1, ((os.cpu_count() or 2) - 1) // 2)


_default: Scheduler | None = None
_default_lock = threading.Lock()


def default_scheduler() -> Scheduler:
    global _default
    with _default_lock:
        if _default is None:
            _default = Scheduler(default_slots())
        return _default
