"""A session's own photo datasets on disk: each upload decoded once, kept as <id>.npz (what load_dataset reads
back) beside <id>.json (its name, size and what the upload skipped), in the session's "datasets" folder.

The UI (gan_ui.state) names the folder and checks the session's quota first; nothing here knows about sessions."""

from __future__ import annotations

import json
import re
import uuid
from pathlib import Path

from .datasets import Dataset, save_dataset

DATASET_ID_RE = re.compile(r"[0-9a-f]{16}")
FOLDER = "datasets"  # inside a session's folder


def save(folder: Path, dataset: Dataset, display_name: str, skipped=(), skipped_total: int = 0) -> str:
    """Store decoded photos with the files the upload skipped and why ((name, reason key) pairs, the first ones;
    `skipped_total` of them in all), so the report stays with its set; returns the new set's id."""
    folder.mkdir(parents=True, exist_ok=True)
    dataset_id = uuid.uuid4().hex[:16]
    save_dataset(dataset, folder / f"{dataset_id}.npz")
    meta = {"name": display_name[:80], "count": int(len(dataset.images)), "size": int(dataset.images.shape[1]),
            "class_names": list(dataset.class_names or []),
            "skipped": [[str(name), str(reason)] for name, reason in skipped],
            "skipped_total": max(int(skipped_total), len(skipped))}
    (folder / f"{dataset_id}.json").write_text(json.dumps(meta))
    return dataset_id


def listing(folder: Path) -> dict[str, dict]:
    """dataset id -> its metadata, for every complete set in `folder` (newest last)."""
    found = {}
    if folder.is_dir():
        for meta_path in sorted(folder.glob("*.json"), key=lambda p: p.stat().st_mtime):
            if DATASET_ID_RE.fullmatch(meta_path.stem) and (folder / f"{meta_path.stem}.npz").is_file():
                found[meta_path.stem] = json.loads(meta_path.read_text())
    return found


def path(folder: Path, dataset_id: str) -> Path | None:
    """A set's .npz, or None for an id that is not one (never a path outside `folder`) or a set that is gone."""
    if not isinstance(dataset_id, str) or not DATASET_ID_RE.fullmatch(dataset_id):
        return None
    found = folder / f"{dataset_id}.npz"
    return found if found.is_file() else None


def delete(folder: Path, dataset_id: str) -> None:
    found = path(folder, dataset_id)
    if found is not None:
        found.unlink(missing_ok=True)
        found.with_suffix(".json").unlink(missing_ok=True)
