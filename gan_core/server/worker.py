"""Training in a worker process on this machine, so that the app's pages keep its Python interpreter to themselves.

One long-lived child process (`python -m gan_core.server.worker`, started with the class server) holds every job
of this server (gan_core.server.jobs.TrainingJob, each a thread there, as it was in the app), and answers the app's
requests over a socket pair. The app's queue (gan_core.server.scheduler.Scheduler, whose `drive` is this module's)
still decides who trains; a run's thread in the app asks it for a slot, starts the job in the worker, and polls it:
the live counters and new step records come back in each poll, everything else (metrics.jsonl, grids, checkpoints,
generator.keras) the job writes into the run's folder, as it always did. When the job's turn is over it waits in the
worker's memory while the run waits in the app's queue, and trains on when the queue says go.

Why: with 40 students on 2 cores the training thread held the app's interpreter lock 52% of the time, tracing each
new run's graph 36% (bench/RESULTS.md, load test), and a slider's answer queued behind it. The worker also runs at
a lower CPU priority (GAN_WORKER_NICE, default 5): pages first, training with what is left.

If the worker dies (killed for memory, say), each of its runs fails with the reason and frees its slot, and the
next training starts a new worker; resume_training goes on from the last checkpoint. If the app dies, the worker
sees its socket close, stops its jobs (each saves a checkpoint within one batch) and exits.
"""

from __future__ import annotations

import itertools
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from concurrent.futures import Future
from multiprocessing.connection import Connection
from pathlib import Path

from ..i18n import GanError, Message
from ..training import device
from ..training.run import take_slot
from . import scheduler as queue
from .jobs import TrainingJob, follow, job_arguments

TRAIN_IN_ENV = "GAN_TRAIN_IN"  # where the app's runs train: "worker" (default) or "thread" (the app's own threads)
NICE_ENV = "GAN_WORKER_NICE"
DEFAULT_NICE = 5
POLL_SECONDS = 0.5
POLL_SECONDS_WHEN_AWAITED = 0.1  # someone waits for this run's slot: its turn's end is noticed sooner
FIRST_REPLY_SECONDS = 600.0  # the first request waits for the worker to import TensorFlow: slow on a busy machine
REPLY_SECONDS = 120.0  # a worker that answers nothing for this long is lost
EXIT_STOP_SECONDS = 30.0  # how long the worker gives its jobs to stop when the app went away

ROOT = Path(__file__).resolve().parents[2]


class WorkerLost(RuntimeError):
    """The worker process ended or stopped answering."""


# --- the worker process ------------------------------------------------------------------------------------

