"""One run trained away from the app's interpreter (a worker process on this machine, gan_core.server.worker, or a
Ray actor, gan_core.server.cluster): opened from its folder, trained by the engine's own trainer in a thread, and
driven by the app through methods that each return at once.

The app's queue (gan_core.server.scheduler.Scheduler) keeps deciding who trains; the job only hears whether someone
waits (at every poll) and follows the app's fair turns: a job in a worker process waits for its next turn in memory
(`keep_in_memory`), as a thread in the app would; a job on a cluster ends at an epoch's end instead, so Ray frees its
GPU or CPUs, and its next turn is a new actor from that checkpoint.

How a run trains, one way for all three: Run.start runs its queue's `drive` (run, scheduler) in the run's thread,
which takes the run's slot (gan_core.training.run.take_slot), trains, and gives the slot back. Away from the app the
drive starts the job, then `follow` polls it and mirrors it into the app's Run (the job sends Run.status with its
progress, the app's copy takes it: Run.take_status), and pause, resume and stop go to it straight away meanwhile
(Run.forward_control):

- threads (gan_core.server.scheduler.default_scheduler, GAN_TRAIN_IN=thread): gan_core.training.run.train_here, the
  drive of a queue without one: the slot (take_slot), the trainer in the run's thread, nothing to follow;
- a worker process (gan_core.server.worker.drive): a WorkerJob, one start, its turn breaks taken in the app's queue;
- Ray (gan_core.server.cluster.drive): a ClusterHandle, one actor a turn.
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path
from typing import Protocol

from ..training.run import OwnTurn, Run
from . import housekeeping
from .scheduler import turn_spent


class JobTurns(OwnTurn):
    """The app's fair turns as the job's Run sees them (it is the Run's scheduler where the job trains): the app's
    scheduler gave the slot before the job was started, so it only decides when the turn is over."""

    def __init__(self, turn_seconds: float | None, turn_epochs: int | None, keep_in_memory: bool):
        self.turn_seconds, self.turn_epochs = turn_seconds, turn_epochs
        self.keep_in_memory = keep_in_memory
        self.someone_waits = False  # told by the app at every poll
        self.handed_over = False  # on a cluster: the turn ended at an epoch's end, the job with it
        self.waiting = False  # in a worker process: the turn is over, the job waits in memory for go()
        self._go = threading.Event()
        self._started = time.time()
        self._epochs_seen = 0

    def turn_over(self, run_id, epochs_this_turn) -> bool:
        at_epoch_end = epochs_this_turn > self._epochs_seen  # asked after every batch, and once more as an epoch ends
        self._epochs_seen = epochs_this_turn
        if not self.keep_in_memory and not at_epoch_end:
            return False  # an actor hands over only with its epoch's checkpoint on disk
        return self.someone_waits and turn_spent(self.turn_seconds, self.turn_epochs, epochs_this_turn,
                                                 time.time() - self._started)

    def take_turn_break(self, run_id, cancelled: threading.Event) -> bool:
        if not self.keep_in_memory:
            self.handed_over = True
            return False  # the trainer ends here, the run stays queued; the app resumes it later from this checkpoint
        self._go.clear()
        self.waiting = True
        if not cancelled.is_set():  # Run.stop sets `cancelled` before it wakes us: a stop just before clear() counts
            self._go.wait()  # set by go() when the app's queue gives the slot back, or by wake() on a stop
        self.waiting = False
        self._started, self._epochs_seen = time.time(), 0
        return not cancelled.is_set()

    def go(self, someone_waits: bool) -> None:
        """The app's queue gave this job its slot again (no longer `waiting` from here on: the app's next poll must
        not take this break for a new one), and says whether someone waits for it already."""
        self.waiting = False
        self.someone_waits = someone_waits
        self._go.set()

    def wake(self) -> None:
        """Run.stop calls this: a job waiting for its turn ends now."""
        self._go.set()


class TrainingJob:
    """One run's job where it trains. `turn` is the app's (turn_seconds, turn_epochs); `cpus`, when given, sizes
    TensorFlow's thread pools."""

    def __init__(self, directory: str, owner: str, resume_from: str | None, disk_quota: tuple | None,
                 turn: tuple = (None, None), keep_in_memory: bool = False, cpus: int | None = None):
        if cpus:
            os.environ.setdefault("GAN_TF_THREADS", str(cpus))
        self.run = run = Run.open(directory, owner=owner)
        self.turns = JobTurns(*turn, keep_in_memory=keep_in_memory)
        if disk_quota:
            housekeeping.keep_run_within(run, Path(disk_quota[0]), int(disk_quota[1]))
        run.node = self.node_label()
        self.thread = run.start_here(self.turns, Path(resume_from) if resume_from else None)

    def node_label(self) -> str:
        """The machine that trains, as the teacher sees it ("" on the app's own machine)."""
        return ""

    def describe(self) -> dict:
        return {"directory": str(self.run.directory), "owner": self.run.owner}

    def poll(self, after_step: int, someone_waits: bool = False) -> dict:
        """The run's counters and state, and the step records after `after_step`; `someone_waits`: another job
        waits for this one's slot (the app's queue), so its turn ends once its bound is reached."""
        self.turns.someone_waits = someone_waits
        return {**self.run.status(since_step=after_step), "pid": os.getpid(), "handed_over": self.turns.handed_over,
                "waiting": self.turns.waiting, "done": not self.thread.is_alive()}

    def go(self, someone_waits: bool = False) -> None:
        self.turns.go(someone_waits)

    def pause(self) -> None:
        self.run.pause()

    def resume(self) -> None:
        self.run.resume()

    def stop(self) -> None:
        self.run.stop()


