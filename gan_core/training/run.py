"""A training run: one directory, its lifecycle (create, open, start, pause, resume, stop, continue) and a snapshot
every other thread reads. What it keeps is gan_core.training.run_folder's: its files are its RunFolder's
(`run.folder`, the progress GIF included), what it has done so far (records, counters, metrics.jsonl) its RunProgress
(`run.progress`); the time it has trained and the time bounds that may end it are its RunClock's
(gan_core.training.budget, `run.clock`). Run.start runs its queue's drive in the run's thread, one way whichever
trains it: each takes the run's slot (take_slot), then train_here below trains in that thread, or
gan_core.server.jobs's `follow` mirrors a job in a worker process or on Ray into this Run (forward_control, status and
take_status, the same status.json is written and read with)."""

from __future__ import annotations

import threading
import time
import traceback
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path

from ..data.datasets import Dataset, is_builtin, load_dataset
from ..i18n import GanError, Message
from .budget import RunClock
from .config import SMALL_DATA_IMAGES, TrainConfig, check_extra_epochs
from .diagnosis import diagnose
from .gan import STEP_FIELDS
from .presets import check_shape, get_preset
from .run_folder import RunFolder, RunProgress, new_run_id
from .transfer import resolve


class OwnTurn:
    """The queue of a run started without one and without a default (gan_core wires gan_core.server.scheduler's in,
    see use_default_queue): it trains at once, never waits, never hands its turn over."""

    drive = None

    def acquire(self, *args, **kwargs) -> bool:
        return True

    def release(self, run_id) -> None:
        pass

    def turn_over(self, run_id, epochs_this_turn) -> bool:
        return False

    def take_turn_break(self, run_id, cancelled) -> bool:
        return not cancelled.is_set()

    def position(self, run_id):
        return None

    def expected_wait(self, run_id):
        return None

    def jobs(self):
        return {"running": [], "queued": []}


_default_queue = OwnTurn


def use_default_queue(factory) -> None:
    """The queue `Run.start()` takes when it is given none: `factory()` (gan_core's __init__ passes
    gan_core.server.scheduler.default_scheduler, so training never imports the server)."""
    global _default_queue
    _default_queue = factory


class RunState(str, Enum):
    QUEUED = "queued"
    RUNNING = "running"
    PAUSED = "paused"
    FINISHED = "finished"
    STOPPED = "stopped"
    FAILED = "failed"


ACTIVE_STATES = (RunState.QUEUED, RunState.RUNNING, RunState.PAUSED)


@dataclass(frozen=True)
class RunSnapshot:
    """A consistent copy of a run's state for readers (the UI, the CLI, tests)."""

    run_id: str
    directory: Path
    state: RunState
    config: dict
    message: Message | None
    traceback: str | None
    epoch: int  # completed epochs
    total_epochs: int
    step: int  # global step count
    steps_per_epoch: int
    step_in_epoch: int
    steps: dict  # field -> list of floats, plus "step"
    epochs: list  # one dict per completed epoch
    grid_epochs: list  # epochs with a saved grid (0 = before training)
    images_per_sec: float
    eta_seconds: float | None
    elapsed_seconds: float
    diagnosis: list
    device: str
    queue_position: int | None
    has_generator: bool
    quality: list = field(default_factory=list)
    node: str = ""  # the machine that trains it, on a cluster (gan_core.server.cluster)
    turn_in_seconds: float | None = None  # queued: about how long until its turn (None: no estimate yet)
    queue_length: int = 0  # queued: how many wait in all
    training_now: int = 0  # queued: how many train now
    limit_notes: list = field(default_factory=list)  # Messages: what the class limits cut at its last start
    end_epoch: int = 0  # the epoch the run is expected to end after: total_epochs, or fewer when its time budget ends it
    budget_fraction: float | None = None  # a training session with a time budget: the share of it used so far

    @property
    def active(self) -> bool:
        return self.state in ACTIVE_STATES

    @property
    def ends_by_time(self) -> bool:
        """True while the run's time budget (config max_minutes), not its epochs, is what will end it."""
        return self.active and self.budget_fraction is not None and 0 < self.end_epoch < self.total_epochs

    @property
    def progress(self) -> float:
        """How far the run is towards its end: the share of its time budget used when that ends it, else of its
        steps."""
        if self.ends_by_time:
            return min(1.0, self.budget_fraction)
        total = self.total_epochs * max(self.steps_per_epoch, 1)
        done = self.epoch * self.steps_per_epoch + self.step_in_epoch
        return min(1.0, done / total) if total else 0.0


