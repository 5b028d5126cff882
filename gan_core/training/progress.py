"""A run's progress: its records (steps, epochs, quality scores, grids) and the counters of where it stands, in memory
for readers on any thread and on disk in its folder's metrics.jsonl (written by the trainer, read back here).

The trainer records into it (record_steps, record_epoch, ...); a snapshot copies it; a run trained elsewhere (a worker
process, a Ray actor: gan_core.server.jobs) sends `since(step)` with each poll, inside its Run's status, and the app's
copy takes it (`apply`, from Run.take_status). It shares its Run's lock, so a Run's state and its progress are read
and taken together."""

from __future__ import annotations

import bisect
import copy
import threading

from .gan import STEP_FIELDS
from .run_folder import RunFolder


def no_steps() -> dict:
    """field -> list of floats, one per step, and "step" the step numbers."""
    return {"step": [], **{name: [] for name in STEP_FIELDS}}


class RunProgress:
    """What a run has done so far: records and counters, under its Run's lock."""

    def __init__(self, folder: RunFolder, lock: threading.RLock | None = None):
        self.folder = folder
        self._lock = lock or threading.RLock()
        self.epoch = 0  # completed epochs
        self.step = 0  # global step count
        self.steps_per_epoch = 0
        self.step_in_epoch = 0
        self.images_per_sec = 0.0
        self.steps = no_steps()
        self.epochs: list[dict] = []
        self.quality: list[dict] = []
        self.grid_epochs: list[int] = []  # epochs with a saved grid (0 = before training)

    # --- on disk --------------------------------------------------------------------------------------------

    def load(self, max_step: int | None = None) -> None:
        """The records in metrics.jsonl (up to `max_step`), and the grids in the folder."""
        steps, epochs, quality = no_steps(), [], []
        for record in self.folder.read_metrics(max_step):
            kind = record.get("type")
            if kind == "step":
                steps["step"].append(record["step"])
                for name in STEP_FIELDS:
                    steps[name].append(record[name])
            elif kind == "epoch":
                epochs.append(record)
            elif kind == "quality":
                quality.append(record)
        with self._lock:
            self.steps, self.epochs, self.quality = steps, epochs, quality
            self.step = steps["step"][-1] if steps["step"] else 0
            self.epoch = epochs[-1]["epoch"] if epochs else 0
            if epochs:
                self.images_per_sec = epochs[-1].get("images_per_sec", 0.0)
            if max_step is None:
                self.grid_epochs = self.folder.grid_epochs()

    def rewind(self, epoch: int, step: int) -> None:
        """Back to a checkpoint made after `epoch` at `step`: later records and grids are forgotten."""
        self.load(max_step=step)
        with self._lock:
            self.epoch, self.step = epoch, step
            self.grid_epochs = [e for e in self.grid_epochs if e <= epoch]

    # --- recorded by the trainer (the training thread) ------------------------------------------------------

    def begin_epochs(self, steps_per_epoch: int) -> None:
        with self._lock:
            self.steps_per_epoch = steps_per_epoch
            self.step_in_epoch = 0

    def begin_epoch(self) -> None:
        with self._lock:
            self.step_in_epoch = 0

    def record_steps(self, records: list[dict], step_in_epoch: int | None = None,
                     images_per_sec: float | None = None) -> None:
        """New "step" records (STEP_FIELDS and "step"), with where the epoch stands and the speed so far."""
        with self._lock:
            for record in records:
                self.steps["step"].append(record["step"])
                for name in STEP_FIELDS:
                    self.steps[name].append(record[name])
            if records:
                self.step = records[-1]["step"]
            if step_in_epoch is not None:
                self.step_in_epoch = step_in_epoch
            if images_per_sec is not None:
                self.images_per_sec = images_per_sec

    def record_epoch(self, record: dict) -> None:
        """An "epoch" record: the epoch is complete."""
        with self._lock:
            self.epochs.append(record)
            self.epoch = record["epoch"]
            self.images_per_sec = record["images_per_sec"]

    def record_quality(self, record: dict) -> None:
        with self._lock:
            self.quality.append(record)

    def add_grid(self, epoch: int) -> None:
        with self._lock:
            if epoch not in self.grid_epochs:
                self.grid_epochs.append(epoch)

    # --- read (any thread) ----------------------------------------------------------------------------------

    def steps_done(self) -> int:
        """Steps from the first epoch to where the current one stands."""
        with self._lock:
            return self.epoch * self.steps_per_epoch + self.step_in_epoch

    def copy(self, history: bool = True) -> dict:
        """The fields of a RunSnapshot this holds; history=False leaves the records out (the costly part to copy)
        but for the grids."""
        with self._lock:
            return {
                "epoch": self.epoch, "step": self.step, "steps_per_epoch": self.steps_per_epoch,
                "step_in_epoch": self.step_in_epoch, "images_per_sec": self.images_per_sec,
                "steps": {k: list(v) if history else [] for k, v in self.steps.items()},
                "epochs": copy.deepcopy(self.epochs) if history else [],
                "quality": copy.deepcopy(self.quality) if history else [],
                "grid_epochs": list(self.grid_epochs),
            }

    # --- mirrored (a run trained elsewhere) -----------------------------------------------------------------

    def since(self, after_step: int) -> dict:
        """The counters and every record but the step records up to `after_step` (a mirror has those already)."""
        with self._lock:
            start = bisect.bisect_right(self.steps["step"], after_step)
            return {
                "epoch": self.epoch, "step": self.step, "steps_per_epoch": self.steps_per_epoch,
                "step_in_epoch": self.step_in_epoch, "images_per_sec": self.images_per_sec,
                "steps": {name: values[start:] for name, values in self.steps.items()},
                "epochs": list(self.epochs), "quality": list(self.quality), "grid_epochs": list(self.grid_epochs),
            }

    def apply(self, info: dict) -> None:
        """Take another copy's `since()` as this one's own: a resumed job restarts its steps at its checkpoint's, so
        the step records from its first one on are replaced."""
        with self._lock:
            new = info["steps"]
            keep = bisect.bisect_right(self.steps["step"], new["step"][0] - 1) if new["step"] else len(self.steps["step"])
            for name in ("step", *STEP_FIELDS):
                del self.steps[name][keep:]
                self.steps[name].extend(new[name])
            self.epoch, self.step = info["epoch"], info["step"]
            self.steps_per_epoch, self.step_in_epoch = info["steps_per_epoch"], info["step_in_epoch"]
            self.images_per_sec = info["images_per_sec"]
            self.epochs, self.quality, self.grid_epochs = info["epochs"], info["quality"], info["grid_epochs"]
