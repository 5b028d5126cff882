"""In real headless Chromium: the 2-D playground trains and its heatmap and points change live, without a reload."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from app_support import wait_until
from PIL import Image

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts"
DOCS_SCREENSHOT = REPO / "docs" / "screenshots" / "playground_es.png"
UPDATE_DOCS = bool(os.environ.get("GAN_UPDATE_SCREENSHOTS"))
# The plane's heatmap and fake points as the browser holds them (plotly's own parsed data), and the step shown.
PLANE = """() => {
    const plots = [...document.querySelectorAll('.js-plotly-plot')];
    const plane = plots.find(p => p._fullData && p._fullData.some(t => t.type === 'heatmap'));
    if (!plane) return null;
    const heat = plane._fullData.find(t => t.type === 'heatmap');
    const fake = plane._fullData.find(t => t.name === 'falsos (G)');
    const metric = [...document.querySelectorAll('[data-testid="stMetric"]')]
        .find(m => m.innerText.startsWith('Paso'));
    return {
        heat: Array.from(heat.z, row => Array.from(row, Number).map(v => v.toFixed(3)).join(',')).join(';'),
        fake: fake ? Array.from(fake.x, Number).slice(0, 50).map(v => v.toFixed(3)).join(',') : '',
        step: metric ? parseInt(metric.innerText.split('\\n').pop(), 10) : -1,
    };
}"""



def test_the_playground_heatmap_and_points_change_live_without_a_reload(app_url, browser):
    page = browser.new_page(viewport={"width": 1500, "height": 1500}, locale="es-ES")
    page.goto(f"{app_url}/playground")
    play = page.get_by_role("button", name="Entrenar", exact=True)
    play.wait_for(timeout=90_000)
    before = wait_until(lambda: (v := page.evaluate(PLANE)) and v["heat"] and v["fake"] and v, 90, "the plane", interval=0.1)
    assert before["step"] == 0
    page.evaluate("window.__notReloaded = true")  # gone if the page ever reloads

    play.click()
    changed = wait_until(lambda: (v := page.evaluate(PLANE)) and v["step"] > 0 and v["heat"] != before["heat"]
                    and v["fake"] != before["fake"] and v, 90, "a new heatmap and new fake points", interval=0.1)
    # and again: the view keeps moving while it trains, not just once
    wait_until(lambda: (v := page.evaluate(PLANE)) and v["step"] > changed["step"] and v["heat"] != changed["heat"]
          and v["fake"] != changed["fake"], 90, "a second redraw", interval=0.1)
    assert page.evaluate("window.__notReloaded === true")

    if UPDATE_DOCS:  # the README's picture: well into the run, the fake points spreading over the ring
        wait_until(lambda: (v := page.evaluate(PLANE)) and v["step"] >= 700, 180, "step 700", interval=0.1)
    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "playground_es.png"
    page.screenshot(path=str(shot))  # the viewport as it is: a full-page shot resizes it and plotly redraws
    if UPDATE_DOCS:
        DOCS_SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        Image.open(shot).convert("RGB").save(DOCS_SCREENSHOT, optimize=True)
    page.get_by_role("button", name="Pausa", exact=True).click()
    page.get_by_role("button", name="Entrenar", exact=True).wait_for(timeout=30_000)
    page.close()
