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
