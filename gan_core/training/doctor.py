"""The device check a teacher can read (`python -m gan_core doctor`, the teacher view's button): which framework and
device will train, whether a compiled (XLA) step works here, and how many images per second one short real step
makes for one preset of each family."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from ..i18n import tr
from . import device

# One preset per family, on the built-in dataset it trains on (fast-rgb: the colour animals at 32 px).
FAMILIES = (("mlp", "mnist"), ("dcgan-tf", "mnist"), ("cgan", "mnist"), ("fast", "mnist"),
            ("fast-rgb", "cifar_animals"))
CHECK_PRESET = "mlp"  # the compiled-step check: the smallest real GAN, so compiling it takes seconds


@dataclass(frozen=True)
class Rate:
    """Images per second of `batches` timed steps of `preset` (after one warm-up step), batch as in its recipe."""
    preset: str
    dataset: str
    batch_size: int
    batches: int
    images_per_sec: float
    compiled: bool  # the timed steps ran with XLA


@dataclass
class Report:
    backend: str
    device: str
    compile_mode: str  # GAN_COMPILE
    compiled_works: bool | None  # a compiled step ran; None: not checked
    compile_error: str | None
    rates: list[Rate] = field(default_factory=list)

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> "Report":
        fields = json.loads(text)
        return cls(**{**fields, "rates": [Rate(**rate) for rate in fields["rates"]]})


def build_for_check(preset: str, dataset_name: str, max_images: int, batch_size: int | None = None,
                    jit_compile=None):
    """(GAN, batches) for `preset` on the first `max_images` of `dataset_name`, as the trainer builds them; a
    self-conditioned preset gets round-robin groups instead of k-means (same networks, no clustering cost)."""
    from ..data.datasets import load_dataset
    from .config import recipe
    from .gan import make_optimizer
    from .presets import get_preset
    from .trainer import build_gan, make_tf_dataset

    config = recipe(preset, dataset=dataset_name, max_images=max_images)
    if batch_size:
        config.batch_size = batch_size
    dataset = load_dataset(dataset_name).subset(max_images)
    config.batch_size = min(config.batch_size, len(dataset.images))
    groups = bounds = None
    if config.clusters:
        from .clusters import latent_bounds

        groups = (np.arange(len(dataset.images)) % min(config.clusters, len(dataset.images))).astype(np.int32)
        bounds = latent_bounds(groups)
    gan = build_gan(config, dataset.shape, dataset.num_classes, bounds)
    if jit_compile is not None:  # recompile with this setting, fresh optimizers (build_gan's are already built)
        gan.compile(make_optimizer(config.generator_optimizer), make_optimizer(config.discriminator_optimizer),
                    jit_compile=jit_compile)
        gan.g_optimizer.build(gan.generator.trainable_variables)
        gan.d_optimizer.build(gan.discriminator.trainable_variables)
    batches = make_tf_dataset(dataset, config, get_preset(preset).conditional, groups).repeat()
    return gan, batches, config.batch_size


def images_per_second(preset: str, dataset_name: str, batches: int = 3, max_images: int = 512,
                      batch_size: int | None = None) -> Rate:
    """One warm-up step (tracing, compiling), then `batches` steps timed."""
    gan, data, batch = build_for_check(preset, dataset_name, max_images, batch_size)
    gan.fit(data, epochs=1, steps_per_epoch=1, verbose=0, shuffle=False)
    started = time.perf_counter()
    gan.fit(data, epochs=1, steps_per_epoch=batches, verbose=0, shuffle=False)
    seconds = time.perf_counter() - started
    return Rate(preset, dataset_name, batch, batches, batches * batch / seconds, bool(gan.jit_compile))


def compiled_step_works() -> tuple[bool, str | None]:
    """One real step of the smallest GAN with XLA forced on: (it ran compiled, why not)."""
    gan, data, _ = build_for_check(CHECK_PRESET, "mnist", 64, batch_size=16, jit_compile=True)
    if not gan.jit_compile:  # keras refused it for this model or backend
        return False, "jit_compile unsupported"
    gan.fit(data, epochs=1, steps_per_epoch=1, verbose=0, shuffle=False)
    return gan.compile_fallback is None, gan.compile_fallback


def check(batches: int = 3, max_images: int = 512, families=FAMILIES, check_compiled: bool = True) -> Report:
    """The whole check: a few seconds per family on a CPU."""
    device.configure()
    works, error = compiled_step_works() if check_compiled else (None, None)
    report = Report(device.backend_description(), device.description(), device.compile_mode(), works, error)
    for preset, dataset_name in families:
        report.rates.append(images_per_second(preset, dataset_name, batches, max_images))
    return report


def describe(report: Report, lang: str) -> list[str]:
    """The report as lines in the reader's language."""
    lines = [tr("doctor.backend", lang, backend=report.backend),
             tr("doctor.device", lang, device=report.device),
             tr("doctor.mode", lang, mode=report.compile_mode)]
    if report.compiled_works is True:
        lines.append(tr("doctor.compiled_ok", lang))
    elif report.compiled_works is False:
        lines.append(tr("doctor.compiled_failed", lang, error=report.compile_error or "?"))
    lines.append(tr("doctor.rates", lang))
    for rate in report.rates:
        step = tr("doctor.step_compiled" if rate.compiled else "doctor.step_eager", lang)
        lines.append(f"  {rate.preset:10s} {rate.dataset:14s} batch {rate.batch_size:<4d} "
                     f"{rate.images_per_sec:8.0f} img/s  ({step})")
    return lines


