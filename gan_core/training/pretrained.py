"""The generators bundled in pretrained/: each a folder with generator.keras, card.json and sample.png."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

PRETRAINED_DIR = Path(__file__).resolve().parents[2] / "pretrained"


def pretrained_dir() -> Path:
    """$GAN_PRETRAINED_DIR, else the project's pretrained/."""
    return Path(os.environ.get("GAN_PRETRAINED_DIR") or PRETRAINED_DIR)


@dataclass(frozen=True)
class BundledGenerator:
    name: str
    directory: Path
    card: dict

    @property
    def path(self) -> Path:
        return self.directory / "generator.keras"


def bundled_generators(root: Path | None = None) -> list[BundledGenerator]:
    """Every complete folder under pretrained/, in name order."""
    root = Path(root) if root is not None else pretrained_dir()
    found = []
    for folder in sorted(Path(root).iterdir()) if Path(root).is_dir() else []:
        if (folder / "generator.keras").is_file():
            card_path = folder / "card.json"
            card = json.loads(card_path.read_text()) if card_path.is_file() else {}
            found.append(BundledGenerator(folder.name, folder, card))
    return found
