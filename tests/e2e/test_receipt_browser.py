"""The receipt page in a browser on a 360 px phone: copy the code, save it, check my report.

With JavaScript the page offers a copy button (static/intake/receipt.js, under the strict CSP:
the fixture fails the test on any violation); without it there is no button, and "save as a
file" and "check my report" still work, with the code never in an address.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit

import pytest
from django.utils import translation
from e2e_support import PHONE_VIEWPORT, Session
from playwright.sync_api import Page, expect

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _send_a_report(session: Session, language: str) -> str:
    """Fill the shortest valid report in the browser; return the code on the receipt page."""
    page = session.page
    page.goto(session.url("/report/"))
    if language != "km":
        page.locator(f'header form.lang button[name="language"][value="{language}"]').click()
        expect(page.locator("html")).to_have_attribute("lang", language)
    page.check('input[name="in_danger"][value="no"]')
    page.check('input[name="reporter_role"][value="myself"]')
    page.check('input[name="categories"][value="sextortion"]')
    page.fill('textarea[name="narrative"]', "Someone asks me for money or he shares my video.")
    page.locator('form.report button[type="submit"]').click()
    code = page.locator("#receipt-code")
    expect(code).to_be_visible()
    assert session.scroll_width() <= PHONE_VIEWPORT["width"]
    return code.inner_text().strip()


def _label(language: str, text: str) -> str:
    with translation.override(language):
        return translation.gettext(text)


def _code_in_no_address(session: Session, code: str) -> None:
    bare = code.replace("-", "")
    for url in session.requests:
        assert bare not in url.upper().replace("-", ""), url


@pytest.mark.parametrize("language", ["km", "en"])
def test_copy_button_puts_the_code_on_the_clipboard(
    browser_session: Callable[..., Session], language: str
) -> None:
    session = browser_session(javascript=True)
    origin = session.base_url
    session.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=origin)
    page: Page = session.page
    code = _send_a_report(session, language)

    button = page.locator("#receipt-copy")
    expect(button).to_have_text(_label(language, "Copy the code"))
    session.shot("receipt-js")
    page.evaluate("navigator.clipboard.writeText('')")
    button.click()
    expect(page.locator("#receipt-copied")).to_have_text(
        _label(language, "Copied. You can paste it in a safe place.")
    )
    assert page.evaluate("navigator.clipboard.readText()") == code
    assert session.scroll_width() <= PHONE_VIEWPORT["width"]
    _code_in_no_address(session, code)
    assert session.foreign == []


def test_without_javascript_no_copy_button_but_save_and_check_work(
    browser_session: Callable[..., Session],
) -> None:
    session = browser_session(javascript=False)
    page = session.page
    code = _send_a_report(session, "km")
    assert page.locator("#receipt-copy").count() == 0
    session.shot("receipt-no-js")

    with page.expect_download() as download_info:
        page.locator("#receipt-save").click()
    download = download_info.value
    assert download.suggested_filename.endswith(".txt")
    with open(download.path(), encoding="utf-8") as saved:
        text = saved.read()
    assert code in text
    assert session.url("/status/") in text

    page.locator("#receipt-check").click()
    expect(page.locator("#report-status")).to_be_visible()
    assert urlsplit(page.url).path == "/status/"
    assert urlsplit(page.url).query == ""
    _code_in_no_address(session, code)
    assert session.foreign == []