def table(report: Report, lang: str) -> list[dict]:
    """The rates as rows with headers in the reader's language (the teacher view's table)."""
    step = {True: tr("doctor.step_compiled", lang), False: tr("doctor.step_eager", lang)}
    return [{tr("doctor.col.recipe", lang): r.preset, tr("doctor.col.dataset", lang): r.dataset,
             tr("doctor.col.batch", lang): r.batch_size, tr("doctor.col.rate", lang): round(r.images_per_sec),
             tr("doctor.col.step", lang): step[r.compiled]} for r in report.rates]


# --- training slots per GPU, from a measurement ------------------------------------------------------------------
# These models are small: one run does not fill a GPU. The number of runs that train at once (the server's slots)
# comes from a measurement: a short real step of 1, 2, 4 runs at once (threads of one process, as the training
# worker holds its jobs), images/s per run and all together; the slots are where the total stops growing, or fewer
# where that many runs' memory would not fit on the card. `python -m gan_core doctor --slots` writes the answer to a
# small file the server reads at start (gan_core.server.scheduler.slots_and_reason); GAN_MAX_CONCURRENT overrides.
SLOT_COUNTS = (1, 2, 4)
SLOT_PRESET = ("fast", "mnist")  # the class's usual recipe
SLOT_BATCHES = 10  # timed steps of each run: enough that a step's time, not fit's set-up, is measured
SLOT_REPEATS = 2  # each count measured twice, the better kept: the process's first steps run cold, a busy CPU varies
GAIN = 1.10  # one more run at once must add 10% to the total images/s to be worth a slot
MEMORY_SHARE = 0.9  # of the card's memory the runs may use together (the rest: the runtime's own)
SLOTS_FILE_ENV = "GAN_SLOTS_FILE"
SLOTS_FILE_NAME = ".slots.json"  # in the sessions folder, beside the server's other files


@dataclass(frozen=True)
class Concurrent:
    """`runs` runs stepping at once: images/s of all of them together and of each; peak device memory per run in MB
    where the backend reports it (a GPU's), else None."""
    runs: int
    images_per_sec: float
    per_run: float
    memory_mb: float | None


@dataclass
class SlotAdvice:
    slots: int  # per GPU on a GPU machine, else for the machine
    reason: str  # "flat" (the total stopped growing), "growing" (still growing at the most measured), "memory"
    per_gpu: bool
    table: list[Concurrent]
    card_memory_mb: float | None = None

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_dict(cls, fields: dict) -> "SlotAdvice":
        return cls(**{**fields, "table": [Concurrent(**row) for row in fields["table"]]})


