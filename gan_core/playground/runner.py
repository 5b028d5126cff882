"""The 2-D playground's runner: a `Playground` a page controls from any thread, its commands, and its queue.

Everything is small on purpose: points live in the box [-1, 1]², the networks are MLPs of a few dozen units, and
one step costs a few milliseconds, so a class can watch every step. The runner owns one background thread that does
all the TensorFlow work (building, steps, the view) through an `Experiment`, takes a place in the playgrounds' queue
(`new_scheduler`) while it plays, and publishes a `PlaygroundView` of small NumPy arrays that a page draws without
touching a network. A page's presses reach that thread as small commands (`Build`, `Step`, `Export`).
"""

from __future__ import annotations

import collections
import dataclasses
import math
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from ..i18n import GanError, Message
from ..training.run import RunState
from .config import ARCHITECTURE, EXAMPLES, LIVE, POINTS, PlaygroundConfig
from .data import MAX_POINTS
from .experiment import STAGES, Experiment

if TYPE_CHECKING:
    from ..server.scheduler import Scheduler
    from .files import SavedExperiment

MAX_STEPS_PER_SECOND = 100  # a playground never takes a whole core: the class server has other students
VIEW_SECONDS = 0.15  # the view is recomputed at most this often while playing
STAGE_SECONDS = 1.25  # slow motion: one stage per 1.25 s while playing (GAN Lab's pace)
IDLE_PAUSE_SECONDS = 120.0  # nobody looked for this long (the tab closed): a playing playground pauses
HISTORY = 5000  # steps of loss history kept
PHASES = ("both", "d", "g")


# --- the commands a page's presses send to the worker thread -------------------------------------------------------

@dataclass(frozen=True)
class Build:
    """A new experiment from these settings and points; from a saved experiment's weights and step when given."""

    config: PlaygroundConfig
    points: np.ndarray | None = None
    saved: SavedExperiment | None = None


@dataclass(frozen=True)
class Step:
    """One step of both networks, only D or only G (one of PHASES); in slow motion, the next stage of such a step."""

    phase: str = "both"


@dataclass
class ExportReply:
    """Where the worker leaves an export's bytes, or the error it raised, before setting `done`."""

    done: threading.Event = field(default_factory=threading.Event)
    data: bytes | None = None
    error: Exception | None = None


@dataclass(frozen=True)
class Export:
    """Call `write(generator, discriminator, config, step, points, js)` between two steps, so G, D and the step
    agree; its result or error goes to `reply`."""

    write: Callable
    reply: ExportReply


Command = Build | Step | Export


@dataclass(frozen=True)
class PlaygroundView:
    """A consistent copy of a playground for a page: small arrays and numbers, no tensors."""

    version: int  # changes whenever anything shown changes: a page can skip redrawing an unchanged view
    state: RunState  # QUEUED (waiting for a slot to play), RUNNING (playing), PAUSED (not playing)
    step: int
    config: dict
    slow: bool
    building: bool
    real: np.ndarray | None  # (SHOWN_POINTS, 2)
    fake: np.ndarray | None  # (SHOWN_POINTS, 2)
    arrows: np.ndarray | None  # (SHOWN_POINTS, 2): where G's loss pushes each fake point
    arrow_length: float
    manifold: np.ndarray | None  # (lines, MANIFOLD_POINTS, 2)
    heatmap: np.ndarray | None  # (HEATMAP_SIZE, HEATMAP_SIZE) in [0, 1], rows along y
    heatmap_axis: np.ndarray | None
    history: dict  # step, d_loss, g_loss (NaN where that network did not move), js_step, js
    stage: dict | None  # slow motion: {"phase", "stage", "index", "count", arrays...}
    commands_waiting: bool  # a press (a step, a restart, a load) the worker has not finished yet: the page looks again
    applied: list  # [(field, value, step)] the live changes and the step they took effect at
    pending: dict  # live changes made that the next step will apply
    message: Message | None
    queue_position: int | None


