"""What a run keeps: its folder (the one owner of its layout, its atomic writes and its checkpoint format) and its
progress (RunProgress, `run.progress`: the records and counters of what it has done so far, in memory for readers on
any thread, on disk in the folder's metrics.jsonl and grids/).

    config.json        the TrainConfig (TrainConfig.to_json)
    status.json        state, message, device, time trained ... (Run writes it; a restarted app reads it)
    metrics.jsonl      one JSON record a line: "step", "epoch" and "quality" records, appended as they come
    grids/epoch_NNN.png            the fixed-latent grid after each epoch (000: before training)
    checkpoints/epoch_NNN.npz      full checkpoints (both networks, both optimizers, the seed, G's average)
    checkpoints/last.npz           the newest checkpoint (a hard link to the last epoch's, or a stop's own)
    generator.keras, card.json     the exported generator (gan_core.explore.generators)
    networks.npz       G and D by layer path, for transfer learning (gan_core.training.transfer)
    clusters.npz       self-conditioning groups (gan_core.training.clusters), kept so a resumed run uses them
    tb/                TensorBoard scalars and grids
    progress.gif       every grid animated, made on request

A reader never sees half a file: everything but the append-only metrics is written to a temporary name and
renamed over the old one.

The trainer records into the progress (record_steps, record_epoch, add_grid ...) as it writes metrics.jsonl and the
grids; a snapshot copies it; a run trained elsewhere (a worker process, a Ray actor: gan_core.server.jobs) sends
`since(step)` with each poll, inside its Run's status, and the app's copy takes it (`apply`, from Run.take_status).
It shares its Run's lock, so a Run's state and its progress are read and taken together.
"""

from __future__ import annotations

import bisect
import copy
import json
import re
import shutil
import threading
import time
import uuid
from pathlib import Path

import numpy as np
from PIL import Image

from ..data import images as imaging
from ..i18n import GanError
from .gan import STEP_FIELDS

CHECKPOINT_FORMAT = 1
NETWORKS_FILE = "networks.npz"
GENERATOR_FILE = "generator.keras"


RUN_ID_RE = re.compile(r"\d{8}-\d{6}-[0-9a-f]{12}")  # what new_run_id makes (without a prefix)


def new_run_id(prefix: str = "") -> str:
    """Unguessable and path-safe: never built from a user's string."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    return f"{prefix}{stamp}-{uuid.uuid4().hex[:12]}"


def epoch_file(folder: Path, epoch: int, suffix: str) -> Path:
    """Where a run keeps one epoch's file: grids/epoch_NNN.png, checkpoints/epoch_NNN.npz."""
    return Path(folder) / f"epoch_{epoch:03d}{suffix}"


def numbered_epochs(folder: Path, suffix: str) -> list[int]:
    """The epochs of the epoch_file()s in `folder`, in order. Anything else there (a file being written as
    epoch_NNN.tmp<suffix>, or left half-written by a crash) is not an epoch."""
    pattern = re.compile(r"epoch_(\d+)" + re.escape(suffix))
    names = (pattern.fullmatch(path.name) for path in Path(folder).glob(f"epoch_*{suffix}"))
    return sorted(int(match.group(1)) for match in names if match)


