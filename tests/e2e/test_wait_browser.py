"""Reload after a "please wait" (flood control's 429) in chromium: the form is never sent again.

The refused POST is answered with a 303 to the form's page (post/redirect/get), which shows the
answers kept in the sealed draft and how long to wait; Reload, Back and Forward GET that page.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from e2e_support import Session
from playwright.sync_api import Page, Request, expect

from hotline.intake.models import Message, Report
from hotline.intake.services import ReportInput, report_submit

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

NARRATIVE = "He says he will send my photos to my class unless I pay him."
KHMER_DIGIT = re.compile(r"[\u17e0-\u17e9]")


def _document_posts(page: Page) -> list[str]:
    posts: list[str] = []

    def record(request: Request) -> None:
        if request.method == "POST" and request.resource_type == "document":
            posts.append(request.url)

    page.on("request", record)
    return posts


def _reload_sends_nothing(page: Page, posts: list[str]) -> None:
    before = len(posts)
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.reload()
    page.wait_for_load_state()
    assert posts[before:] == []
    assert dialogs == []


def test_reload_after_a_please_wait_on_the_report_form_sends_nothing_without_javascript(
    browser_session: Callable[..., Session], settings: object
) -> None:
    settings.HOTLINE_THROTTLE_SUBMITS_PER_10_MIN = 0  # type: ignore[attr-defined]
    session = browser_session(javascript=False)
    page = session.page
    posts = _document_posts(page)
    page.goto(session.url("/report/"))
    page.check('input[name="in_danger"][value="no"]')
    page.check('input[name="reporter_role"][value="myself"]')
    page.check('input[name="categories"][value="sextortion"]')
    page.fill('textarea[name="narrative"]', NARRATIVE)
    page.locator('form.report button[type="submit"]').click()
    wait_box = page.locator("#please-wait")
    expect(wait_box).to_be_visible()
    assert page.url == session.url("/report/")
    assert KHMER_DIGIT.search(wait_box.inner_text()), wait_box.inner_text()
    expect(page.locator('textarea[name="narrative"]')).to_have_value(NARRATIVE)
    assert len(posts) == 1
    for _ in range(3):
        _reload_sends_nothing(page, posts)
        expect(page.locator("#please-wait")).to_be_visible()
        expect(page.locator('textarea[name="narrative"]')).to_have_value(NARRATIVE)
    page.go_back()
    page.go_forward()
    page.wait_for_load_state()
    assert len(posts) == 1
    assert Report.objects.count() == 0


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_reload_after_a_please_wait_on_a_reply_sends_nothing(
    browser_session: Callable[..., Session], settings: object, javascript: bool
) -> None:
    code = report_submit(
        data=ReportInput(reporter_role="myself", categories=["sextortion"]), evidence=[]
    ).receipt_code
    settings.HOTLINE_THROTTLE_REPORT_WRITES_PER_HOUR = 0  # type: ignore[attr-defined]
    session = browser_session(javascript=javascript, locale="en-GB")
    page = session.page
    posts = _document_posts(page)
    page.goto(session.url("/status/"))
    page.locator('header form.lang button[name="language"][value="en"]').click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.fill('input[name="code"]', code)
    page.locator('input[name="code"]').press("Enter")
    expect(page.locator("#report-status")).to_be_visible()
    page.fill('textarea[name="message"]', "I found his other account too.")
    page.locator('form[action="/status/reply/"] button[type="submit"]').click()
    expect(page.locator("#please-wait")).to_be_visible()
    expect(page.locator("#please-wait")).to_contain_text(
        re.compile(r"Please wait [0-9]+ (minute|second)s?, then send it again\.")
    )
    assert page.url == session.url("/status/")
    expect(page.locator('textarea[name="message"]')).to_have_value("I found his other account too.")
    sent = len(posts)
    _reload_sends_nothing(page, posts)
    expect(page.locator("#please-wait")).to_be_visible()
    assert len(posts) == sent
    assert Message.objects.filter(author="reporter").count() == 0