class Playground:
    """A 2-D experiment a page controls: play, pause, one step (both, only D, only G), slow motion, live changes,
    restarts. Every method is safe from any thread and returns at once; one worker thread does the work and exits
    when there is none, so a paused playground costs nothing."""

    def __init__(self, config: PlaygroundConfig | None = None, points: np.ndarray | None = None,
                 scheduler=None, owner: str = "local", run_id: str | None = None):
        config = config or PlaygroundConfig()
        config.validate()
        self.owner = owner
        self.run_id = run_id or f"playground-{id(self):x}"
        self._scheduler = scheduler
        self._lock = threading.Condition()
        self._config = dataclasses.replace(config)
        self._points = points
        self._commands: collections.deque = collections.deque()
        self._worker: threading.Thread | None = None
        self._playing = False
        self._cancel_queue = threading.Event()
        self._holds_slot = False
        self._state = RunState.PAUSED
        self._slow = False
        self._stage_sequence = None  # slow motion: the generator of the step under way
        self._stage_phases: list[str] = []
        self._stage: dict | None = None
        self._stage_at = 0.0  # when the stage on show was reached (monotonic): slow play waits STAGE_SECONDS from it
        self._in_command = False
        self._pending: dict = {}  # live changes the worker has not applied yet
        self._applied: list = []
        self._message: Message | None = None
        self._version = 0
        self._step = 0
        self._view: dict = {}
        self._history = _empty_history()
        self._last_touch = time.monotonic()
        self._experiment: Experiment | None = None
        self._building = True
        self._submit(Build(self._config, points))

    # --- control (any thread) -----------------------------------------------------------------------------

    def configure(self, **changes) -> bool:
        """Change settings. Architecture fields (and the data) restart the experiment; learning rates, optimizers,
        loss and D steps apply at the next step. Returns True when it restarts. A bad value raises GanError."""
        with self._lock:
            candidate = dataclasses.replace(self._config, **changes)
            candidate.validate()
            restart = any(getattr(candidate, name) != getattr(self._config, name) for name in ARCHITECTURE)
            live = {name: getattr(candidate, name) for name in LIVE if getattr(candidate, name) != getattr(self._config, name)}
            self._config = candidate
            if restart:
                self._restart_locked()
            elif live:
                self._pending.update(live)
                self._touch_version()
                self._lock.notify_all()
            return restart

    def set_points(self, points: np.ndarray) -> None:
        """Train on these points (drawn or uploaded, already in the box): restarts with data = POINTS."""
        points = np.asarray(points, dtype=np.float32).reshape(-1, 2)[:MAX_POINTS]
        if len(points) == 0:
            raise GanError("playground.no_points")
        with self._lock:
            self._points = points
            self._config = dataclasses.replace(self._config, data=POINTS)
            self._restart_locked()

    def example(self, name: str) -> None:
        """One of EXAMPLES from the default settings: a restart."""
        with self._lock:
            self._config = dataclasses.replace(PlaygroundConfig(seed=self._config.seed), **EXAMPLES[name])
            self._restart_locked()

    def restart(self) -> None:
        with self._lock:
            self._restart_locked()

    def load(self, saved) -> None:
        """Continue from a saved experiment (a files.SavedExperiment, already checked): its settings,
        points, weights and step; a restart, so optimizers start afresh."""
        with self._lock:
            self._config = dataclasses.replace(saved.config)
            self._points = saved.points
            self._restart_locked(saved)

    def export(self, write, timeout: float = 60.0) -> bytes:
        """The experiment as it is now, as bytes: the worker calls `write(generator, discriminator, config, step,
        points, js)` between two steps, so G, D and the step agree (files.export_experiment)."""
        reply = ExportReply()
        self._submit(Export(write, reply))
        if not reply.done.wait(timeout):
            raise GanError("error.crashed", error="export timed out")
        if reply.error is not None:
            raise reply.error
        return reply.data

    def play(self) -> None:
        with self._lock:
            self._last_touch = time.monotonic()
            if not self._playing:
                self._playing = True
                self._cancel_queue.clear()
                self._message = None
                if self._state == RunState.PAUSED:  # at once, so the page that pressed Play draws Pause
                    self._state = RunState.QUEUED
                self._ensure_worker()
                self._touch_version()

    def pause(self) -> None:
        with self._lock:
            self._playing = False
            if not self._holds_slot:  # nothing to give back: paused at once (else the worker does it)
                self._state = RunState.PAUSED
            self._cancel_queue.set()
            self._lock.notify_all()
            self._touch_version()
        if self._scheduler is not None:
            self._scheduler.wake()  # a wait for a slot ends now

    def step(self, phase: str = "both") -> None:
        """One step of both networks, only D or only G; in slow motion, the next stage of such a step."""
        if phase not in PHASES:
            raise ValueError(phase)
        self._submit(Step(phase))

    def set_slow(self, slow: bool) -> None:
        with self._lock:
            if self._slow != bool(slow):
                self._slow = bool(slow)
                self._stage_sequence, self._stage, self._stage_phases = None, None, []
                self._touch_version()
                self._lock.notify_all()

    def touch(self) -> None:
        """Someone is looking (a page redraw): a playing playground keeps playing."""
        self._last_touch = time.monotonic()

    def close(self) -> None:
        self.pause()
        with self._lock:
            self._commands.clear()

    def settle(self, timeout: float) -> bool:
        """Until every command submitted so far is done (a press of one step, say), however long play goes on; True
        if they were. A page waits a moment for its press, so the rerun the press caused draws what it did."""
        with self._lock:
            return self._lock.wait_for(lambda: not self._commands and not self._in_command, timeout)

    def wait_idle(self, timeout: float = 60.0) -> bool:
        """Until every submitted command is done (tests, benchmarks); True if it got there."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while self._commands or self._busy:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._lock.wait(min(remaining, 0.05))
        return True

    # --- reading (any thread) -------------------------------------------------------------------------------

    @property
    def config(self) -> PlaygroundConfig:
        with self._lock:
            return dataclasses.replace(self._config)

    def view(self) -> PlaygroundView:
        with self._lock:
            position = None
            if self._state == RunState.QUEUED and self._scheduler is not None:
                position = self._scheduler.position(self.run_id)
            experiment, view = self._experiment, self._view
            return PlaygroundView(
                version=self._version, state=self._state, step=self._step, config=self._config.to_dict(),
                slow=self._slow, building=self._building,
                real=None if experiment is None else experiment.real_shown,
                fake=view.get("fake"), arrows=view.get("arrows"), arrow_length=view.get("arrow_length", math.nan),
                manifold=view.get("manifold"), heatmap=view.get("heatmap"),
                heatmap_axis=None if experiment is None else experiment.heatmap_axis,
                history={k: list(v) for k, v in self._history.items()}, stage=self._stage,
                commands_waiting=bool(self._commands) or self._in_command,
                applied=list(self._applied[-6:]), pending=dict(self._pending), message=self._message, queue_position=position)

    # --- internals ---------------------------------------------------------------------------------------------

    _busy = False

    def _touch_version(self) -> None:
        self._version += 1

    def _restart_locked(self, saved: SavedExperiment | None = None) -> None:
        self._commands = collections.deque(c for c in self._commands if not isinstance(c, Build))  # only the newest
        self._commands.append(Build(dataclasses.replace(self._config), self._points, saved))
        self._building = True
        self._stage_sequence, self._stage, self._stage_phases = None, None, []
        self._pending.clear()
        self._touch_version()
        self._ensure_worker()
        self._lock.notify_all()

    def _submit(self, command: Command) -> None:
        with self._lock:
            self._commands.append(command)
            self._ensure_worker()
            self._lock.notify_all()

    def _ensure_worker(self) -> None:
        if self._worker is None or not self._worker.is_alive():
            self._worker = threading.Thread(target=self._work, name=f"playground-{self.run_id}", daemon=True)
            self._worker.start()

    def _work(self) -> None:
        me = threading.current_thread()
        try:
            while True:
                with self._lock:
                    if self._worker is not me:
                        return
                    if self._playing and time.monotonic() - self._last_touch > IDLE_PAUSE_SECONDS:
                        self._playing = False
                        self._message = Message("playground.idle_paused")
                        self._touch_version()
                    command = self._commands.popleft() if self._commands else None
                    self._in_command = command is not None
                    if command is None and not self._playing:
                        self._release_slot_locked()
                        self._state = RunState.PAUSED
                        self._worker = None
                        self._lock.notify_all()
                        return
                    self._busy = True
                try:
                    if command is not None:
                        self._run_command(command)
                    elif self._acquire_slot():
                        self._play_a_little()
                finally:
                    with self._lock:
                        self._busy = self._in_command = False
                        self._lock.notify_all()
        except BaseException as exc:  # noqa: BLE001 - a failure pauses this playground, never the server
            with self._lock:
                self._playing = self._in_command = False
                self._message = Message("error.crashed", error=f"{type(exc).__name__}: {exc}")
                self._release_slot_locked()
                self._state = RunState.PAUSED
                self._worker = None
                self._building = False
                self._touch_version()
                self._lock.notify_all()

    def _acquire_slot(self) -> bool:
        """A place in the training queue while playing (single steps need none: they are a few milliseconds)."""
        if self._holds_slot or self._scheduler is None:
            with self._lock:
                if self._state != RunState.RUNNING:
                    self._state = RunState.RUNNING
                    self._touch_version()
            return True
        with self._lock:
            self._state = RunState.QUEUED
            self._touch_version()
        acquired = self._scheduler.acquire(self.run_id, self.owner, self._cancel_queue)
        with self._lock:
            if acquired and not self._playing:  # paused while the slot came free
                self._scheduler.release(self.run_id)
                acquired = False
            self._holds_slot = acquired
            self._state = RunState.RUNNING if acquired else RunState.PAUSED
            self._touch_version()
        return acquired

    def _release_slot_locked(self) -> None:
        if self._holds_slot and self._scheduler is not None:
            self._scheduler.release(self.run_id)
        self._holds_slot = False

    def _run_command(self, command: Command) -> None:
        if isinstance(command, Build):
            self._build(command)
        elif isinstance(command, Export):
            self._export(command)
        elif isinstance(command, Step):
            if self._experiment is None:
                return
            if self._slow:
                self._advance_stage(command.phase)
            else:
                self._train_steps(command.phase, 1)
        else:
            raise TypeError(command)

    def _build(self, command: Build) -> None:
        experiment, saved = Experiment(command.config, command.points), command.saved
        if saved is not None:
            experiment.set_weights(saved.generator_weights, saved.discriminator_weights)
        view = experiment.view_arrays()
        with self._lock:
            if self._commands and isinstance(self._commands[0], Build):
                return  # a newer restart is waiting: this one is already stale
            self._experiment, self._view = experiment, view
            self._step = 0 if saved is None else saved.step
            self._history = _empty_history()
            self._history["js_step"].append(self._step)
            self._history["js"].append(view["js"])
            self._applied, self._building, self._stage, self._stage_sequence = [], False, None, None
            self._touch_version()

    def _export(self, command: Export) -> None:
        reply = command.reply
        try:
            experiment = self._experiment
            if experiment is None:
                raise GanError("playground.no_points")
            with self._lock:  # changes made since the last step are the settings it goes on with
                step, history = self._step, self._history["js"]
                config = dataclasses.replace(experiment.config, **self._pending)
            reply.data = command.write(experiment.gan.generator, experiment.gan.discriminator, config, step,
                                       experiment.points, history[-1] if history else None)
        except Exception as exc:  # noqa: BLE001 - handed to the caller, never the worker's end
            reply.error = exc
        finally:
            reply.done.set()

    def _apply_pending(self) -> None:
        with self._lock:
            pending, self._pending = self._pending, {}
        if pending:
            self._experiment.apply_live(pending)
            with self._lock:
                self._applied.extend((name, value, self._step + 1) for name, value in pending.items())
                self._touch_version()

    def _train_steps(self, phase: str, count: int) -> None:
        self._apply_pending()
        records = [self._experiment.train(phase) for _ in range(count)]
        with self._lock:
            for record in records:
                self._step += 1
                self._record_losses_locked(record)
            self._touch_version()

    def _record_losses_locked(self, record: dict) -> None:
        history = self._history
        history["step"].append(self._step)
        history["d_loss"].append(record["d_loss"])
        history["g_loss"].append(record["g_loss"])
        if len(history["step"]) > HISTORY:
            for name in ("step", "d_loss", "g_loss"):
                del history[name][: len(history[name]) - HISTORY]

    def _refresh_view(self) -> None:
        view = self._experiment.view_arrays()
        with self._lock:
            self._view = view
            if not self._history["js_step"] or self._history["js_step"][-1] != self._step:
                self._history["js_step"].append(self._step)
                self._history["js"].append(view["js"])
            self._touch_version()

    def _play_a_little(self) -> None:
        """About VIEW_SECONDS of play: steps at up to MAX_STEPS_PER_SECOND, then a fresh view; in slow motion,
        the next stage once STAGE_SECONDS have passed since the last one, a pressed step's included (so a press while
        it plays shows its own stage for as long as any other, and never two stages at once); a command or a pause
        cuts the wait."""
        if self._experiment is None:
            return
        if self._slow:
            with self._lock:
                due = self._stage_at + STAGE_SECONDS
                self._lock.wait_for(lambda: self._commands or not self._playing or not self._slow,
                                    max(0.0, due - time.monotonic()))
                if self._commands or not self._playing or not self._slow or time.monotonic() < due:
                    return
            self._advance_stage("both")
            return
        started = time.monotonic()
        budget = int(MAX_STEPS_PER_SECOND * VIEW_SECONDS)
        done = 0
        while done < budget:
            self._train_steps("both", 1)
            done += 1
            with self._lock:
                if self._commands or not self._playing or self._slow:
                    break
        self._refresh_view()
        spare = done / MAX_STEPS_PER_SECOND - (time.monotonic() - started)
        if spare > 0:
            with self._lock:
                self._lock.wait_for(lambda: self._commands or not self._playing, spare)

    def _advance_stage(self, phase: str) -> None:
        """Slow motion: the next stage of the step under way, or the first stage of a new one (D's update and
        then G's for "both")."""
        if self._stage_sequence is None:
            self._apply_pending()
            self._stage_phases = ["d", "g"] if phase == "both" else [phase]
            self._stage_sequence = self._stages(list(self._stage_phases))
        try:
            stage = next(self._stage_sequence)
        except StopIteration:
            self._stage_sequence = None
            return self._advance_stage(phase)
        with self._lock:
            self._stage, self._stage_at = stage, time.monotonic()
            self._touch_version()
        if stage["stage"] == "update":
            self._refresh_view()

    def _stages(self, phases: list[str]):
        count = len(phases) * len(STAGES)
        index = 0
        record = {"d_loss": math.nan, "g_loss": math.nan}
        for phase in phases:
            for stage, arrays in self._experiment.slow_stages(phase):
                index += 1
                if stage == "update":
                    record[f"{phase}_loss"] = arrays["loss"]
                    if phase == phases[-1]:
                        with self._lock:
                            self._step += 1
                            self._record_losses_locked(record)
                yield {"phase": phase, "stage": stage, "index": index, "count": count, **arrays}


def _empty_history() -> dict:
    return {"step": [], "d_loss": [], "g_loss": [], "js_step": [], "js": []}


def playground_slots() -> int:
    """How many playgrounds play at once, server-wide: GAN_PLAYGROUND_CONCURRENT, else two per core (each is
    capped at MAX_STEPS_PER_SECOND of a few-millisecond step, a small share of a core)."""
    configured = int(os.environ.get("GAN_PLAYGROUND_CONCURRENT", "0") or 0)
    return configured if configured > 0 else 2 * (os.cpu_count() or 1)


def new_scheduler() -> Scheduler:
    """A queue for the playgrounds: the same Scheduler class as image runs (FIFO, one per session, positions
    shown), with its own slots, so a class's 2-D experiments never wait behind an hour of CIFAR training. The server
    keeps one (the page caches it with st.cache_resource); a test makes its own."""
    from ..server.scheduler import Scheduler

    return Scheduler(playground_slots())