class RunFolder:
    """The paths of one run's files, and reading and writing them."""

    def __init__(self, directory):
        self.directory = Path(directory)
        self.config_path = self.directory / "config.json"
        self.status_path = self.directory / "status.json"
        self.metrics_path = self.directory / "metrics.jsonl"
        self.grids = self.directory / "grids"
        self.checkpoints = self.directory / "checkpoints"
        self.tensorboard = self.directory / "tb"
        self.generator_path = self.directory / GENERATOR_FILE
        self.networks_path = self.directory / NETWORKS_FILE
        self.clusters_path = self.directory / "clusters.npz"
        self.progress_gif_path = self.directory / "progress.gif"

    def make_folders(self) -> None:
        for folder in (self.grids, self.checkpoints):
            folder.mkdir(parents=True, exist_ok=True)

    def is_run(self) -> bool:
        return self.config_path.is_file()

    def is_empty(self) -> bool:
        return not self.directory.exists() or not any(self.directory.iterdir())

    def remove(self) -> None:
        shutil.rmtree(self.directory, ignore_errors=True)

    # --- config and status ---------------------------------------------------------------------

    def write_config(self, config_json: str) -> None:
        atomic_write_text(self.config_path, config_json)

    def read_config(self) -> dict:
        return json.loads(self.config_path.read_text())

    def write_status(self, status: dict) -> None:
        atomic_write_text(self.status_path, json.dumps(status, indent=2))

    def read_status(self) -> dict:
        """The last status written, or {} when there is none (or it cannot be read)."""
        return read_json(self.status_path) or {}

    # --- metrics -------------------------------------------------------------------------------

    def read_metrics(self, max_step: int | None = None) -> list[dict]:
        """Every record, in order; a line cut by a crash is left out. With max_step (a resume from a checkpoint
        made at that step) the records after it are dropped from the file too, so no step is counted twice."""
        if not self.metrics_path.exists():
            return []
        kept_lines, records = [], []
        for line in self.metrics_path.read_text().splitlines():
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                continue
            if max_step is not None and record.get("step", 0) > max_step:
                continue
            kept_lines.append(line)
            records.append(record)
        if max_step is not None:
            atomic_write_text(self.metrics_path, "".join(line + "\n" for line in kept_lines))
        return records

    def append_metrics(self):
        """The metrics file opened for appending records (MetricsWriter)."""
        return MetricsWriter(self.metrics_path)

    # --- grids and checkpoints -----------------------------------------------------------------

    def grid_path(self, epoch: int) -> Path:
        return epoch_file(self.grids, epoch, ".png")

    def grid_epochs(self) -> list[int]:
        return numbered_epochs(self.grids, ".png")

    def kept_epochs(self) -> list[int]:
        """Epochs with a full checkpoint to resume from or explore."""
        return numbered_epochs(self.checkpoints, ".npz")

    def write_progress_gif(self, epochs: list[int], shown_name: str, duration_ms: int = 400) -> Path:
        """Animate the grids of `epochs` (a run's progress.grid_epochs) into progress.gif and return its path;
        GanError 'error.no_checkpoint' naming `shown_name` when there is none."""
        frames = [np.asarray(Image.open(self.grid_path(e)).convert("RGB")) for e in epochs]
        if not frames:
            raise GanError("error.no_checkpoint", path=shown_name)
        atomic_write_bytes(self.progress_gif_path,
                           imaging.gif_bytes(frames, duration_ms, labels=[f"epoch {e}" for e in epochs]))
        return self.progress_gif_path

    def checkpoint_path(self, epoch: int | None = None) -> Path:
        """A kept epoch's checkpoint, or the newest one (epoch None)."""
        return self.checkpoints / "last.npz" if epoch is None else epoch_file(self.checkpoints, epoch, ".npz")

    def existing_checkpoint(self, epoch: int | None = None) -> Path | None:
        path = self.checkpoint_path(epoch)
        return path if path.exists() else None

    def save_epoch_checkpoint(self, gan, epoch: int, step: int, keep: int) -> None:
        """The epoch's checkpoint, `last` pointing at it, and only the newest `keep` epochs kept (0: none)."""
        path = self.checkpoint_path(epoch)
        save_checkpoint(gan, path, epoch, step)
        _link_or_copy(path, self.checkpoint_path())
        kept = self.kept_epochs()
        for old in kept[:-keep] if keep else kept:
            self.checkpoint_path(old).unlink(missing_ok=True)


class MetricsWriter:
    """Appends records to metrics.jsonl, a line each, flushed per call."""

    def __init__(self, path: Path):
        self._file = open(path, "a", encoding="utf-8")

    def write(self, records: list[dict]) -> None:
        if records:
            self._file.write("".join(json.dumps(record) + "\n" for record in records))
            self._file.flush()

    def close(self) -> None:
        self._file.close()


# --- what the run has done so far: its records and counters, in memory ---------------------------------------

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


# --- checkpoints: every variable of both networks and both optimizers, in a fixed order -----------------------

def _variable_groups(gan) -> dict[str, list]:
    return {
        "generator": gan.generator.weights,
        "discriminator": gan.discriminator.weights,
        "g_optimizer": gan.g_optimizer.variables,
        "d_optimizer": gan.d_optimizer.variables,
        "seed": [gan.seed_generator.state],
        **({"generator_ema": gan.generator_ema.weights} if gan.generator_ema is not None else {}),
    }


def save_checkpoint(gan, path: Path, epoch: int, step: int) -> None:
    import keras

    arrays = {}
    for group, variables in _variable_groups(gan).items():
        for index, variable in enumerate(variables):
            arrays[f"{group}/{index:04d}"] = keras.ops.convert_to_numpy(variable.value)
    meta = {"format": CHECKPOINT_FORMAT, "epoch": epoch, "step": step, "saved": time.time()}
    arrays["meta"] = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)
    tmp = path.with_name(path.stem + ".tmp.npz")
    np.savez(tmp, **arrays)
    tmp.replace(path)  # atomic: a kill -9 leaves the previous checkpoint intact


def load_checkpoint(gan, path: Path) -> dict:
    """Restore every variable saved by save_checkpoint; returns its meta ({"epoch", "step", ...})."""
    with np.load(path, allow_pickle=False) as data:
        meta = json.loads(bytes(data["meta"]).decode())
        for group, variables in _variable_groups(gan).items():
            for index, variable in enumerate(variables):
                variable.assign(data[f"{group}/{index:04d}"])
    return meta


def load_generator_weights(generator, path: Path) -> None:
    """The generator that was shown and saved (its moving average, if the run kept one) from a full
    checkpoint: the explorer's 'any kept epoch'."""
    with np.load(path, allow_pickle=False) as data:
        group = "generator_ema" if "generator_ema/0000" in data.files else "generator"
        for index, variable in enumerate(generator.weights):
            variable.assign(data[f"{group}/{index:04d}"])


# --- atomic files --------------------------------------------------------------------------------------------

def atomic_write_bytes(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    tmp.replace(path)


def atomic_write_text(path: Path, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


def read_json(path: Path):
    """The JSON in `path`, or None when it is missing or unreadable."""
    try:
        return json.loads(Path(path).read_text())
    except (OSError, json.JSONDecodeError):
        return None


def _link_or_copy(source: Path, target: Path) -> None:
    tmp = target.with_name(target.stem + ".tmp.npz")
    tmp.unlink(missing_ok=True)
    try:
        tmp.hardlink_to(source)
    except OSError:
        tmp.write_bytes(source.read_bytes())
    tmp.replace(target)
