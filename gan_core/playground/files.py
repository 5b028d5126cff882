"""Saving a 2-D playground experiment as one zip (G and D as .keras files and a JSON card) and reading one back
through the same checks as any uploaded model.

The card says what the networks were trained on and how (the PlaygroundConfig: data, architecture, loss,
optimizers, learning rates), the step reached, and the drawn or uploaded points when the data is a drawing. The
.keras files carry the weights. Reading builds nothing from the upload but the weights: the card's architecture
is rebuilt by our own code, and the files' weights must have exactly its shapes. Every scratch file lives in the
session's own folder and is gone when the call returns.
"""

from __future__ import annotations

import dataclasses
import io
import json
import math
import time
import uuid
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..i18n import GanError
from .config import BOX, POINTS, PlaygroundConfig
from .data import MAX_POINTS, MIN_POINTS

FORMAT = "aula-gan-playground"
FORMAT_VERSION = 1
CARD, GENERATOR, DISCRIMINATOR = "card.json", "generator.keras", "discriminator.keras"
MEMBERS = (CARD, GENERATOR, DISCRIMINATOR)
# The largest MLPs the page offers (4 hidden layers of 128 units) weigh about 0.2 MB each as .keras files, and a
# card with 5000 drawn points about 0.2 MB: these limits leave room and nothing more.
MAX_SAVED_BYTES = 5_000_000
MAX_CARD_BYTES = 500_000
MAX_MODEL_MEMBER_BYTES = 2_000_000
MAX_MEMBER_RATIO = 200  # unpacked / packed per member: .keras files and JSON compress far less than this
SCRATCH = "playground"  # the session folder's sub-folder for scratch files


@dataclass
class SavedExperiment:
    """What a saved experiment restores: the settings, the points (drawn data only), the step, the weights."""

    config: PlaygroundConfig
    points: np.ndarray | None
    step: int
    generator_weights: list
    discriminator_weights: list


def mlp_weight_shapes(inputs: int, outputs: int, layers: int, width: int) -> list[tuple[int, ...]]:
    """The weight shapes of experiment.build_mlp, kernel then bias per Dense layer."""
    shapes, previous = [], inputs
    for _ in range(layers):
        shapes += [(previous, width), (width,)]
        previous = width
    return shapes + [(previous, outputs), (outputs,)]


def network_shapes(config: PlaygroundConfig) -> dict[str, list[tuple[int, ...]]]:
    return {GENERATOR: mlp_weight_shapes(config.noise_dim, 2, config.g_layers, config.g_width),
            DISCRIMINATOR: mlp_weight_shapes(2, 1, config.d_layers, config.d_width)}


def experiment_card(config: PlaygroundConfig, step: int, points: np.ndarray | None, js: float | None = None) -> dict:
    import keras

    settings = config.to_dict()
    return {
        "format": FORMAT, "version": FORMAT_VERSION, "saved": time.strftime("%Y-%m-%d %H:%M:%S"),
        "keras": keras.__version__, "step": int(step), "js_bits": None if js is None or not math.isfinite(js) else js,
        "config": settings,
        "generator": {"inputs": config.noise_dim, "noise": config.noise, "hidden_layers": config.g_layers,
                      "width": config.g_width, "activation": config.activation, "outputs": 2},
        "discriminator": {"inputs": 2, "hidden_layers": config.d_layers, "width": config.d_width,
                          "activation": config.activation, "outputs": 1},
        "points": None if points is None or settings["data"] != POINTS else np.round(points, 5).tolist(),
    }


def pack_experiment(generator, discriminator, card: dict, scratch_root: Path) -> bytes:
    """The zip a class downloads. Keras saves to a file, so each model passes through a scratch file in the
    session's folder, removed at once."""
    folder = Path(scratch_root) / SCRATCH
    folder.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(CARD, json.dumps(card, indent=2))
        for name, model in ((GENERATOR, generator), (DISCRIMINATOR, discriminator)):
            path = folder / f"export-{uuid.uuid4().hex[:12]}-{name}"
            try:
                model.save(path)
                archive.writestr(name, path.read_bytes())
            finally:
                path.unlink(missing_ok=True)
    _remove_if_empty(folder)
    return buffer.getvalue()


def read_experiment(data: bytes, session_dir: Path, quota_bytes: int | None = None) -> SavedExperiment:
    """Check and read a saved experiment. Raises GanError, and leaves nothing behind, for anything wrong: not a
    zip, other members, sizes, a card that is not ours or not valid, a model that fails the model checks
    (gan_core.explore.generators: members, class allow-list, safe_mode, the memory- and time-limited child build) or whose weights do
    not have the card's shapes."""
    from ..data.datasets import UploadBudget, open_zip
    from ..server import housekeeping

    if len(data) > MAX_SAVED_BYTES:
        raise GanError("playground.saved_too_big", size_kb=math.ceil(len(data) / 1000),
                       limit_kb=MAX_SAVED_BYTES // 1000)
    try:
        with open_zip(io.BytesIO(data), UploadBudget()) as archive:
            members = _read_members(archive)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, RuntimeError, NotImplementedError,
            ValueError):
        raise GanError("playground.saved_not_zip") from None
    config, points, step = _read_card(members[CARD])
    shapes = network_shapes(config)
    housekeeping.check_quota(session_dir, len(members[GENERATOR]) + len(members[DISCRIMINATOR]),
                             housekeeping.DEFAULT_QUOTA_BYTES if quota_bytes is None else quota_bytes)
    weights = _checked_weights({name: members[name] for name in (GENERATOR, DISCRIMINATOR)}, shapes, Path(session_dir))
    return SavedExperiment(config, points, step, weights[GENERATOR], weights[DISCRIMINATOR])