def serve(fd: int) -> None:
    """The worker's main loop: one request at a time from the app, each answered at once; training happens in the
    jobs' threads. Ends when the app closes its end of the socket."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C on the app reaches us too: we end when the app does
    nice = int(os.environ.get(NICE_ENV, DEFAULT_NICE) or 0)
    if nice > 0:
        os.nice(nice)
    threading.Thread(target=_import_engine, name="warm-up", daemon=True).start()
    connection = Connection(fd)
    jobs: dict[str, TrainingJob] = {}
    try:
        while True:
            try:
                request_id, method, run_id, kwargs = connection.recv()
            except (EOFError, OSError):
                break
            try:
                if method == "start":
                    jobs[run_id] = TrainingJob(**kwargs)
                    reply = None
                elif method == "forget":
                    reply = jobs.pop(run_id, None) is not None
                else:
                    job = jobs.get(run_id)
                    if job is None:
                        raise KeyError(f"no job {run_id} in this worker")
                    reply = getattr(job, method)(**kwargs)
                answer = ("ok", reply)
            except Exception as exc:  # noqa: BLE001 - told to the app, which fails that run
                answer = ("error", f"{type(exc).__name__}: {exc}")
            if request_id is not None:
                connection.send((request_id, *answer))
    finally:
        for job in jobs.values():  # the app went away: keep the work done (a checkpoint within one batch) and end
            job.stop()
        deadline = time.monotonic() + EXIT_STOP_SECONDS
        for job in jobs.values():
            job.thread.join(max(0.0, deadline - time.monotonic()))


def _import_engine() -> None:
    """TensorFlow and Keras imported while the worker waits for its first job, and the objects of those imports out
    of the garbage collector's scans (a full collection stops every job's thread and the answers to the app)."""
    from . import garbage

    garbage.freeze_startup_objects("gan_core.training.trainer")


# --- the app's side ----------------------------------------------------------------------------------------

class Worker:
    """The app's handle on its worker process: `call` sends a request and waits for its answer, `send` only sends.
    Any thread may use it; a reader thread hands each answer to its caller."""

    def __init__(self):
        ours, theirs = socket.socketpair()
        self.environment = device.training_environment()  # its Keras backend and GPU memory, before it imports Keras
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
               **self.environment}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gan_core.server.worker", str(theirs.fileno())],
            pass_fds=(theirs.fileno(),), cwd=ROOT, env=env, stdin=subprocess.DEVNULL)
        theirs.close()
        self._socket = ours  # kept for close(): only a shutdown ends a recv() that another thread is blocked in
        self._connection = Connection(os.dup(ours.fileno()))
        self._send_lock = threading.Lock()
        self._pending: dict[int, Future] = {}
        self._pending_lock = threading.Lock()
        self._ids = itertools.count()
        self._answered_once = False
        self.lost: str | None = None  # why the worker is gone, once it is
        threading.Thread(target=self._read_answers, name="worker-answers", daemon=True).start()

    @property
    def alive(self) -> bool:
        return self.lost is None and self.process.poll() is None

    def call(self, method: str, run_id: str, **kwargs):
        """The job's answer; WorkerLost if the worker ended or did not answer in time; RuntimeError with the
        worker's reason if the request failed there."""
        future: Future = Future()
        with self._pending_lock:
            if self.lost is not None:
                raise WorkerLost(self.lost)
            request_id = next(self._ids)
            self._pending[request_id] = future
        self._send((request_id, method, run_id, kwargs))
        timeout = REPLY_SECONDS if self._answered_once else FIRST_REPLY_SECONDS
        try:
            status, value = future.result(timeout)
        except TimeoutError:
            self._lose(f"no answer to {method} in {timeout:.0f} s")
            self.process.kill()
            raise WorkerLost(self.lost) from None
        finally:
            with self._pending_lock:
                self._pending.pop(request_id, None)
        self._answered_once = True
        if status == "error":
            raise RuntimeError(value)
        return value

    def send(self, method: str, run_id: str, **kwargs) -> None:
        """A request whose answer nobody waits for (pause, resume, stop, go: a page must not wait on training)."""
        self._send((None, method, run_id, kwargs))

    def _send(self, message) -> None:
        try:
            with self._send_lock:
                self._connection.send(message)
        except OSError as exc:
            self._lose(f"{type(exc).__name__}: {exc}")
            raise WorkerLost(self.lost) from None

    def _read_answers(self) -> None:
        while True:
            try:
                request_id, status, value = self._connection.recv()
            except (EOFError, OSError) as exc:
                try:
                    self.process.wait(10)
                except subprocess.TimeoutExpired:
                    pass
                self._lose(f"the worker process ended (exit code {self.process.returncode})"
                           if isinstance(exc, EOFError) else f"{type(exc).__name__}: {exc}")
                return
            with self._pending_lock:
                future = self._pending.get(request_id)
            if future is not None and not future.done():
                future.set_result((status, value))

    def _lose(self, reason: str) -> None:
        with self._pending_lock:
            if self.lost is None:
                self.lost = reason
            pending = list(self._pending.values())
        for future in pending:
            if not future.done():
                future.set_exception(WorkerLost(self.lost))

    def close(self) -> None:
        """End the worker (its jobs stop and keep their checkpoints) and wait for it."""
        try:
            self._socket.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self._socket.close()
        self._connection.close()
        try:
            self.process.wait(EXIT_STOP_SECONDS + 10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


_worker: Worker | None = None
_worker_lock = threading.Lock()


def worker() -> Worker:
    """This app's worker process, started (again) when there is none alive or the training environment changed
    (GAN_BACKEND: a worker trains under one backend)."""
    global _worker
    with _worker_lock:
        if _worker is None or not _worker.alive or _worker.environment != device.training_environment():
            _worker = Worker()
        return _worker


def wanted() -> bool:
    """Whether the app's runs train in the worker process (GAN_TRAIN_IN, "worker" unless it says "thread")."""
    return os.environ.get(TRAIN_IN_ENV, "worker").strip().lower() != "thread"


_scheduler = None
_scheduler_lock = threading.Lock()


def worker_scheduler():
    """The app's queue when its runs train in the worker process: this machine's slots and fair turns, this module's
    drive."""
    global _scheduler
    with _scheduler_lock:
        if _scheduler is None:
            _scheduler = queue.Scheduler(queue.default_slots(), *queue.default_turn(), drive=drive)
        return _scheduler


class WorkerJob:
    """A run's job in the worker process, as the app holds it (gan_core.server.jobs.JobHandle): pause, resume, stop
    and go are sent without waiting; poll waits for the answer."""

    poll_seconds, awaited_poll_seconds = POLL_SECONDS, POLL_SECONDS_WHEN_AWAITED

    def __init__(self, handle: Worker, run_id: str):
        self.handle, self.run_id = handle, run_id

    def poll(self, after_step: int, someone_waits: bool) -> dict:
        return self.handle.call("poll", self.run_id, after_step=after_step, someone_waits=someone_waits)

    def go(self, someone_waits: bool) -> None:
        self.handle.send("go", self.run_id, someone_waits=someone_waits)

    def pause(self):
        self._send("pause")

    def resume(self):
        self._send("resume")

    def stop(self):
        self._send("stop")

    def _send(self, method: str) -> None:
        try:
            self.handle.send(method, self.run_id)
        except WorkerLost:
            pass  # the run's thread in the app hears it at its next poll and fails the run


def drive(run, scheduler) -> None:
    """The run's thread in the app: a slot from the scheduler, the job started in the worker, then its progress
    mirrored into the Run until it ends (gan_core.server.jobs.follow). A turn that is over waits in the app's queue
    (the job in the worker's memory), then goes on. A lost worker fails the run with the reason and frees the slot."""
    if not take_slot(run, scheduler):
        return
    handle = None
    try:
        run.save_status()  # the last word from the app: from here on the job writes the status
        handle = worker()
        handle.call("start", run.run_id, **job_arguments(run, scheduler), keep_in_memory=True)
        follow(run, scheduler, WorkerJob(handle, run.run_id))
    except (WorkerLost, RuntimeError) as exc:  # a lost worker fails this run, never the app
        run.fail(Message("error.training_process_lost", error=str(exc)[:300]))
        run.save_status()
    except GanError as exc:  # no worker started: its backend (GAN_BACKEND) cannot be used here
        run.fail(exc.message)
        run.save_status()
    finally:
        run.set_resume_checkpoint(None)
        scheduler.release(run.run_id)
        if handle is not None:
            try:
                handle.send("forget", run.run_id)
            except WorkerLost:
                pass


if __name__ == "__main__":  # the worker process: the socket's number is its argument
    serve(int(sys.argv[1]))
    # Its jobs have stopped and saved. The interpreter's own ending is skipped: it runs TensorFlow's destructors,
    # and a stopped job's tf.data iterator can wait there forever for a thread that is gone (seen in the suite: a
    # worker left sleeping, about 1 GB, minutes after its app ended).
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)