def job_arguments(run, scheduler) -> dict:
    """What TrainingJob needs to open and train `run` elsewhere (plain values: they cross a socket or Ray): its
    folder, owner, starting checkpoint and disk quota, and the turns of the app's `scheduler`."""
    return {"directory": str(run.directory), "owner": run.owner,
            "resume_from": str(run.resume_checkpoint) if run.resume_checkpoint else None,
            "disk_quota": (str(run.disk_quota[0]), run.disk_quota[1]) if run.disk_quota else None,
            "turn": (getattr(scheduler, "turn_seconds", None), getattr(scheduler, "turn_epochs", None))}


class JobHandle(Protocol):
    """The app's side of one run's job trained elsewhere: its control (pause, resume, stop: sent, never waited on),
    its progress (poll: the job's TrainingJob.poll) and, after a turn break in the app's queue, go."""

    poll_seconds: float  # between two polls
    awaited_poll_seconds: float  # between two polls while someone waits for the slot: a turn's end is seen sooner

    def poll(self, after_step: int, someone_waits: bool) -> dict: ...

    def go(self, someone_waits: bool) -> None: ...

    def pause(self) -> None: ...

    def resume(self) -> None: ...

    def stop(self) -> None: ...


def follow(run, scheduler, job: JobHandle, detached: threading.Event | None = None) -> dict | None:
    """Mirror `job` into `run` until it ends: its last poll, or None once `detached` is set (the app lets go, the job
    trains on). Meanwhile the run's pause, resume and stop go to the job, which writes its status. A job whose turn is
    over and waits in memory (`waiting`) waits at the back of the app's queue meanwhile, then is told to go on (unless
    the run was stopped while it waited)."""
    run.forward_control(job)
    try:
        after_step = -1  # the first poll brings the whole history: a resumed run's steps restart at its checkpoint,
        while detached is None or not detached.is_set():  # an adopted one's are unknown
            awaited = scheduler.someone_waits_for(run.run_id)
            info = job.poll(after_step, awaited)
            mirror(run, info)
            after_step = run.progress.step
            if info["done"]:
                return info
            if info.get("waiting") and not run.stop_requested:  # its turn is over: the back of the app's queue, then on
                if scheduler.take_turn_break(run.run_id, run.stop_event):  # False: stopped while it waited
                    job.go(scheduler.someone_waits_for(run.run_id))
                continue
            time.sleep(job.awaited_poll_seconds if awaited else job.poll_seconds)
        return None
    finally:
        if run.remote is job:
            run.forward_control(None)


def mirror(run, info: dict) -> None:
    """Take a job's poll (TrainingJob.poll) as the app's copy of its run: its status and progress, and the process
    that trains it."""
    run.take_status(info)
    run.remote_pid = info.get("pid", run.remote_pid)