class Run:
    """Owns a run directory, its lifecycle and control, and the thread its queue's drive trains it in."""

    def __init__(self, directory: Path, config: TrainConfig, dataset: Dataset | None = None, owner: str = "local",
                 command: str = ""):
        self.folder = RunFolder(directory)
        self.directory = self.folder.directory
        self.run_id = self.directory.name
        self.config = config
        self.owner = owner
        self.command = command
        self._dataset = dataset
        self._lock = threading.RLock()
        self._pause = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._scheduler = None
        self.state = RunState.STOPPED
        self.message: Message | None = None
        self.traceback: str | None = None
        self.device = ""
        self.node = ""  # on a cluster: the worker's host name and address
        # while a job elsewhere trains this run (gan_core.server.jobs.follow): its JobHandle, which pause, resume and
        # stop go to (forward_control) and which writes the status meanwhile
        self.remote = None
        self.remote_pid: int | None = None  # mirrored: the process that trains it (the worker's, an actor's)
        self.was_active = False  # opened from disk while its status said queued, running or paused
        self.progress = RunProgress(self.folder, self._lock)  # records and counters: what the trainer records into
        self.clock = RunClock(config, self.progress, self._lock)  # time trained and the time bounds that may end it
        # The reasons for what the class's limits cut (gan_core.server.classroom.ClassLimits, applied by
        # gan_core.server.registry at every start and continue: set_class_limits); their minutes are the clock's.
        self.limit_notes: list[Message] = []
        self.started_from: dict | None = None  # transfer learning (gan_core.training.transfer): what the networks came from
        self.quality_fn = None  # optional: callable(generator_fn, dataset) -> dict, every config.metrics_every epochs
        # optional: (folder, bytes) the run's writes must keep within (a session's disk quota), and the check of it
        # called before every epoch's writes (gan_core.server.housekeeping.keep_run_within sets both)
        self.disk_quota: tuple[Path, int] | None = None
        self.disk_check = None
        self._parked = threading.Event()  # set while the trainer waits out a pause between two batches

    # --- creation and loading ---------------------------------------------------------

    @classmethod
    def create(cls, directory, config: TrainConfig, dataset: Dataset | None = None, owner: str = "local",
               command: str = "") -> "Run":
        """Validate everything, then make the directory. A bad config raises GanError and leaves nothing behind."""
        directory = Path(directory)
        config.validate()
        preset = get_preset(config.preset)
        if dataset is None:
            dataset = load_dataset(config.dataset, config.image_size)
        dataset = dataset.subset(config.max_images)
        check_shape(config.preset, dataset.shape)
        if preset.conditional and not dataset.num_classes:
            raise GanError("error.needs_labels", dataset=config.dataset)
        if len(dataset.images) < 8:
            raise GanError("error.too_few_images", minimum=8, count=len(dataset.images))
        if config.batch_size > len(dataset.images):
            raise GanError("error.batch_larger_than_data", batch=config.batch_size, count=len(dataset.images))
        if config.diff_augment is None:  # small data: augment (Zhao et al. 2020), recorded as decided
            config.diff_augment = len(dataset.images) < SMALL_DATA_IMAGES
        # "auto" and a named source, decided and checked before anything is written
        config.init_from = resolve(config.init_from, config.preset, dataset, config.latent_dim,
                                   builtin=is_builtin(config.dataset))
        if config.freeze_d and not config.init_from:
            raise GanError("error.freeze_without_init")
        folder = RunFolder(directory)
        if not folder.is_empty():
            raise GanError("error.run_exists", path=str(directory) if owner == "local" else directory.name)
        directory.mkdir(parents=True, exist_ok=True)
        folder.write_config(config.to_json())
        run = cls(directory, config, dataset, owner, command)
        run.state = RunState.QUEUED
        run.save_status()
        return run

    @classmethod
    def open(cls, directory, owner: str = "local") -> "Run":
        """Load a run from disk. One that was active when its process died is marked stopped: resumable."""
        folder = RunFolder(directory)
        if not folder.is_run():
            raise GanError("error.not_a_run", path=str(directory))
        config = TrainConfig.from_dict(folder.read_config())
        run = cls(directory, config, owner=owner)
        status = folder.read_status()
        run.take_status(status)
        if run.state in ACTIVE_STATES:  # gan_core.server.cluster may still find its job training: RunRegistry.get
            run.was_active = True
            run.state = RunState.STOPPED
        run.progress.load()
        run.progress.steps_per_epoch = int(status.get("steps_per_epoch", 0))
        return run

    # --- control (any thread) ---------------------------------------------------------

    def start(self, scheduler=None) -> None:
        """Queue the run and train it in a background thread, as the scheduler's `drive` has its jobs train (a worker
        process, gan_core.server.worker; Ray, gan_core.server.cluster), or without one in that thread (train_here)."""
        with self._lock:
            if self._launched(scheduler, RunState.QUEUED):
                return
            self.message = None
            self.traceback = None
            self.save_status()
            self._launch(getattr(self._scheduler, "drive", None) or train_here, (self, self._scheduler), "drive")

    def start_here(self, scheduler, resume_from: Path | None = None) -> threading.Thread:
        """Train in a thread of this process whatever `scheduler` would drive: a cluster worker's own job, from
        `resume_from` (a checkpoint) or from the start."""
        with self._lock:
            self._launched(scheduler, RunState.QUEUED)
            self._resume_from = resume_from
            self._launch(train_here, (self, self._scheduler), "drive")
            return self._thread

    def attach(self, actor, scheduler) -> None:
        """Follow a job already training elsewhere (an app that started again finds it on the cluster): it takes a
        slot at once. `scheduler` is one whose `drive` follows such jobs."""
        with self._lock:
            if self._launched(scheduler, RunState.RUNNING):
                return
            self._launch(self._scheduler.drive, (self, self._scheduler, actor), "drive")

    def _launched(self, scheduler, state: RunState) -> bool:
        """Under the lock: True if a thread already runs this run; else take the scheduler, clear pause and stop and
        enter `state` (start and attach share this)."""
        if self._thread is not None and self._thread.is_alive():
            return True
        self._scheduler = scheduler or _default_queue()
        self._pause.clear()
        self._stop.clear()
        self.state = state
        return False

    def _launch(self, target, args: tuple, kind: str) -> None:
        self._thread = threading.Thread(target=target, args=args, name=f"{kind}-{self.run_id}", daemon=True)
        self._thread.start()

    def pause(self) -> None:
        with self._lock:
            if self.state == RunState.RUNNING:
                if self.remote is not None:
                    self.remote.pause()
                self._pause.set()
                self.state = RunState.PAUSED
                self.clock.end_segment()
                self.save_status()

    def resume(self) -> None:
        """Continue a paused run."""
        with self._lock:
            if self.state == RunState.PAUSED:
                if self.remote is not None:
                    self.remote.resume()
                self._pause.clear()
                self.state = RunState.RUNNING
                self.clock.start_segment()
                self.save_status()

    def stop(self) -> None:
        """Stop within one batch (or cancel while queued); a checkpoint keeps the work done."""
        with self._lock:
            if self.remote is not None:
                self.remote.stop()
            self._stop.set()
            self._pause.clear()
            scheduler = self._scheduler
        wake = getattr(scheduler, "wake", None)
        if wake is not None:  # queued: leave the queue now, not at the queue's next look
            wake()

    def wait(self, timeout: float | None = None) -> bool:
        """Wait for the training thread to end; True if it has."""
        thread = self._thread
        if thread is None:
            return True
        thread.join(timeout)
        return not thread.is_alive()

    def resume_training(self, from_epoch: int | None = None, extra_epochs: int = 0, scheduler=None) -> None:
        """Continue a stopped, finished or failed run from its last checkpoint or a kept epoch."""
        with self._lock:
            if self.state in ACTIVE_STATES:
                raise GanError("error.cannot_resume_state", state=self.state.value)
            check_extra_epochs(extra_epochs, self.config.epochs)
            if from_epoch is not None and (isinstance(from_epoch, bool) or not isinstance(from_epoch, int)):
                raise GanError("error.not_integer", field="epoch", value=from_epoch)
            checkpoint = self.folder.existing_checkpoint(from_epoch)
            if checkpoint is None:
                raise GanError("error.no_checkpoint", path=self.shown_name)
            if extra_epochs:
                self.config.epochs += extra_epochs
                self.folder.write_config(self.config.to_json())
                self.clock.restart_budget()  # more epochs asked for: the run's own budget starts again
            self._resume_from = checkpoint
        self.start(scheduler)

    def set_class_limits(self, minutes: float, notes: list[Message], total_epochs: int | None = None) -> None:
        """What the class's limits decided as this run starts or continues (never while it trains): the bound on its
        whole training time in minutes (0: none), the reasons for what they cut (shown with the run, kept in its
        status) and, when given, its total epochs (never below the epochs it has done)."""
        with self._lock:
            if self.state in (RunState.RUNNING, RunState.PAUSED):
                raise GanError("error.cannot_resume_state", state=self.state.value)
            self.clock.minutes_limit = float(minutes)
            self.limit_notes = list(notes)
            if total_epochs is not None and max(total_epochs, self.progress.epoch) != self.config.epochs:
                self.config.epochs = max(int(total_epochs), self.progress.epoch)
                self.folder.write_config(self.config.to_json())
            self.save_status()

    # --- reading (any thread) ---------------------------------------------------------

    @property
    def shown_name(self) -> str:
        """How messages name the run: its folder for the command line, its id for a session (never a server path)."""
        return str(self.directory) if self.owner == "local" else self.run_id

    def version(self) -> tuple:
        """What a view of the run depends on, cheap to compare: (state, step, epoch, grids, queue position)."""
        with self._lock:
            position = None
            if self.state == RunState.QUEUED and self._scheduler is not None:
                position = self._scheduler.position(self.run_id)
            return self.state, self.progress.step, self.progress.epoch, len(self.progress.grid_epochs), position

    def snapshot(self, history: bool = True) -> RunSnapshot:
        """history=False leaves the per-step and per-epoch records, quality and diagnosis out: for readers that
        only need the state and the counters (they are the costly part to copy)."""
        position = turn_in = None
        queue_length = training_now = 0
        scheduler = self._scheduler
        if self.state == RunState.QUEUED and scheduler is not None:  # outside our lock: estimates take others'
            position = scheduler.position(self.run_id)
            turn_in = scheduler.expected_wait(self.run_id)
            jobs = scheduler.jobs()
            queue_length, training_now = len(jobs["queued"]), len(jobs["running"])
        with self._lock:
            bound = self.clock.time_bound()
            end_epoch, remaining = self.clock.finish_line(None if bound is None else bound[0])
            eta = remaining if self.state in (RunState.RUNNING, RunState.PAUSED) else None
            config = self.config.to_dict()
            done = self.progress.copy(history)
            return RunSnapshot(
                run_id=self.run_id, directory=self.directory, state=self.state, config=config,
                message=self.message, traceback=self.traceback, total_epochs=self.config.epochs, **done,
                eta_seconds=eta, elapsed_seconds=self.clock.elapsed(),
                diagnosis=diagnose(done["steps"], done["epochs"], config) if history else [],
                device=self.device, queue_position=position,
                has_generator=self.folder.generator_path.exists(),
                turn_in_seconds=turn_in, queue_length=queue_length, training_now=training_now, node=self.node,
                limit_notes=list(self.limit_notes),
                end_epoch=end_epoch, budget_fraction=None if bound is None else 1.0 - bound[0] / bound[1],
            )

    def grid_path(self, epoch: int) -> Path:
        return self.folder.grid_path(epoch)

    def kept_epochs(self) -> list[int]:
        """Epochs with a full checkpoint to resume from or explore."""
        return self.folder.kept_epochs()

    # --- persistence ------------------------------------------------------------------

    def save_status(self) -> None:
        """status.json: what a reader (another page, a restarted app) needs to know about the run now. Not while a
        job elsewhere trains it: the job writes it then."""
        with self._lock:
            if self.remote is None:
                self.folder.write_status(self.status())

    def status(self, since_step: int | None = None) -> dict:
        """What the run is now, apart from its records: what status.json keeps. With `since_step`, what a mirror of
        it needs too (a job trained elsewhere sends it with each poll, gan_core.server.jobs), read at the same moment:
        its epochs (a time bound may cut them where the job trains), the start of its time budget, whether its trainer
        is parked, and its progress with the step records after `since_step` (RunProgress.since)."""
        with self._lock:
            status = {
                "state": self.state.value,
                "message": self.message.to_dict() if self.message else None,
                "traceback": self.traceback,
                "device": self.device,
                "node": self.node,
                "command": self.command,
                "owner": self.owner,
                **self.clock.status(),
                "limit_notes": [note.to_dict() for note in self.limit_notes],
                "steps_per_epoch": self.progress.steps_per_epoch,
                "started_from": self.started_from,
                "updated": time.time(),
            }
            if since_step is not None:
                status.update(total_epochs=self.config.epochs, budget_started=self.clock.budget_started,
                              parked=self.parked, **self.progress.since(since_step))
            return status

    def take_status(self, status: dict) -> None:
        """Take a status() as this run's own: read back from status.json (open), or a mirror's, sent by the job that
        trains it elsewhere (gan_core.server.jobs.follow), whose progress is taken at the same moment (RunProgress.apply:
        a resumed job restarts its steps at its checkpoint's)."""
        with self._lock:
            self.state = RunState(status.get("state", RunState.STOPPED.value))
            self.message = Message.from_dict(status["message"]) if status.get("message") else None
            self.traceback = status.get("traceback")
            self.device, self.node = status.get("device", ""), status.get("node", "")
            self.command = status.get("command", "")
            self.clock.take_status(status)
            self.limit_notes = [Message.from_dict(note) for note in status.get("limit_notes", [])]
            self.started_from = status.get("started_from")
            if "steps" not in status:  # status.json
                return
            self.progress.apply(status)
            self.config.epochs = status["total_epochs"]  # a time bound cut the job's (end_early, in its config.json)
            self.clock.budget_started = status["budget_started"]
            if status["parked"]:
                self._parked.set()
            else:
                self._parked.clear()

    # --- the training thread ----------------------------------------------------------

    def train_session(self) -> None:
        """The run's thread, its slot taken (train_here): train in this thread with the trainer until it ends, is
        stopped, fails or hands its turn over, and leave the status saying which."""
        try:
            with self._lock:
                self.state = RunState.RUNNING
                self.clock.start_segment()
                self._turn_started_epoch = self.progress.epoch
                self.save_status()
            from .trainer import train

            train(self)
            with self._lock:
                # a job on a cluster ends its turn by ending its actor (gan_core.server.cluster): still queued, it goes on later
                handed_over = self.state == RunState.QUEUED and not self._stop.is_set()
                if self.state != RunState.FAILED and not handed_over:
                    complete = self.progress.epoch >= self.config.epochs  # a stop during the last export changes nothing
                    self.state = RunState.STOPPED if self._stop.is_set() and not complete else RunState.FINISHED
        except GanError as exc:
            with self._lock:
                self.state = RunState.FAILED
                self.message = exc.message
        except BaseException as exc:  # noqa: BLE001 - a crash fails this run, never the server
            with self._lock:
                self.state = RunState.FAILED
                self.message = Message("error.crashed", error=f"{type(exc).__name__}: {exc}")
                self.traceback = traceback.format_exc()
        finally:
            with self._lock:
                self.clock.end_segment()
                self._pause.clear()
                self.save_status()

    _resume_from: Path | None = None
    _turn_started_epoch = 0

    @property
    def resume_checkpoint(self) -> Path | None:
        """The checkpoint the training thread starts from (resume_training), or None for a fresh start."""
        return self._resume_from

    def set_resume_checkpoint(self, path: Path | None) -> None:
        """Where the next training thread starts from (a cluster's next turn: the checkpoint its last one left)."""
        self._resume_from = path

    # --- trained elsewhere (gan_core.server.jobs.follow): a job trains it, this Run mirrors it -------------------

    @property
    def stop_event(self) -> threading.Event:
        """Set when a stop was asked for: what a queue waiting on this run's behalf watches."""
        return self._stop

    def forward_control(self, job) -> None:
        """From now on pause, resume and stop go to `job` (a JobHandle; None: back to this run alone), which writes the
        status meanwhile; one already asked for is passed on at once."""
        with self._lock:
            self.remote = job
            if job is None:
                return
            if self._stop.is_set():
                job.stop()
            elif self._pause.is_set():  # paused while it waited for its turn
                job.pause()

    def mark_stopped(self) -> None:
        """The run ends stopped without training on (stopped while it waited for its slot, or between two turns)."""
        with self._lock:
            self.state = RunState.STOPPED
            self.save_status()

    def take_turn_break(self, before_break=None) -> bool:
        """Fair turns (gan_core.server.scheduler), between two batches: when this run's turn is over and someone waits,
        give the slot up and queue again at the back, keeping everything in memory; True once it trains again.
        False if it was stopped while it waited: the trainer then ends the run as on any stop."""
        scheduler = self._scheduler
        with self._lock:
            if scheduler is None or self.state != RunState.RUNNING or self._stop.is_set():
                return True
            turn_epochs = self.progress.epoch - self._turn_started_epoch
        if not scheduler.turn_over(self.run_id, turn_epochs):
            return True
        if before_break is not None:
            before_break()
        with self._lock:
            self.clock.end_segment()
            self.state = RunState.QUEUED
            self.save_status()
        granted = scheduler.take_turn_break(self.run_id, self._stop)
        with self._lock:
            if granted:
                self.state = RunState.RUNNING
                self.clock.start_segment()
                self._turn_started_epoch = self.progress.epoch
                self.save_status()
        return granted and not self._stop.is_set()

    def dataset(self) -> Dataset:
        if self._dataset is None:
            self._dataset = load_dataset(self.config.dataset, self.config.image_size).subset(self.config.max_images)
        return self._dataset

    # Called by the trainer (training thread) ----------------------------------------------

    def set_device(self, description: str) -> None:
        """The device this session trains on; a bare export of a finished run keeps the one it trained on."""
        with self._lock:
            if self._resume_from is None or not self.device or self.progress.epoch < self.config.epochs:
                self.device = description

    def fail(self, message: Message) -> None:
        with self._lock:
            self.state = RunState.FAILED
            self.message = message

    @property
    def failed(self) -> bool:
        return self.state == RunState.FAILED

    def end_early(self, epoch: int, message: Message) -> None:
        """The run ends after `epoch` (a time budget): its epochs are cut to the ones it trained."""
        with self._lock:
            self.config.epochs = epoch
            self.message = message
            self.folder.write_config(self.config.to_json())

    def check_disk(self) -> None:
        """Before each epoch's writes, so a run cannot fill the disk after it was allowed to start: the server's
        check of its session's quota (gan_core.server.housekeeping.check_session_disk raises GanError 'error.quota' or
        'error.disk_full'), when it set one."""
        if self.disk_check is not None:
            self.disk_check()

    @property
    def pause_requested(self) -> bool:
        return self._pause.is_set()

    def wait_while_paused(self) -> None:
        """The trainer, between two batches: no step until resume or stop; `parked` says so meanwhile."""
        if not self._pause.is_set():
            return
        self._parked.set()
        try:
            while self._pause.is_set() and not self._stop.is_set():
                time.sleep(0.05)
        finally:
            self._parked.clear()

    @property
    def parked(self) -> bool:
        """True while the trainer has stopped stepping for a pause (a mirrored run: as its job's last poll said)."""
        return self._parked.is_set()

    @property
    def stop_requested(self) -> bool:
        return self._stop.is_set()


