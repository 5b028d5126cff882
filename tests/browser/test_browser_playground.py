"""In real headless Chromium: the 2-D playground trains and its plane changes live, in place, without a reload; slow
motion moves one stage a press."""

from __future__ import annotations

import io
import os
import re
from pathlib import Path

import numpy as np
import pytest
from app_support import wait_until
from PIL import Image

pytestmark = pytest.mark.browser
SERVER_TRAINS_IN = "thread"  # no test here trains a run: the server starts no worker process

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts"
DOCS_SCREENSHOT = REPO / "docs" / "screenshots" / "playground_es.png"
UPDATE_DOCS = bool(os.environ.get("GAN_UPDATE_SCREENSHOTS"))
# The plane as the browser drew it (a fingerprint of its ECharts canvas: heatmap, points, mesh and arrows), and the
# step shown.
PLANE = """() => {
    const canvas = [...document.querySelectorAll('.st-key-pg-plane canvas')].find(c => c.width > 0);
    if (!canvas) return null;
    const picture = canvas.toDataURL();
    let hash = 0;
    for (let i = 0; i < picture.length; i += 3) hash = (hash * 31 + picture.charCodeAt(i)) | 0;
    const metric = [...document.querySelectorAll('[data-testid="stMetric"]')]
        .find(m => m.innerText.startsWith('Paso'));
    return {picture: `${hash}:${picture.length}`, step: metric ? parseInt(metric.innerText.split('\\n').pop(), 10) : -1};
}"""



def test_the_playground_plane_changes_live_without_a_reload(app_url, browser):
    page = browser.new_page(viewport={"width": 1500, "height": 1500}, locale="es-ES")
    page.goto(f"{app_url}/playground")
    play = page.get_by_role("button", name="Entrenar", exact=True)
    play.wait_for(timeout=90_000)
    before = wait_until(lambda: (v := page.evaluate(PLANE)) and v["step"] == 0 and v, 90, "the plane", interval=0.1)
    assert before["step"] == 0
    page.evaluate("window.__notReloaded = true")  # gone if the page ever reloads

    play.click()
    changed = wait_until(lambda: (v := page.evaluate(PLANE)) and v["step"] > 0 and v["picture"] != before["picture"]
                         and v, 90, "a new picture of the plane", interval=0.1)
    # and again: the view keeps moving while it trains, not just once
    wait_until(lambda: (v := page.evaluate(PLANE)) and v["step"] > changed["step"]
               and v["picture"] != changed["picture"], 90, "a second redraw", interval=0.1)
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


# Where the plane and its two charts are on screen now: the tallest element of each key (a chart being replaced can
# leave a stale, folded copy for a moment; what a student sees is the one with a height).
CHART_BOXES = """() => Object.fromEntries(['pg-plane', 'pg-losses', 'pg-js_chart'].map(key => {
    const boxes = [...document.querySelectorAll('.st-key-' + key)].map(e => e.getBoundingClientRect())
        .filter(r => r.height > 0).sort((a, b) => b.height - a.height);
    return [key, boxes.length ? [boxes[0].x, boxes[0].y, boxes[0].width, boxes[0].height].map(Math.round) : null];
}))"""
INK = 225  # a pixel with a channel darker than this is drawn (the page is white; the heatmap's middle is #f7f7f7)
# At most this share of inked pixels is a blank chart: the plane at step 0 (a pale heatmap, 600 points) inks about
# 3% of its box, an empty loss chart's axes about 0.4%; a chart being replaced, nothing.
BLANK = {"pg-plane": 0.01, "pg-losses": 0.001, "pg-js_chart": 0.001}


def _shown_step(page) -> int:
    metric = page.locator('[data-testid="stMetric"]').filter(has_text="Paso").first
    return int(metric.inner_text().split()[-1])


def _inked(shot: Image.Image, box) -> float:
    """The share of a box's pixels that something is drawn in; 0 where the box is blank."""
    if box is None:
        return 0.0
    x, y, width, height = box
    pixels = np.asarray(shot.crop((x, y, x + width, y + height)).convert("RGB"))
    return float((pixels.min(axis=2) < INK).mean()) if pixels.size else 0.0


def test_while_playing_the_plane_and_its_charts_are_redrawn_in_place_never_blank(app_url, browser):
    """Issue #26, item 6: a student's screenshots 0.25 s apart caught the plane and the charts blank, each redraw
    replacing the chart. Sampled as a student sees it (screenshots of the viewport) over several redraws, each of
    the three is drawn in every one."""
    page = browser.new_page(viewport={"width": 1500, "height": 1500}, locale="es-ES")
    page.goto(f"{app_url}/playground")
    play = page.get_by_role("button", name="Entrenar", exact=True)
    play.wait_for(timeout=90_000)
    wait_until(lambda: _inked(Image.open(io.BytesIO(page.screenshot())), page.evaluate(CHART_BOXES)["pg-plane"])
               > BLANK["pg-plane"], 90, "the plane drawn", interval=0.2)
    play.click()
    page.get_by_role("button", name="Pausa", exact=True).wait_for(timeout=60_000)

    def all_drawn():  # playing: the three charts drawn once, then never blank again
        boxes = page.evaluate(CHART_BOXES)
        shot = Image.open(io.BytesIO(page.screenshot()))
        return all(_inked(shot, box) > BLANK[key] for key, box in boxes.items())

    wait_until(all_drawn, 90, "the three charts drawn while playing", interval=0.2)
    samples, steps = [], set()

    def enough_redraws():
        boxes = page.evaluate(CHART_BOXES)
        shot = Image.open(io.BytesIO(page.screenshot()))
        if page.evaluate(CHART_BOXES) == boxes:  # nothing moved while the picture was taken
            samples.append({key: _inked(shot, box) for key, box in boxes.items()})
            steps.add(_shown_step(page))
            if any(share <= BLANK[key] for key, share in samples[-1].items()):  # kept for whoever reads a failure
                ARTIFACTS.mkdir(exist_ok=True)
                shot.save(ARTIFACTS / f"playground_blank_{len(samples) - 1}.png")
        return len(samples) >= 30 and len(steps) >= 8

    wait_until(enough_redraws, 240, "30 pictures over 8 redraws", interval=0)
    blank = [(index, key, round(share, 4)) for index, sample in enumerate(samples) for key, share in sample.items()
             if share <= BLANK[key]]
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "playground_playing.png"))
    assert not blank, f"{len(blank)} blank of {len(samples)} pictures x 3 charts: {blank[:12]}"
    page.get_by_role("button", name="Pausa", exact=True).click()
    page.get_by_role("button", name="Entrenar", exact=True).wait_for(timeout=30_000)
    page.close()


