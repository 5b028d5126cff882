"""The explorer's live image as Chromium shows it (gan_ui/live_latent.js draws it on a canvas in the page): how many
pictures it drew, waiting for the next one, and its pixels."""

from __future__ import annotations

import numpy as np

LIVE = ".aula-live"


def painted(page) -> int:
    """How many pictures the live image now on the page has drawn (its data-painted counter)."""
    return int(page.get_attribute(LIVE, "data-painted") or 0)


def build(page) -> str:
    """Which generator and start point the live image on the page shows ("bundled:mnist:0": key and version)."""
    return page.get_attribute(LIVE, "data-build") or ""


def wait_drawn(page, build_name: str | None = None, more_than: int = 0, timeout_ms: float = 120_000) -> None:
    """Wait until the live image (of `build_name`, if given) has drawn more than `more_than` pictures and is not
    drawing: the picture on the canvas is the sliders' newest point."""
    page.wait_for_function(
        """([build, painted]) => { const live = document.querySelector('.aula-live');
            return live && (build === null || live.dataset.build === build)
                && Number(live.dataset.painted) > painted && !live.dataset.drawing; }""",
        arg=[build_name, more_than], timeout=timeout_ms)


def pixels(page) -> np.ndarray:
    """The live picture as the browser drew it: its canvas' pixels (height, width, RGB)."""
    width, height, data = page.evaluate("""() => {
        const canvas = document.querySelector('.aula-live canvas');
        const pixels = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height);
        return [canvas.width, canvas.height, Array.from(pixels.data)];
    }""")
    return np.asarray(data, np.uint8).reshape(height, width, 4)[..., :3]


def picture(page) -> str:
    """The live picture, as text to compare (what the student sees)."""
    return pixels(page).tobytes().hex()
