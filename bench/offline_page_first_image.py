"""Offline page: the time from opening each bundled generator's take-home page (gan_core.explore.export.offline_page)
to its first image, in headless Chromium, from disk, with every request that is not a file refused.

The page times itself (`document.body.dataset.firstImageMs`, from its first script to the first grid drawn: most
of it onnxruntime-web compiling its WebAssembly). Prints, per generator: the page's size, the first image's time
over `--opens` fresh openings (each a new browser context, nothing cached), and the load average, which the number
follows on a shared machine. `python bench/offline_page_first_image.py [--opens 3]`
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.app_server import CHROMIUM_FLAGS  # noqa: E402
from bench.common import header  # noqa: E402
from gan_core.explore.export import offline_page, onnx_bytes  # noqa: E402
from gan_core.explore.generators import Generator  # noqa: E402
from gan_core.explore.latent import principal_directions  # noqa: E402
from gan_core.training.pretrained import bundled_generators  # noqa: E402

DIRECTIONS = 6  # as the app's page (gan_ui.take_home.DIRECTIONS)


def first_image_ms(browser, path: Path, timeout_s: float = 120) -> int:
    """One opening of the page at `path` in a fresh context, the network refused: its own first-image time (ms)."""
    context = browser.new_context()
    try:
        context.route("**/*", lambda route: route.continue_() if route.request.url.startswith("file:")
                      else route.abort())
        page = context.new_page()
        page.goto(path.as_uri())
        deadline = time.monotonic() + timeout_s
        while page.evaluate("() => document.body.dataset.ready") == "0":
            if time.monotonic() > deadline:
                raise TimeoutError(f"{path.name} did not start in {timeout_s} s")
            page.wait_for_timeout(50)
        if page.evaluate("() => document.body.dataset.ready") != "1":
            raise RuntimeError(page.evaluate("() => document.getElementById('status').textContent"))
        return int(page.evaluate("() => Number(document.body.dataset.firstImageMs)"))
    finally:
        context.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--opens", type=int, default=3, help="fresh openings of each page")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    header("Offline page: first image after opening it from disk (headless Chromium, network refused)")
    folder = Path(tempfile.mkdtemp(prefix="offline-page-"))
    try:
        pages = {}
        for bundled in bundled_generators():
            handle = Generator.load(bundled.path)
            data = offline_page(handle, principal_directions(handle, DIRECTIONS), "en", onnx_bytes(handle, folder))
            pages[bundled.name] = folder / f"{bundled.name}.html"
            pages[bundled.name].write_bytes(data)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=shutil.which("chromium"), args=CHROMIUM_FLAGS)
            try:
                print(f"{'generator':<16} {'page MB':>8} {'first image ms (each opening)':>32} {'load':>6}")
                for name, path in pages.items():
                    times = [first_image_ms(browser, path) for _ in range(args.opens)]
                    print(f"{name:<16} {path.stat().st_size / 1e6:>8.1f} {', '.join(map(str, times)):>32} "
                          f"{os.getloadavg()[0]:>6.1f}", flush=True)
            finally:
                browser.close()
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
