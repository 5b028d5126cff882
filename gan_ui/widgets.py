"""Small pieces several pages share: dataset and class names in words, state badges, durations, run labels."""

from __future__ import annotations

import math
import time
from collections import Counter
from pathlib import Path

import streamlit as st

from gan_core import RunSnapshot, RunState
from gan_core.i18n import TEXTS, tr
from gan_core.server.classroom import BUILTIN_CHOICES
from gan_core.training.pretrained import bundled_generators
from gan_core.training.run_folder import NETWORKS_FILE
from gan_ui import state

STATE_COLOURS = {RunState.QUEUED: "gray", RunState.RUNNING: "blue", RunState.PAUSED: "orange",
                 RunState.FINISHED: "green", RunState.STOPPED: "violet", RunState.FAILED: "red"}


def class_label(name: str, lang: str) -> str:
    """A dataset's class name in `lang` (the engine keeps them in English); unknown names as they are."""
    return tr(f"class.{name}", lang) if f"class.{name}" in TEXTS else name


def dataset_choices() -> list[str]:
    """What the train page offers: the built-in sets, then this session's uploads as "upload:<id>"."""
    return list(BUILTIN_CHOICES) + [state.UPLOAD_PREFIX + dataset_id for dataset_id in state.session_datasets()]


def bundled_sources() -> list[str]:
    """The bundled generators a run may start from ("pretrained/<name>"): those kept with both networks."""
    return [f"pretrained/{bundled.name}" for bundled in bundled_generators()
            if (bundled.directory / NETWORKS_FILE).is_file()]


def dataset_label(choice: str, lang: str) -> str:
    """Words for a dataset choice or a config's dataset field (built-in name, upload choice or upload .npz path)."""
    base, _, animal = choice.partition(":")
    if base in ("mnist", "fashion_mnist", "cifar_animals") and not animal:
        return tr(f"dataset.{base}", lang)
    if base == "cifar_animals":
        return tr("dataset.cifar_class", lang, animal=class_label(animal, lang))
    uploads = state.session_datasets()
    dataset_id = choice[len(state.UPLOAD_PREFIX):] if choice.startswith(state.UPLOAD_PREFIX) else Path(choice).stem
    if dataset_id in uploads:
        meta = uploads[dataset_id]
        return tr("dataset.upload", lang, name=meta["name"], count=meta["count"], size=meta["size"])
    return tr("dataset.upload_short", lang, name=Path(choice).stem)


def state_badge(run_state: RunState, lang: str) -> None:
    st.badge(tr(f"state.{run_state.value}", lang), color=STATE_COLOURS[run_state])


def duration(seconds: float | None) -> str:
    """m:ss or h:mm:ss; the same in every language."""
    if seconds is None:
        return "–"
    seconds = max(0, int(round(seconds)))  # the engine's ETA dips below 0 at the very end of a run
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def epoch_under_way(snap: RunSnapshot) -> int | None:
    """The epoch being trained (counted from 1) while a run is active and its epochs have begun; else None."""
    if snap.active and snap.steps_per_epoch and snap.epoch < snap.total_epochs:
        return snap.epoch + 1
    return None


def epoch_count(snap: RunSnapshot) -> str:
    """The epoch counter, as the Train page's progress line says it: the epoch under way out of the one the run will
    end after ("≈" when its time budget, at the speed so far, decides that) while it trains; the epochs done out of
    its epochs once it has ended."""
    current = epoch_under_way(snap)
    if current is None:
        return f"{snap.epoch} / {snap.total_epochs}"
    if snap.ends_by_time:
        return f"{current} / ≈{snap.end_epoch}"
    return f"{current} / {snap.total_epochs}"


def run_summary(snap: RunSnapshot, lang: str) -> str:
    config = snap.config
    return tr("runs.summary", lang, preset=config["preset"], dataset=dataset_label(config["dataset"], lang),
              epoch=snap.epoch, total=snap.total_epochs, loss=tr(f"loss.{config['loss']}", lang))


def run_created(run_id: str) -> str:
    """The creation time encoded in a run id (YYYYmmdd-HHMMSS-...), as YYYY-mm-dd HH:MM:SS."""
    stamp = time.strptime(run_id[:15], "%Y%m%d-%H%M%S")
    return time.strftime("%Y-%m-%d %H:%M:%S", stamp)


def run_option_label(snap: RunSnapshot, lang: str) -> str:
    """A short, unique label for pickers: time, recipe, data and state."""
    return (f"{run_created(snap.run_id)} · {snap.config['preset']} · {dataset_label(snap.config['dataset'], lang)}"
            f" · {tr(f'state.{snap.state.value}', lang)}")


def newest_grid(run, snap: RunSnapshot) -> Path | None:
    if not snap.grid_epochs:
        return None
    path = run.grid_path(snap.grid_epochs[-1])
    return path if path.is_file() else None


def upload_limit_mb(limit_bytes: int) -> int:
    """An uploader's max_upload_size for a limit in bytes. Without one Streamlit lets the browser send up to
    server.maxUploadSize (300 MB here) to any uploader, and the server holds it in memory. Streamlit counts whole
    megabytes of 2**20 bytes, at least 1: the smallest figure that still lets through every file the server's own
    check accepts (that check refuses anything past limit_bytes, with a message in the person's language)."""
    return max(1, math.ceil(limit_bytes / 2 ** 20))


def uploader_note(lang: str, per_file_mb: int, total_mb: int | None = None) -> None:
    """Streamlit's upload box speaks English whatever the page's language ("Drag and drop files here", "Browse
    files", "Limit N MB per file") and cannot be translated: say what it means, and the true limits, in `lang`."""
    text = tr("upload.note", lang, per_file=per_file_mb)
    if total_mb is not None:
        text += " " + tr("upload.note_total", lang, total=total_mb)
    st.caption(text)


def distinct(labels: dict[str, str]) -> dict[str, str]:
    """A selectbox tells its options apart by their text: options with the same text get the end of their id."""
    seen = Counter(labels.values())
    return {choice: f"{label} · {choice[-6:]}" if seen[label] > 1 else label for choice, label in labels.items()}
