"""In real headless Chromium: what the class sees is legible on the machines it has (issue #26, items 12-14, 18):
icons drawn offline without an emoji font, the language's code in the address, nothing cut or covered."""

from __future__ import annotations

import io
import re
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import numpy as np
import pytest
from app_support import wait_until
from PIL import Image

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts"
RUN_ID = re.compile(r"\d{8}-\d{6}-[0-9a-f]{12}")
# Each sidebar link's icon: its text (a Material Symbols ligature such as "school", or an emoji), the font it is
# drawn in and its width; a ligature the font draws is one glyph as wide as it is tall, the same word in a fallback
# font a line of letters.
SIDEBAR_ICONS = """async () => {
    await document.fonts.ready;
    return [...document.querySelectorAll('[data-testid="stSidebarNav"] a')].map(link => {
        const icon = link.querySelector('[data-testid="stIconMaterial"]');
        const box = icon && icon.getBoundingClientRect();
        return {page: link.innerText.trim(), icon: icon ? icon.textContent : null,
                width: box ? box.width : null, height: box ? box.height : null,
                font: icon ? getComputedStyle(icon).fontFamily : null};
    });
}"""


def _address(page) -> str:
    return page.evaluate("() => location.href")  # the page's own: Playwright's page.url lagged a pushState


def _query(page) -> dict:
    return parse_qs(urlparse(_address(page)).query)


def _offline_page(browser, app_url):
    """A page that reaches only the app's own server: every other request is refused and remembered."""
    context = browser.new_context(viewport={"width": 1400, "height": 900}, locale="es-ES")
    outside = []
    own = urlparse(app_url).netloc

    def route(request_route):
        if urlparse(request_route.request.url).netloc in (own, "") or request_route.request.url.startswith("data:"):
            request_route.continue_()
        else:
            outside.append(request_route.request.url)
            request_route.abort()

    context.route("**/*", route)
    return context, context.new_page(), outside


def test_sidebar_icons_and_the_tab_icon_draw_offline_and_the_address_names_the_language_by_its_code(app_url, browser):
    """Items 13 and 14: the sidebar's emoji were empty boxes where the machine has no emoji font; Material Symbols
    come with Streamlit. The tab's icon is served by the app. ?lang=en, not the selector's label ?lang=English."""
    context, page, outside = _offline_page(browser, app_url)
    page.goto(app_url)
    page.get_by_role("button", name="Entrenar", exact=True).wait_for(timeout=90_000)
    icons = wait_until(lambda: (found := page.evaluate(SIDEBAR_ICONS)) and len(found) == 9 and found, 30,
                       "the nine sidebar links")
    for icon in icons:
        assert icon["icon"] and icon["icon"].isascii(), icon  # a Material Symbols name, not an emoji
        assert "Material Symbols" in icon["font"], icon
        assert 0 < icon["width"] <= 1.5 * icon["height"], icon  # drawn as one glyph, not spelled out
    favicon = wait_until(lambda: page.evaluate(
        "() => { const l = document.querySelector('link[rel~=\"icon\"]'); return l && l.href; }"), 30, "a tab icon")
    assert urlparse(favicon).netloc == urlparse(app_url).netloc, favicon  # served by the app itself
    reply = page.request.get(favicon)
    assert reply.ok and reply.headers["content-type"] == "image/png" and len(reply.body()) > 500

    page.locator('[data-testid="stSidebar"]').get_by_text("English", exact=True).click()
    wait_until(lambda: _query(page).get("lang") == ["en"], 30, "?lang=en in the address")
    page.get_by_role("link", name="Playground", exact=False).first.click()
    wait_until(lambda: "/playground" in _address(page) and _query(page).get("lang") == ["en"], 30,
               "?lang=en kept on another page")
    page.locator('[data-testid="stSidebar"]').get_by_text("Español", exact=True).click()
    wait_until(lambda: "/playground" in _address(page) and "lang" not in _query(page), 30,
               "no ?lang for Spanish, the default")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "sidebar_icons_offline.png"))
    assert outside == [], f"requests beyond the app's server: {outside}"
    context.close()


# Every label of a chart (SVG text: Plotly's ticks, or an ECharts chart drawn in SVG) and how far it reaches past the
# chart's own box: a label cut at the edge reaches past it.
LABELS_OUTSIDE = """key => {
    const boxes = [...document.querySelectorAll('.st-key-' + key)].filter(e => e.getBoundingClientRect().height > 0);
    if (!boxes.length) return null;
    const area = r => r.width * r.height;  // the chart's own SVG: the largest (toolbar icons are SVGs too)
    const box = [...boxes[0].querySelectorAll('svg')].map(svg => svg.getBoundingClientRect())
        .sort((a, b) => area(b) - area(a))[0];
    const texts = [...boxes[0].querySelectorAll('svg text')].filter(t => t.textContent.trim());
    return {count: texts.length, outside: texts.map(t => [t.textContent, t.getBoundingClientRect()])
        .filter(([, r]) => r.bottom > box.bottom + 0.5 || r.top < box.top - 0.5 || r.left < box.left - 0.5
                           || r.right > box.right + 0.5).map(([text]) => text)};
}"""


