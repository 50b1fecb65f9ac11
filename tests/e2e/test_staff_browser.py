"""Staff log in with a real browser (password, then setting up TOTP) and read a report
decrypted (CSRF and referrer included)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from e2e_support import Session

from hotline.accounts.mfa import totp_code
from hotline.accounts.services import staff_create
from hotline.intake.services import ReportInput, report_submit
from staff_login import browser_log_in, make_staff

pytestmark = pytest.mark.e2e

PASSWORD = "browser staff passphrase 77"


def test_staff_login_and_report_detail(browser_session: Callable[..., Session]) -> None:
    staff_create(username="analyst", password=PASSWORD)
    submitted = report_submit(
        data=ReportInput(
            reporter_role="saw_online",
            categories=["selling_group"],
            narrative="Browser staff test narrative",
            links=["https://t.me/browser_demo_group"],
        ),
        evidence=[],
    )
    session = browser_session(name="staff")
    page = session.page
    page.goto(session.url("/staff/"))
    assert "/staff/login/" in page.url
    page.fill("input[name=login]", "analyst")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    # First login: set up the authenticator app (the page shows the QR code and the key).
    page.wait_for_url(f"{session.base_url}/staff/account/2fa/totp/activate/")
    assert page.locator(".qr svg").count() == 1
    session.shot("enrol")
    secret = page.inner_text("#totp-secret")
    page.fill("input[name=code]", totp_code(secret))
    page.click("button[type=submit] >> text=Turn on two-factor login")
    page.wait_for_selector("#recovery-codes")
    assert len(page.inner_text("#recovery-codes").split()) == 10
    page.click("text=Continue to the staff pages")
    page.wait_for_url(f"{session.base_url}/staff/")
    session.shot("queue")
    page.click(f"a[href='/staff/reports/{submitted.report.public_id}/']")
    page.wait_for_selector(".narrative")
    session.shot("detail")
    assert "Browser staff test narrative" in page.inner_text(".narrative")
    assert "https://t.me/browser_demo_group" in page.content()
    assert session.foreign == []
    assert session.csp_violations == []


def test_enrolled_staff_logs_in_with_a_code_and_out(
    browser_session: Callable[..., Session],
) -> None:
    staff = make_staff("senior", role="senior_analyst")
    session = browser_session(name="code")
    page = session.page
    browser_log_in(page, session.base_url, staff)
    session.shot("logged-in")
    page.click("button >> text=Log out senior")
    page.wait_for_url(f"{session.base_url}/staff/login/")
    page.goto(session.url("/staff/"))
    assert "/staff/login/" in page.url
    assert session.foreign == []
    assert session.csp_violations == []
