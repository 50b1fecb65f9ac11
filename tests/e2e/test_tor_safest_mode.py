"""The public side in Tor Browser's "Safest" security level: no JavaScript, no web fonts.

Tor Browser at "Safest" runs no script and ignores @font-face (downloadable fonts are off); it
ships its own fonts, Noto Sans Khmer among them. Emulated here by a chromium with JavaScript
off, a Noto Sans Khmer of its own (as a system font), every .woff2 request aborted and the
@font-face rules left out of our stylesheet as it arrives. Every public page opens, a whole
report → receipt → status → reply works, and the Khmer is drawn in the browser's own Khmer font,
never as boxes.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from e2e_support import PHONE_VIEWPORT, TIMEOUT_MS
from playwright.sync_api import Browser, Page, Route, expect
from pytest_django.live_server_helper import LiveServer

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

KHMER = re.compile(r"[\u1780-\u17ff]")
FONT_FACE = re.compile(r"@font-face\s*\{[^}]*\}")
PUBLIC_PAGES = ["/", "/danger/", "/report/", "/status/", "/escrow/", "/help/"] + [
    f"/help/{slug}/" for slug in ("extortion", "parents", "evidence")
]


def khmer_fonts_of(page: Page, selector: str) -> list[dict[str, Any]]:
    """Return the fonts chromium drew `selector`'s text with (DevTools, no page script)."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("DOM.enable")
    cdp.send("CSS.enable")
    root = cdp.send("DOM.getDocument")["root"]["nodeId"]
    node = cdp.send("DOM.querySelector", {"nodeId": root, "selector": selector})["nodeId"]
    assert node, selector
    fonts = cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]
    cdp.detach()
    return list(fonts)


def assert_khmer_drawn_with_a_local_font(page: Page) -> None:
    fonts = khmer_fonts_of(page, "main h1")
    heading = page.locator("main h1").inner_text()
    assert KHMER.search(heading), heading
    khmer = [f for f in fonts if f["familyName"] == "Noto Sans Khmer"]
    assert khmer, (page.url, fonts)
    assert not any(f["isCustomFont"] for f in fonts), fonts  # no web font
    # Other fonts drew at most the heading's spaces and punctuation, never a Khmer letter.
    others = sum(f["glyphCount"] for f in fonts if f["familyName"] != "Noto Sans Khmer")
    assert others <= len(KHMER.sub("", heading)), (page.url, fonts)


def test_every_public_page_and_a_whole_report_work_at_tor_browsers_safest_level(
    chromium_with_khmer_font: Browser, live_server: LiveServer
) -> None:
    context = chromium_with_khmer_font.new_context(
        viewport=PHONE_VIEWPORT, java_script_enabled=False, locale="km-KH"
    )
    context.set_default_timeout(TIMEOUT_MS)
    fonts_fetched: list[str] = []
    foreign: list[str] = []

    def no_web_fonts(route: Route) -> None:
        fonts_fetched.append(route.request.url)
        route.abort("blockedbyclient")

    def stylesheet_without_font_faces(route: Route) -> None:
        response = route.fetch()
        route.fulfill(response=response, body=FONT_FACE.sub("", response.text()))

    def only_local(route: Route) -> None:
        if route.request.url.startswith(live_server.url):
            route.fallback()
        else:
            foreign.append(route.request.url)
            route.abort("blockedbyclient")

    context.route("**/*", only_local)
    context.route(re.compile(r".*\.woff2?(\?.*)?$"), no_web_fonts)
    context.route(
        re.compile(r".*/static/core/site[^/]*\.css(\?.*)?$"), stylesheet_without_font_faces
    )
    page = context.new_page()

    for path in PUBLIC_PAGES:
        response = page.goto(live_server.url + path)
        assert response is not None
        assert response.status == 200, path
        expect(page.locator("html")).to_have_attribute("lang", "km")
        assert_khmer_drawn_with_a_local_font(page)

    page.goto(live_server.url + "/report/")
    page.check('input[name="in_danger"][value="no"]')
    page.check('input[name="reporter_role"][value="myself"]')
    page.check('input[name="categories"][value="sextortion"]')
    page.fill('textarea[name="narrative"]', "គេគំរាមផ្ញើវីដេអូរបស់ខ្ញុំ បើខ្ញុំមិនឱ្យលុយ។")
    page.locator('form.report button[type="submit"]').click()
    code = page.locator("#receipt-code")
    expect(code).to_be_visible()
    assert_khmer_drawn_with_a_local_font(page)
    receipt = code.inner_text().strip()

    page.locator("#receipt-check").click()
    expect(page.locator("#report-status")).to_be_visible()
    assert_khmer_drawn_with_a_local_font(page)
    page.fill('textarea[name="message"]', "គេសរសេរមកខ្ញុំម្តងទៀត។")
    page.locator('form[action="/status/reply/"] button[type="submit"]').click()
    expect(page.locator(".message.from-you")).to_contain_text("គេសរសេរមកខ្ញុំម្តងទៀត។")

    # This phone keeps the opened report for a while: close it, then open it by its code.
    page.locator("#status-forget").click()
    page.fill('main form[action="/status/"] input[name="code"]', receipt)
    page.locator('main form[action="/status/"] button[type="submit"]').click()
    expect(page.locator(".message.from-you")).to_be_visible()

    assert foreign == []
    assert fonts_fetched == []  # nothing even asked for a web font
    context.close()