def choose_slots(table: list[Concurrent], card_memory_mb: float | None = None, per_gpu: bool = False) -> SlotAdvice:
    """The rule: the most runs at once while each step up in the table adds GAIN to the total images/s; then no more
    than the card's memory (MEMORY_SHARE of it) holds at the measured memory per run."""
    rows = sorted(table, key=lambda row: row.runs)
    best, reason = rows[0], "growing"
    for row in rows[1:]:
        if row.images_per_sec < best.images_per_sec * GAIN:
            reason = "flat"
            break
        best = row
    slots = best.runs
    if card_memory_mb and best.memory_mb:
        fits = int(card_memory_mb * MEMORY_SHARE // best.memory_mb)
        if fits < slots:
            slots, reason = max(1, fits), "memory"
    return SlotAdvice(slots, reason, per_gpu, rows, card_memory_mb)


def concurrent_rate(runs: int, batches: int = SLOT_BATCHES, max_images: int = 512,
                    preset_and_dataset=SLOT_PRESET) -> Concurrent:
    """`runs` GANs built and warmed up (two steps each: tracing, compiling), then `batches` steps of each at once,
    each in its own thread; images/s from the first timed step's start to the last one's end (fit's own set-up
    left out: with few steps it would dominate)."""
    import keras

    class StepClock(keras.callbacks.Callback):
        began = ended = None

        def on_train_batch_begin(self, batch, logs=None):
            if self.began is None:
                self.began = time.perf_counter()

        def on_train_batch_end(self, batch, logs=None):
            self.ended = time.perf_counter()

    preset, dataset_name = preset_and_dataset
    built = [build_for_check(preset, dataset_name, max_images) for _ in range(runs)]
    for gan, data, _ in built:
        gan.fit(data, epochs=1, steps_per_epoch=2, verbose=0, shuffle=False)
    _reset_peak_memory()
    clocks = [StepClock() for _ in range(runs)]
    start = threading.Barrier(runs)

    def train(index: int) -> None:
        gan, data, _ = built[index]
        start.wait()
        gan.fit(data, epochs=1, steps_per_epoch=batches, verbose=0, shuffle=False, callbacks=[clocks[index]])

    threads = [threading.Thread(target=train, args=(index,), name=f"slots-{index}") for index in range(runs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = max(clock.ended for clock in clocks) - min(clock.began for clock in clocks)
    total = runs * batches * built[0][2] / max(seconds, 1e-9)
    peak = _peak_memory_mb()
    return Concurrent(runs, total, total / runs, None if peak is None else peak / runs)


def measure_slots(counts=SLOT_COUNTS, batches: int = SLOT_BATCHES, max_images: int = 512) -> SlotAdvice:
    """The measurement on this machine's first GPU (or its CPU), the better of SLOT_REPEATS for each count, and the
    slots it gives."""
    info = device.configure()
    table = [max((concurrent_rate(runs, batches, max_images) for _ in range(SLOT_REPEATS)),
                 key=lambda row: row.images_per_sec) for runs in counts]
    return choose_slots(table, device.gpu_memory_mb() if info["gpus"] else None, per_gpu=bool(info["gpus"]))


def _reset_peak_memory() -> None:
    import keras

    backend = keras.backend.backend()
    try:
        if backend == "tensorflow":
            import tensorflow as tf

            if tf.config.list_logical_devices("GPU"):
                tf.config.experimental.reset_memory_stats("GPU:0")
        elif backend == "torch":
            import torch

            if torch.cuda.is_available():
                torch.cuda.reset_peak_memory_stats()
    except (RuntimeError, ValueError):
        pass


def _peak_memory_mb() -> float | None:
    """Peak memory on the first GPU since the last reset, in MB; None on a CPU (no backend reports it there)."""
    import keras

    backend = keras.backend.backend()
    try:
        if backend == "tensorflow":
            import tensorflow as tf

            if tf.config.list_logical_devices("GPU"):
                return tf.config.experimental.get_memory_info("GPU:0")["peak"] / 2**20
        elif backend == "jax":
            import jax

            gpus = [d for d in jax.devices() if d.platform == "gpu"]
            if gpus:
                return (gpus[0].memory_stats() or {}).get("peak_bytes_in_use", 0) / 2**20 or None
        elif backend == "torch":
            import torch

            if torch.cuda.is_available():
                return torch.cuda.max_memory_allocated() / 2**20
    except (RuntimeError, ValueError, KeyError):
        pass
    return None


def slots_file() -> Path:
    """Where the measurement is kept: GAN_SLOTS_FILE, else `.slots.json` in the sessions folder."""
    configured = os.environ.get(SLOTS_FILE_ENV)
    if configured:
        return Path(configured)
    return Path(os.environ.get("GAN_SESSIONS_DIR") or "sessions") / SLOTS_FILE_NAME


def save_slots(advice: SlotAdvice, path: Path | None = None) -> Path:
    """The advice, with the machine it was measured on (its GPUs, or its cores), for the server's next start."""
    path = path or slots_file()
    info = device.configure()
    record = {**asdict(advice), "gpus": info["gpus"], "cpu_count": os.cpu_count(), "measured_at": time.time(),
              "backend": device.backend_description()}
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(record, indent=1))
    tmp.replace(path)
    return path


def read_slots(gpus: list[str], path: Path | None = None) -> SlotAdvice | None:
    """The saved advice when it was measured on a machine like this one (the same GPUs, or no GPU and as many
    cores); None when there is none, it is unreadable, or it is another machine's."""
    path = path or slots_file()
    try:
        record = json.loads(path.read_text())
        same_machine = record["gpus"] == list(gpus) and (gpus or record["cpu_count"] == os.cpu_count())
        fields = {name: record[name] for name in ("slots", "reason", "per_gpu", "table", "card_memory_mb")}
        return SlotAdvice.from_dict(fields) if same_machine and int(fields["slots"]) >= 1 else None
    except (OSError, ValueError, KeyError, TypeError):
        return None


def describe_slots(advice: SlotAdvice, lang: str) -> list[str]:
    """The measurement and its answer, in the reader's language."""
    lines = [tr("doctor.slots.table", lang)]
    for row in advice.table:
        memory = f"  {row.memory_mb:8.0f} MB/run" if row.memory_mb else ""
        lines.append(f"  {row.runs} x {row.per_run:8.0f} img/s = {row.images_per_sec:8.0f} img/s{memory}")
    where = tr("doctor.slots.per_gpu" if advice.per_gpu else "doctor.slots.machine", lang)
    lines.append(tr(f"doctor.slots.{advice.reason}", lang, slots=advice.slots, where=where, gain=round((GAIN - 1) * 100),
                    most=max(row.runs for row in advice.table)))
    return lines


# What the teacher view's check runs: the whole check, as the CLI does (tests narrow it).
VIEW_ARGS = ("doctor",)


class BackgroundCheck:
    """The check in a subprocess (`python -m gan_core doctor --json`), one at a time: the server's own process keeps
    no models of it, and the page's script does not wait. `state()` is ("idle" | "running" | "done" | "failed",
    the Report or the error's last lines)."""

    def __init__(self):
        self._lock = threading.Lock()
        self._thread = None
        self._result = ("idle", None)

    def start(self) -> bool:
        """Start a check unless one is running; False if one was."""
        with self._lock:
            if self._thread is not None and self._thread.is_alive():
                return False
            self._result = ("running", None)
            self._thread = threading.Thread(target=self._run, name="gan-doctor", daemon=True)
            self._thread.start()
            return True

    def _run(self) -> None:
        command = [sys.executable, "-m", "gan_core", *VIEW_ARGS, "--json"]
        root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        done = subprocess.run(command, cwd=root, capture_output=True, text=True, env=os.environ.copy())
        with self._lock:
            if done.returncode == 0:
                self._result = ("done", Report.from_json(done.stdout.strip().splitlines()[-1]))
            else:
                self._result = ("failed", "\n".join(done.stderr.strip().splitlines()[-5:]))

    def state(self) -> tuple[str, object]:
        with self._lock:
            return self._result
