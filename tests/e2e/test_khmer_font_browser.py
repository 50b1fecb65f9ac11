"""The Khmer web font: fetched from us only by a browser that needs it, on a page that needs it.

This machine's chromium has no Khmer font (Debian's fonts-noto-core is not installed; the
first test checks that with fontconfig rather than assuming it): it is the phone that showed
boxes. The last test gives a second chromium a Khmer font of its own through a private
fontconfig file (the font we serve, under its real name), so it is the phone that has one.

Every public page carries Khmer (the language button "ខ្មែរ"), so a browser without a Khmer
font fetches the font on English pages too, on purpose: that button must be readable. A page
without Khmer characters (the staff login page) never fetches it.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from e2e_support import PHONE_VIEWPORT, Session, khmer_fonts_installed
from playwright.sync_api import Browser, Page
from pytest_django.live_server_helper import LiveServer

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

OpenSession = Callable[..., Session]
FACE_STATUS = """async () => {
  await document.fonts.ready;
  return [...document.fonts].filter((f) => f.family.includes("Hotline Khmer"))
    .map((f) => f.status);
}"""


def font_requests(requests: list[str]) -> list[str]:
    return [url for url in requests if "/noto-sans-khmer" in url and url.endswith(".woff2")]


def face_status(page: Page) -> list[str]:
    return list(page.evaluate(FACE_STATUS))


def test_khmer_page_fetches_our_font_when_the_browser_has_no_khmer_font(
    browser_session: OpenSession,
) -> None:
    assert not khmer_fonts_installed(), "this test needs a chromium without a Khmer font"
    session = browser_session(locale="km-KH")
    session.page.goto(session.url("/report/"))
    assert face_status(session.page) == ["loaded"]
    fetched = font_requests(session.requests)
    assert len(fetched) == 1, session.requests
    assert fetched[0].startswith(session.base_url + "/static/core/fonts/")
    assert not session.foreign


def test_page_without_khmer_text_never_fetches_the_font(browser_session: OpenSession) -> None:
    session = browser_session(locale="en-US")
    session.page.goto(session.url("/staff/login/"))
    assert face_status(session.page) == ["unloaded"]
    assert font_requests(session.requests) == []
    assert any(url.endswith(".css") for url in session.requests)  # the stylesheet did load


def test_browser_with_a_local_khmer_font_downloads_nothing(
    chromium_with_khmer_font: Browser, live_server: LiveServer
) -> None:
    context = chromium_with_khmer_font.new_context(viewport=PHONE_VIEWPORT, locale="km-KH")
    requests: list[str] = []
    context.on("request", lambda request: requests.append(request.url))
    page = context.new_page()
    page.goto(live_server.url + "/report/")
    page.evaluate("document.fonts.ready")
    assert any(url.endswith(".css") for url in requests)
    assert font_requests(requests) == []
    context.close()