STAGE = re.compile(r"Etapa (\d+) de (\d+)")


def _shown_stage(page) -> tuple[int, int] | None:
    found = STAGE.search(page.locator('[data-testid="stMain"]').inner_text())
    return (int(found.group(1)), int(found.group(2))) if found else None


def test_in_slow_motion_every_press_of_one_step_advances_exactly_one_stage(app_url, browser):
    """Issue #26, item 7: of 13 presses of "Un paso" in slow motion, some changed nothing and one skipped the
    stage that shows the loss. Each press must show the very next stage, and that stage must stay."""
    page = browser.new_page(viewport={"width": 1500, "height": 1500}, locale="es-ES")
    page.goto(f"{app_url}/playground")
    page.get_by_role("button", name="Entrenar", exact=True).wait_for(timeout=90_000)
    page.get_by_text("Cámara lenta", exact=True).click()
    step = page.get_by_role("button", name="Un paso", exact=True)
    shown, count = None, None
    for press in range(13):
        before = shown
        step.click()
        stage = wait_until(lambda: (s := _shown_stage(page)) and s[0] != (before or 0) and s, 20,
                           f"press {press + 1} to show a new stage (still {before})", interval=0.1)
        count = count or stage[1]
        expected = 1 if before is None else before % count + 1
        assert stage[0] == expected, f"press {press + 1}: stage {stage[0]} after {before}, expected {expected}"
        shown = stage[0]
    assert count == 12  # D's six stages and G's six: 13 presses went all the way round and one further
    page.close()


def test_a_fresh_playgrounds_controls_show_its_settings_and_play_keeps_them(app_url, browser):
    """Found while testing item 6: a fresh page sometimes drew the controls at their first options ("Línea", 0.0001)
    while the experiment was the ring at 0.002 (Streamlit drew them afresh, from a default they did not have); the
    press of Play then sent those and restarted the experiment as a line. On six fresh pages, every control shows
    the experiment's own settings before and after Play."""
    def shown(page) -> tuple[str, str]:
        rate = page.locator(".st-key-pg-g_lr [data-testid='stSliderThumbValue']").inner_text()
        return page.locator(".st-key-pg-data input").input_value(), rate

    for _ in range(6):
        page = browser.new_page(viewport={"width": 1500, "height": 1500}, locale="es-ES")
        page.goto(f"{app_url}/playground")
        play = page.get_by_role("button", name="Entrenar", exact=True)
        play.wait_for(timeout=90_000)
        wait_until(lambda: page.evaluate(PLANE), 90, "the plane", interval=0.1)
        assert shown(page) == ("Anillo de 8 gaussianas", "0.002")
        play.click()
        page.get_by_role("button", name="Pausa", exact=True).wait_for(timeout=60_000)
        wait_until(lambda: (v := page.evaluate(PLANE)) and v["step"] > 0, 90, "steps on the ring", interval=0.1)
        assert shown(page) == ("Anillo de 8 gaussianas", "0.002")
        assert "Construyendo" not in page.locator('[data-testid="stMain"]').inner_text(), "it restarted"
        page.get_by_role("button", name="Pausa", exact=True).click()
        # Paused before the tab closes: a closed tab's playground keeps its place in the server's queue until its
        # idle pause (two minutes), and six playing ones would leave the next page waiting in the queue.
        play.wait_for(timeout=30_000)
        page.close()


def test_after_a_switch_to_english_the_controls_name_their_choices_in_english(app_url, browser):
    """Found while testing item 6: after "English", the playground's controls still read "Anillo de 8 gaussianas"
    and "Entropía cruzada binaria (logits)" (the browser names a choice by its label)."""
    page = browser.new_page(viewport={"width": 1500, "height": 1500}, locale="es-ES")
    page.goto(f"{app_url}/playground")
    page.get_by_role("button", name="Entrenar", exact=True).wait_for(timeout=90_000)
    wait_until(lambda: page.evaluate(PLANE), 90, "the plane", interval=0.1)
    page.locator('[data-testid="stSidebar"]').get_by_text("English", exact=True).click()
    page.get_by_role("button", name="Play", exact=True).wait_for(timeout=60_000)
    wait_until(lambda: page.locator(".st-key-pg-data input").input_value() == "Ring of 8 Gaussians", 30,
               f"the data in English (it reads {page.locator('.st-key-pg-data input').input_value()!r})")
    assert page.locator(".st-key-pg-loss input").input_value() == "Binary cross-entropy (logits)"
    page.close()
