"""Back, Forward, Reload and the language switch in chromium on a 360 px phone.

Every public form is answered with a redirect (docs/decisions/public-navigation.md), so no
history entry is the answer to a POST: moving through history or reloading never sends a form
again (chromium would otherwise re-POST or show "Confirm Form Resubmission"). Each step counts
the POST requests the page makes (none may be sent by Back, Forward or Reload), listens for
dialogs (none), checks that the page shown is ours (not chromium's error page) and that the
database holds one report and one message however often the pages are revisited.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest
from django.utils import translation
from e2e_support import PHONE_VIEWPORT, Session, open_section
from playwright.sync_api import Page, Request, expect

from hotline.intake.models import Message, Report
from hotline.intake.services import ReportInput, report_submit

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

NARRATIVE = "He says he will send my photos to my class unless I pay him 200 dollars."


class Watch:
    """Record the POSTs a page sends and the dialogs it opens."""

    def __init__(self, page: Page) -> None:
        self.posts: list[str] = []
        self.dialogs: list[str] = []
        page.on("request", self._request)
        page.on("dialog", self._dialog)

    def _request(self, request: Request) -> None:
        if request.method == "POST" and request.resource_type == "document":
            self.posts.append(request.url)

    def _dialog(self, dialog: object) -> None:
        self.dialogs.append(str(getattr(dialog, "message", dialog)))
        dialog.dismiss()  # type: ignore[attr-defined]

    @contextmanager
    def no_post(self, page: Page) -> Iterator[None]:
        """Check that what runs inside sends no form and lands on one of our pages."""
        before = len(self.posts)
        yield
        page.wait_for_load_state()
        assert self.posts[before:] == [], f"a form was sent again: {self.posts[before:]}"
        assert self.dialogs == []
        assert page.locator("header .brand").count() == 1, page.content()[:500]
        assert not page.url.startswith("chrome-error:")


def _text(language: str, text: str) -> str:
    with translation.override(language):
        return translation.gettext(text)


def _other(language: str) -> str:
    return "en" if language == "km" else "km"


def _switch(page: Page, language: str) -> None:
    page.locator(f'header form.lang button[name="language"][value="{language}"]').click()
    expect(page.locator("html")).to_have_attribute("lang", language)


def _history_round(session: Session, watch: Watch, check: Callable[[], None]) -> None:
    """Reload, Back, Forward: each without a POST; `check` the page after coming back."""
    page = session.page
    with watch.no_post(page):
        page.reload()
    check()
    with watch.no_post(page):
        page.go_back()
    with watch.no_post(page):
        page.go_forward()
    check()


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
@pytest.mark.parametrize("language", ["km", "en"])
def test_back_forward_reload_never_resend_and_the_switch_keeps_everything(
    browser_session: Callable[..., Session], language: str, javascript: bool
) -> None:
    session = browser_session(javascript=javascript)
    page = session.page
    watch = Watch(page)
    other = _other(language)

    page.goto(session.url("/report/"))
    if language != "km":
        _switch(page, language)
    # Half a form: the "who are you" answer is missing.
    page.check('input[name="in_danger"][value="no"]')
    page.check('input[name="categories"][value="sextortion"]')
    page.fill('textarea[name="narrative"]', NARRATIVE)

    # The language switch keeps what was typed, without any error.
    _switch(page, other)
    assert page.url == session.url("/report/")
    expect(page.locator('textarea[name="narrative"]')).to_have_value(NARRATIVE)
    expect(page.locator('input[name="categories"][value="sextortion"]')).to_be_checked()
    expect(page.locator('input[name="in_danger"][value="no"]')).to_be_checked()
    expect(page.locator("#form-errors")).to_have_count(0)
    _switch(page, language)
    expect(page.locator('textarea[name="narrative"]')).to_have_value(NARRATIVE)
    assert Report.objects.count() == 0

    # Sent with a link line the browser cannot check (too long): the form comes back by GET,
    # with the answers and the error.
    page.check('input[name="reporter_role"][value="myself"]')
    open_section(page, "where")
    page.fill('textarea[name="usernames"]', "@" + "x" * 600)
    page.locator('form.report button[type="submit"]').click()
    expect(page.locator("#form-errors")).to_be_visible()
    assert page.url == session.url("/report/")
    expect(page.locator('textarea[name="narrative"]')).to_have_value(NARRATIVE)

    def still_refused() -> None:
        expect(page.locator("#form-errors")).to_be_visible()
        expect(page.locator('textarea[name="narrative"]')).to_have_value(NARRATIVE)

    with watch.no_post(page):
        page.reload()
    still_refused()
    assert Report.objects.count() == 0

    expect(page.locator('input[name="reporter_role"][value="myself"]')).to_be_checked()
    page.fill('textarea[name="usernames"]', "@his_account_kh")
    page.locator('form.report button[type="submit"]').click()
    code_box = page.locator("#receipt-code")
    expect(code_box).to_be_visible()
    assert page.url == session.url("/report/receipt/")
    code = code_box.inner_text().strip()
    assert session.scroll_width() <= PHONE_VIEWPORT["width"]

    def same_receipt() -> None:
        expect(page.locator("#receipt-code")).to_have_text(code)

    _history_round(session, watch, same_receipt)
    # Back from the receipt: the form, saying a report was just sent and where its code is.
    with watch.no_post(page):
        page.go_back()
    expect(page.locator("#recent-receipt")).to_be_visible()
    with watch.no_post(page):
        page.locator("#recent-receipt a").click()
    same_receipt()
    assert Report.objects.count() == 1

    # The footer's "Check my report" opens this report at once.
    with watch.no_post(page):
        page.locator('footer a[href="/status/"]').click()
    expect(page.locator("#report-status")).to_be_visible()

    page.fill('textarea[name="message"]', "I found his other account too.")
    page.locator('form[action="/status/reply/"] button[type="submit"]').click()
    sent = page.locator("p.ok[role=status]")
    expect(sent).to_have_text(_text(language, "Thank you. We have received your message."))
    assert page.url == session.url("/status/")

    def opened() -> None:
        expect(page.locator("#report-status")).to_be_visible()
        expect(page.get_by_text("I found his other account too.")).to_have_count(1)

    _history_round(session, watch, opened)
    expect(sent).to_have_count(0)  # said once
    assert Message.objects.filter(author="reporter").count() == 1

    # The language switch on the opened report stays on it, without typing the code again.
    _switch(page, other)
    assert page.url == session.url("/status/")
    opened()
    _history_round(session, watch, opened)
    assert session.foreign == []
    for url in session.requests:
        assert code.replace("-", "") not in url.upper().replace("-", ""), url
    assert Report.objects.count() == 1
    assert Message.objects.filter(author="reporter").count() == 1

    # "Close this report": the lookup box, and the receipt is no longer shown.
    page.locator("#status-forget").click()
    expect(page.locator('input[name="code"]')).to_be_visible()
    expect(page.locator("#report-status")).to_have_count(0)
    page.goto(session.url("/report/receipt/"))
    expect(page.locator("#receipt-code")).to_have_count(0)


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
@pytest.mark.parametrize("language", ["km", "en"])
def test_a_typed_code_and_a_half_typed_reply_stay_through_switch_and_history(
    browser_session: Callable[..., Session], language: str, javascript: bool
) -> None:
    code = report_submit(
        data=ReportInput(reporter_role="myself", categories=["sextortion"]), evidence=[]
    ).receipt_code
    session = browser_session(javascript=javascript)
    page = session.page
    watch = Watch(page)
    page.goto(session.url("/status/"))
    if language != "km":
        _switch(page, language)
    page.fill('input[name="code"]', code.lower())
    page.locator('form[action="/status/"] button[type="submit"]').click()
    expect(page.locator("#report-status")).to_be_visible()
    assert page.url == session.url("/status/")

    def opened() -> None:
        expect(page.locator("#report-status")).to_be_visible()

    _history_round(session, watch, opened)
    page.fill('textarea[name="message"]', "Half of what I wanted to say")
    _switch(page, _other(language))
    opened()
    expect(page.locator('textarea[name="message"]')).to_have_value("Half of what I wanted to say")
    _history_round(session, watch, opened)
    assert Message.objects.count() == 0
    for url in session.requests:
        assert code.replace("-", "") not in url.upper().replace("-", ""), url
