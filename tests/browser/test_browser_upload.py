"""In real headless Chromium: a zip of real bird photos (and one text file posing as a .jpg) uploaded through the
Data page's file input becomes a dataset with a preview grid, and the fake photo is listed as skipped, with why."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from PIL import Image

pytestmark = pytest.mark.browser
SERVER_TRAINS_IN = "thread"  # no test here trains a run: the server starts no worker process

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts"
BIRDS = REPO.parent / "shared" / "datasets" / "birds"
PHOTOS = 20


def _birds_zip() -> bytes:
    photos = sorted(BIRDS.glob("*.jpg"))[:PHOTOS]
    assert len(photos) == PHOTOS, f"the birds folder ({BIRDS}) is missing"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for photo in photos:
            archive.write(photo, f"birds/{photo.name}")
        archive.writestr("birds/field-notes.jpg", "Saw a flycatcher by the river at 7 am; no photo.\n")
    return buffer.getvalue()


def test_a_zip_of_photos_becomes_a_dataset_with_a_preview_and_a_skipped_list(app_url, browser):
    page = browser.new_page(viewport={"width": 1400, "height": 1400}, locale="es-ES")
    page.goto(f"{app_url}/data?lang=es")
    page.get_by_role("tab", name="Tus fotos").click()
    page.get_by_text("Aún no has subido fotos en esta sesión.").wait_for(timeout=60_000)
    create = page.get_by_role("button", name="Preparar el conjunto")
    assert create.is_disabled(), "nothing to prepare before a file is chosen"

    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(
        files=[{"name": "birds.zip", "mimeType": "application/zip", "buffer": _birds_zip()}])
    page.locator('[data-testid="stFileChip"]').filter(has_text="birds.zip").wait_for(timeout=30_000)
    page.wait_for_function("""() => {
        const b = [...document.querySelectorAll('button')].find(b => b.innerText.includes('Preparar el conjunto'));
        return b && !b.disabled;
    }""", timeout=30_000)
    create.click()

    page.get_by_text(f"Conjunto «mis fotos» listo: {PHOTOS} imágenes.").wait_for(timeout=90_000)
    # The dataset's card: its name, its summary and a preview grid of the decoded photos (8 a row: 3 rows).
    card = page.locator('[data-testid="stVerticalBlock"]').filter(
        has=page.get_by_role("button", name="Entrenar con este conjunto")).filter(has=page.locator("img")).last
    card.get_by_text(f"{PHOTOS} imágenes de 32×32 · sin clases").wait_for(timeout=30_000)
    preview = card.locator("img").first
    preview.wait_for(timeout=30_000)
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=preview.element_handle(),
                           timeout=30_000)
    grid = Image.open(io.BytesIO(page.request.get(preview.get_attribute("src")).body()))
    rows = round(8 * grid.height / grid.width)
    assert rows == 3, f"a {grid.size} preview is not 3 rows of 8 photos"
    assert len(set(grid.convert("L").getdata())) > 64, "the preview is blank, not photos"

    # The text file that pretended to be a photo is named, with the reason, and nothing else was skipped.
    page.get_by_text("Archivos omitidos (1)").click()
    cells = page.locator('[data-testid="stDataFrame"] [role="gridcell"]')  # the grid's accessible copy of its canvas
    cells.first.wait_for(state="attached", timeout=30_000)
    assert cells.all_text_contents() == ["field-notes.jpg", "no es una imagen"]

    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / "upload_es.png")
    page.close()