def take_slot(run: Run, scheduler) -> bool:
    """The slot the run trains in, from its queue; False (the run marked stopped) when it was stopped while it
    waited, or just after. Every way a run trains takes its slot so: here (train_here) or elsewhere
    (gan_core.server.jobs)."""
    if not scheduler.acquire(run.run_id, run.owner, run.stop_event, remaining=run.clock.remaining_seconds):
        run.mark_stopped()
        return False
    if run.stop_requested:
        run.mark_stopped()
        run.set_resume_checkpoint(None)
        scheduler.release(run.run_id)
        return False
    return True


def train_here(run: Run, scheduler) -> None:
    """How a run trains in a thread of this process, the drive of a queue without one (Run.start): its slot, the
    trainer in this thread (Run.train_session), the slot given back. A worker process's and Ray's drives
    (gan_core.server.worker, gan_core.server.cluster) take the same slot the same way, then follow their job."""
    if not take_slot(run, scheduler):
        return
    try:
        run.train_session()
    finally:
        run.set_resume_checkpoint(None)
        scheduler.release(run.run_id)


def remove_run(directory: Path) -> None:
    RunFolder(directory).remove()


__all__ = ["Run", "RunSnapshot", "RunState", "new_run_id", "remove_run", "ACTIVE_STATES", "STEP_FIELDS"]
