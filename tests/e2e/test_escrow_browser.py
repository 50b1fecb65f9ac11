"""Escrow in a browser on a 360 px phone without JavaScript: deposit, then the consent question.

Status page → "leave a name or number" (code filled in) → deposit → a later report names the
same account → an analyst asks → the question shows on the status page → the reporter agrees.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from e2e_support import PHONE_VIEWPORT, Session

from hotline.accounts.services import staff_create
from hotline.entities.models import EscrowedIdentifier
from hotline.entities.services import escrow_ask_consent
from hotline.entities.tasks import report_extract
from hotline.intake.services import ReportInput, report_submit

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _fits(session: Session) -> None:
    width = session.scroll_width()
    assert width <= PHONE_VIEWPORT["width"], f"{session.page.url} scrolls sideways: {width}px"


def _open_status(session: Session, code: str) -> None:
    session.page.goto(session.url("/status/"))
    session.page.fill('input[name="code"]', code)
    session.page.locator('main form[action="/status/"] button[type="submit"]').click()


def test_escrow_and_consent_on_a_phone_without_javascript(
    browser_session: Callable[..., Session],
) -> None:
    code = report_submit(
        data=ReportInput(reporter_role="myself", categories=["sextortion"]), evidence=[]
    ).receipt_code
    session = browser_session(javascript=False)
    page = session.page

    _open_status(session, code)
    page.locator("#escrow-link").click()
    assert page.input_value('input[name="code"]') == code
    _fits(session)
    session.shot("escrow-form")
    page.fill('input[name="identifier"]', "ABA ០០០ ១២៣ ៤៥៦")
    page.locator('main form[action="/escrow/"] button[type="submit"]').click()
    assert page.locator("#escrow-kept").is_visible()
    _fits(session)
    session.shot("escrow-kept")
    assert EscrowedIdentifier.objects.get().state == EscrowedIdentifier.State.WAITING

    later = report_submit(
        data=ReportInput(
            reporter_role="myself", categories=["sextortion"], narrative="pay to ABA 000123456"
        ),
        evidence=[],
    ).report
    report_extract(later.pk)
    analyst = staff_create(username="analyst", password="a long enough passphrase 42")
    escrow_ask_consent(escrow=EscrowedIdentifier.objects.get(), actor=analyst)

    # This browser session remembers the code (docs/decisions/public-navigation.md).
    page.goto(session.url("/status/"))
    question = page.locator('[id^="escrow-question-"]')
    assert question.is_visible()
    _fits(session)
    session.shot("consent-question")
    question.locator('button[name="answer"][value="yes"]').click()
    assert page.locator("#escrow-answered").is_visible()
    assert EscrowedIdentifier.objects.get().state == EscrowedIdentifier.State.CONSENTED
    assert session.foreign == []


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_the_typed_identifier_stays_through_a_language_switch_both_ways(
    browser_session: Callable[..., Session], javascript: bool
) -> None:
    code = report_submit(
        data=ReportInput(reporter_role="myself", categories=["sextortion"]), evidence=[]
    ).receipt_code
    session = browser_session(javascript=javascript)
    page = session.page
    _open_status(session, code)
    page.locator("#escrow-link").click()
    page.fill('input[name="identifier"]', "t.me/his_other_account")
    for language in ("en", "km"):
        page.locator(f'header form.lang button[name="language"][value="{language}"]').click()
        page.wait_for_load_state()
        assert page.locator("html").get_attribute("lang") == language
        assert page.url == session.url("/escrow/")
        assert page.input_value('input[name="identifier"]') == "t.me/his_other_account"
        assert page.input_value('input[name="code"]') == code
        assert page.locator(".error").count() == 0
    assert EscrowedIdentifier.objects.count() == 0