def _ink_bands(picture: Image.Image, below: int) -> list[tuple[int, int]]:
    """The bands of rows with dark ink (text, points, lines) in the last `below` rows of a picture, bottom first, as
    (first, last) row offsets from the bottom: a legend, then tick labels, then the plot, each apart from the next."""
    pixels = np.asarray(picture.convert("RGB"))[-below:]
    inked = (pixels.min(axis=2) < 170).any(axis=1)[::-1]
    bands, start = [], None
    for row, ink in enumerate(list(inked) + [False]):
        if ink and start is None:
            start = row
        elif not ink and start is not None:
            bands.append((start, row - 1))
            start = None
    return bands


def test_the_playgrounds_tick_labels_are_whole_apart_from_its_legends(app_url, browser):
    """Item 12: the playground's x ticks were half hidden: the plane's legend was drawn over its x tick labels, and
    its small charts' labels must stay inside their charts."""
    page = browser.new_page(viewport={"width": 1400, "height": 900}, locale="es-ES")
    page.goto(f"{app_url}/playground")
    play = page.get_by_role("button", name="Entrenar", exact=True)
    play.wait_for(timeout=90_000)
    play.click()
    wait_until(lambda: _step(page) >= 300, 180, "300 steps: ticks of three digits")
    page.get_by_role("button", name="Pausa", exact=True).click()
    page.get_by_role("button", name="Entrenar", exact=True).wait_for(timeout=30_000)
    for key in ("pg-losses", "pg-js_chart"):
        labels = wait_until(lambda: (found := page.evaluate(LABELS_OUTSIDE, key)) and found["count"] >= 4 and found,
                            60, f"{key}'s labels")
        assert labels["outside"] == [], (key, labels)
    # The plane (a canvas): from its bottom, the legend's line, a gap, the x tick labels' line, a gap, the plot.
    plane = [e for e in page.locator(".st-key-pg-plane").all() if (e.bounding_box() or {}).get("height")][0]
    plane.scroll_into_view_if_needed()
    picture = Image.open(io.BytesIO(plane.screenshot()))
    ARTIFACTS.mkdir(exist_ok=True)
    picture.save(ARTIFACTS / "playground_plane_1400x900.png")
    bands = _ink_bands(picture, 140)
    assert len(bands) >= 3, f"legend, ticks and plot run together: bands {bands}"
    legend, ticks = bands[0], bands[1]
    assert 6 <= legend[1] - legend[0] <= 20 and 6 <= ticks[1] - ticks[0] <= 20, bands  # one line of text each
    page.close()


def _step(page) -> int:
    metrics = page.locator('[data-testid="stMetric"]').filter(has_text="Paso")
    return int(metrics.first.inner_text().split()[-1]) if metrics.count() else -1


def _number(page, label: str, value: str) -> None:
    box = page.get_by_role("spinbutton", name=label, exact=True)
    box.fill(value)
    box.press("Tab")


# Whether an element's text is drawn whole: neither it nor any box around it up to its column (or button) scrolls
# or cuts it with an ellipsis (its content wider than the box that shows it).
WHOLE = """(element, stop) => {
    for (let e = element; e && !e.matches(stop); e = e.parentElement) {
        if (e.scrollWidth > e.clientWidth + 1) return false;
    }
    return true;
}"""
# A button's label and whether it is drawn whole (not cut to "D." by an ellipsis).
BUTTON_LABELS = """([prefix, whole]) => {
    const isWhole = eval(whole);
    return [...document.querySelectorAll(`[class*="st-key-${prefix}"] button`)].map(button => {
        const label = [...button.querySelectorAll('p, span, div')].filter(e => e.children.length === 0
            && e.textContent.trim() && !e.closest('[data-testid="stIconMaterial"]')).pop();
        return {text: label ? label.textContent : '', whole: !!label && isWhole(label, '[data-testid="stColumn"]')};
    });
}"""


