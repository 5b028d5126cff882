"""In real headless Chromium: what the class sees is legible on the machines it has (issue #26, items 12-14, 18):
icons drawn offline without an emoji font, the language's code in the address, nothing cut or covered."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
from app_support import wait_until

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts"
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