def _read_members(archive: zipfile.ZipFile) -> dict[str, bytes]:
    infos = archive.infolist()
    names = sorted(info.filename for info in infos)
    if names != sorted(MEMBERS):
        raise GanError("playground.saved_members", found=", ".join(names[:6]) or "-", expected=", ".join(MEMBERS))
    members = {}
    for info in infos:
        limit = MAX_CARD_BYTES if info.filename == CARD else MAX_MODEL_MEMBER_BYTES
        if info.file_size > limit or (info.compress_size and info.file_size / info.compress_size > MAX_MEMBER_RATIO):
            raise GanError("error.upload_bomb")
        chunks, total = [], 0
        with archive.open(info) as member:  # counted as read: a lying header cannot make us read more
            while chunk := member.read(1 << 16):
                total += len(chunk)
                if total > info.file_size:
                    raise GanError("error.upload_bomb")
                chunks.append(chunk)
        members[info.filename] = b"".join(chunks)
    return members


def _read_card(raw: bytes):
    """(PlaygroundConfig, points or None, step) from the card, every field checked."""
    try:
        card = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise GanError("playground.saved_card", reason="JSON") from None
    if not isinstance(card, dict) or card.get("format") != FORMAT:
        raise GanError("playground.saved_card", reason="format")
    if card.get("version") != FORMAT_VERSION:
        raise GanError("playground.saved_card", reason=f"version {str(card.get('version'))[:20]}")
    settings = card.get("config")
    fields = {field.name for field in dataclasses.fields(PlaygroundConfig)}
    if not isinstance(settings, dict) or set(settings) - fields:
        raise GanError("playground.saved_card", reason="config")
    try:
        config = PlaygroundConfig(**settings)
    except TypeError:
        raise GanError("playground.saved_card", reason="config") from None
    config.validate()  # a bad value is its own GanError, naming the field
    step = card.get("step")
    if not isinstance(step, int) or isinstance(step, bool) or not 0 <= step <= 10**9:
        raise GanError("playground.saved_card", reason="step")
    points = None
    if config.data == POINTS:
        try:
            points = np.asarray(card.get("points"), dtype=np.float32)
        except (TypeError, ValueError):
            raise GanError("playground.saved_card", reason="points") from None
        if points.ndim != 2 or points.shape[1] != 2 or not MIN_POINTS <= len(points) <= MAX_POINTS \
                or not np.isfinite(points).all() or np.abs(points).max() > BOX:
            raise GanError("playground.saved_card", reason="points")
    return config, points, step


def _checked_weights(files: dict[str, bytes], shapes: dict[str, list], session_dir: Path) -> dict[str, list]:
    """The weights of the .keras members, after the generator checks (both models in one child) on scratch copies in
    the session's folder, removed before returning."""
    from ..explore.generators import check_in_child, check_keras_archive, load_vector_model

    folder = session_dir / SCRATCH
    folder.mkdir(parents=True, exist_ok=True)
    paths = {name: folder / f"check-{uuid.uuid4().hex[:12]}-{name}" for name in files}
    widths = {name: (shapes[name][0][0], shapes[name][-1][0]) for name in files}
    try:
        for name, data in files.items():
            paths[name].write_bytes(data)
            check_keras_archive(paths[name])  # members, classes and declared size: cheap, before any process starts
        (first, *rest) = files
        check_in_child(paths[first], widths[first], others=tuple((paths[name], widths[name]) for name in rest))
        weights = {name: [np.asarray(w) for w in load_vector_model(paths[name], *widths[name]).get_weights()]
                   for name in files}
    finally:
        for path in paths.values():
            path.unlink(missing_ok=True)
        _remove_if_empty(folder)
    for name, found in weights.items():
        if [tuple(w.shape) for w in found] != [tuple(s) for s in shapes[name]] \
                or not all(np.isfinite(w).all() for w in found):
            raise GanError("playground.saved_mismatch", network=name)
    return weights


def _remove_if_empty(folder: Path) -> None:
    try:
        folder.rmdir()
    except OSError:
        pass  # not empty (another export or check under way) or already gone


def export_experiment(playground, scratch_root) -> bytes:
    """The playground's experiment as it is now, as the zip pack_experiment makes (scratch files under
    `scratch_root`, the session's folder)."""
    def write(generator, discriminator, config, step, points, js):
        return pack_experiment(generator, discriminator, experiment_card(config, step, points, js), scratch_root)

    return playground.export(write)
