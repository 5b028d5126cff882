"""A run's clock (`run.clock`): the time it has trained, summed over its segments (pauses and waits in the queue
excluded), and the time bounds that may end it, its own budget (config.max_minutes) and the class's bound on its whole
training time, with the finish line they draw on the page. It shares its Run's lock, as the run's progress does."""

from __future__ import annotations

import math
import threading
import time

from ..i18n import Message
from .config import TrainConfig
from .run_folder import RunProgress


class RunClock:
    """Training time and time bounds of one run, under its Run's lock."""

    def __init__(self, config: TrainConfig, progress: RunProgress, lock: threading.RLock | None = None):
        self.config = config  # the Run's own (its epochs change in place: end_early, train more)
        self.progress = progress
        self._lock = lock or threading.RLock()
        self.train_seconds = 0.0  # time spent training in the segments that ended, summed over sessions
        self._segment_started: float | None = None  # time.time() when the segment going on began, None between two
        self.budget_started: float | None = None  # elapsed() when this training session began (its time budget)
        # The run's own time budget (config.max_minutes) counts from this much training time: 0, or where "train
        # more" last gave it more epochs. A continue of a stopped run goes on with the same budget.
        self.budget_from = 0.0
        # The class's bound on the run's whole training time in minutes (0: none): gan_core.server.classroom's
        # ClassLimits, set at every start and continue (Run.set_class_limits).
        self.minutes_limit = 0.0

    # --- segments: the run trains between start_segment and end_segment ---------------------------------------

    def start_segment(self) -> None:
        with self._lock:
            self._segment_started = time.time()

    def end_segment(self) -> None:
        with self._lock:
            if self._segment_started is not None:
                self.train_seconds += time.time() - self._segment_started
                self._segment_started = None

    def elapsed(self) -> float:
        """Seconds spent training, pauses and waits in the queue excluded."""
        with self._lock:
            extra = time.time() - self._segment_started if self._segment_started else 0.0
            return self.train_seconds + extra

    def restart_budget(self) -> None:
        """More epochs were asked for ("train more"): the run's own budget counts again from here."""
        with self._lock:
            self.budget_from = self.elapsed()

    # --- status.json and a mirror ----------------------------------------------------------------------------

    def status(self) -> dict:
        """The clock's fields of the run's status (status.json, and what a job trained elsewhere sends its mirror)."""
        with self._lock:
            return {"train_seconds": self.elapsed(), "budget_from": self.budget_from, "minutes_limit": self.minutes_limit}

    def take_status(self, status: dict) -> None:
        """The clock of a status read back (status.json) or sent by the job that trains the run elsewhere: its time
        so far, no segment going on here."""
        with self._lock:
            self.train_seconds, self._segment_started = float(status.get("train_seconds", 0.0)), None
            self.budget_from = float(status.get("budget_from", 0.0))
            self.minutes_limit = float(status.get("minutes_limit", 0.0))

    # --- the time bounds ---------------------------------------------------------------------------------------

    def begin_budget(self) -> None:
        """A training session starts (trainer): from here to end_budget the page draws the finish line a time bound
        sets (budget_left); the bounds themselves are over_time's."""
        with self._lock:
            self.budget_started = self.elapsed()

    def end_budget(self) -> None:
        with self._lock:
            self.budget_started = None

    def time_bound(self) -> tuple[float, float] | None:
        """While a training session goes on: (seconds left, seconds in all) of the time bound that ends the run first,
        the one over_time applies: its own budget (config.max_minutes, counted from budget_from) or the class's bound
        on its whole training time (minutes_limit). None without either, or outside a session."""
        with self._lock:
            if self.budget_started is None:
                return None
            elapsed, bounds = self.elapsed(), []
            if self.config.max_minutes:
                bounds.append((self.config.max_minutes * 60 - (elapsed - self.budget_from),
                               self.config.max_minutes * 60))
            if self.minutes_limit:
                bounds.append((self.minutes_limit * 60 - elapsed, self.minutes_limit * 60))
            if not bounds:
                return None
            left, total = min(bounds)
            return max(0.0, left), total

    def budget_left(self) -> float | None:
        """Training seconds left before a time bound ends the run (0 once it ran out); None without one or outside a
        training session."""
        bound = self.time_bound()
        return None if bound is None else bound[0]

    def over_time(self) -> Message | None:
        """Why the run must end after the epoch it just completed, or None: the class's bound on its whole training
        time, then its own budget (config.max_minutes, counted from budget_from)."""
        with self._lock:
            elapsed = self.elapsed()
            if self.minutes_limit and elapsed >= self.minutes_limit * 60:
                return Message("run.class_time_reached", minutes=f"{self.minutes_limit:g}", epoch=self.progress.epoch)
            budget = self.config.max_minutes * 60
            if budget and elapsed - self.budget_from >= budget:
                return Message("run.time_budget_reached", minutes=f"{self.config.max_minutes:g}",
                               epoch=self.progress.epoch)
            return None

    # --- the finish line ---------------------------------------------------------------------------------------

    def finish_line(self, budget_left: float | None) -> tuple[int, float | None]:
        """(the epoch the run will end after, training seconds until then or None without a speed). A time budget
        ends a run after the epoch it runs out in (trainer: _end_if_out_of_time), so the end is whichever comes first:
        the last epoch, or the end of that epoch at the speed so far."""
        with self._lock:
            total, per_epoch, speed = self.config.epochs, self.progress.steps_per_epoch, self.progress.images_per_sec
            if speed <= 0 or per_epoch <= 0:
                return total, None
            steps_per_second = speed / self.config.batch_size
            done = self.progress.steps_done()
            end = total
            if budget_left is not None:
                out_of_time_at = done + budget_left * steps_per_second
                end = min(total, max(self.progress.epoch + 1, math.ceil(out_of_time_at / per_epoch)))
            return end, max(0, end * per_epoch - done) / steps_per_second

    def remaining_seconds(self) -> float | None:
        """Training time the run still needs at its last speed (to its last epoch, or to the end of the epoch its
        time budget runs out in); None before it has a speed: what the queue's wait estimates read."""
        with self._lock:
            return self.finish_line(self.budget_left())[1]