def test_the_teachers_jobs_table_and_the_projector_fit_a_1400x900_screen(app_url, app_server_log, browser):
    """Item 12: at 1400x900 the teacher's jobs table cut the run id and showed the stop button as "D."; the projector
    cut the grid's last row below the screen."""
    student = browser.new_context(viewport={"width": 1400, "height": 900}, locale="es-ES").new_page()
    student.goto(app_url)
    student.get_by_role("button", name="Entrenar", exact=True).wait_for(timeout=90_000)
    _number(student, "Épocas", "300")  # still training when the teacher looks, and stopped by the teacher
    _number(student, "Máximo de imágenes (0 = todas)", "256")
    student.get_by_role("button", name="Entrenar", exact=True).click()
    run_id = wait_until(lambda: (found := RUN_ID.search(student.locator('[data-testid="stMain"]').inner_text()))
                        and found.group(0), 120, "the run on the page")

    student.locator('[data-testid="stSidebarNav"]').get_by_text("Proyector", exact=True).click()  # its own run
    grid = student.locator('[data-testid="stMain"] [data-testid="stImage"] img').first  # the run's grid
    grid.wait_for(timeout=180_000)
    wait_until(lambda: grid.evaluate("img => img.complete && img.naturalHeight > 0"), 30, "the grid's picture")
    box = grid.bounding_box()
    ARTIFACTS.mkdir(exist_ok=True)
    student.screenshot(path=str(ARTIFACTS / "projector_1400x900.png"))
    assert box["y"] >= 0 and box["y"] + box["height"] <= 900, f"the grid reaches {box['y'] + box['height']:.0f} px"
    assert box["height"] >= 400, box  # and it is still large, for the back of the room

    password = wait_until(lambda: re.search(r"Teacher password: (\S+)", app_server_log.read_text()), 30,
                          "the printed password")[1]
    teacher = browser.new_context(viewport={"width": 1400, "height": 900}, locale="es-ES").new_page()
    teacher.goto(f"{app_url}/teacher")
    teacher.get_by_label("Contraseña").fill(password)
    teacher.get_by_role("button", name="Entrar").click()
    shown = teacher.get_by_text(run_id, exact=True)
    shown.wait_for(timeout=60_000)
    assert shown.evaluate(f"e => ({WHOLE})(e, '[data-testid=\"stColumn\"]')"), "the run id is cut"
    stop = wait_until(lambda: teacher.evaluate(BUTTON_LABELS, ["teacher-stop", WHOLE]), 30, "the stop button")
    teacher.screenshot(path=str(ARTIFACTS / "teacher_jobs_1400x900.png"))
    assert stop == [{"text": "Detener", "whole": True}], stop
    teacher.get_by_role("button", name="Detener").click()
    teacher.get_by_text("No hay trabajos", exact=False).wait_for(timeout=60_000)
    teacher.context.close()
    student.context.close()


PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True, "device_scale_factor": 3,
         "locale": "es-ES", "user_agent": "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
                                         "Chrome/150.0.0.0 Mobile Safari/537.36"}
# The first visible "Entrenar" button's top, in page pixels, and every Plotly toolbar on show.
TRAIN_BUTTON_TOP = """() => {
    const buttons = [...document.querySelectorAll('button')].filter(b => b.innerText.trim().endsWith('Entrenar')
        && b.getClientRects().length && getComputedStyle(b).visibility !== 'hidden');
    return buttons.length ? Math.min(...buttons.map(b => b.getBoundingClientRect().top + window.scrollY)) : null;
}"""
MODEBARS_SHOWN = """() => [...document.querySelectorAll('.modebar-container')]
    .filter(m => m.getClientRects().length && getComputedStyle(m).visibility !== 'hidden'
                 && getComputedStyle(m.querySelector('.modebar') || m).opacity !== '0').length"""


def test_on_a_phone_entrenar_is_near_the_top_and_no_chart_toolbar_covers_the_charts(app_url, browser):
    """Item 18: on a 390x844 phone the Train page needed about four screens before its Entrenar button, and every
    Plotly chart showed its toolbar (a touch screen has no hover to hide it behind)."""
    context = browser.new_context(**PHONE)
    page = context.new_page()
    page.goto(app_url)
    page.get_by_role("button", name="Entrenar", exact=True).first.wait_for(timeout=90_000)
    top = wait_until(lambda: page.evaluate(TRAIN_BUTTON_TOP), 30, "the Entrenar button")
    assert top <= 1.5 * 844, f"Entrenar is {top / 844:.1f} screens down"
    for label, value in (("Épocas", "300"), ("Máximo de imágenes (0 = todas)", "256")):
        _number(page, label, value)
    page.get_by_role("button", name="Entrenar", exact=True).first.tap()
    page.locator('[data-testid="stPlotlyChart"] .js-plotly-plot').first.wait_for(timeout=180_000)
    wait_until(lambda: page.locator('[data-testid="stPlotlyChart"] .main-svg').count() >= 4, 60, "the charts")
    page.locator('[data-testid="stPlotlyChart"]').first.tap()  # a student's thumb on a chart
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "train_phone.png"))
    assert page.evaluate(MODEBARS_SHOWN) == 0
    page.get_by_role("button", name="Detener", exact=True).tap()
    context.close()


def test_the_upload_note_quotes_the_words_the_upload_box_shows(app_url, browser):
    """Item 11: Streamlit's upload box speaks English whatever the page's language, and the Spanish note explained
    «Drag and drop…» and «Limit 300MB per file», words the box does not show at rest. Each word it quotes is on screen."""
    page = browser.new_page(viewport={"width": 1400, "height": 900}, locale="es-ES")
    page.goto(f"{app_url}/data")
    page.get_by_role("tab", name="Tus fotos").click(timeout=90_000)
    page.locator('[data-testid="stFileUploaderDropzoneInstructions"]').first.wait_for(timeout=30_000)
    shown = page.locator('[data-testid="stFileUploaderDropzone"]').first.evaluate("e => e.innerText")
    note = page.get_by_text("El recuadro de subida").inner_text()
    quoted = re.findall(r"«([^»]*)»", note)
    assert quoted and all(words in shown for words in quoted), (quoted, shown)
    page.close()
