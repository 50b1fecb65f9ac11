"""In a real browser without JavaScript: an administrator sets the hotline's number and the
public page shows it; an analyst sees an urgent report's alert and acknowledges it with a
click. axe-core finds nothing in the settings page or the alert banner."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from e2e_support import Session, axe_on_copy

from hotline.alerts.models import Alert
from hotline.intake.services import ReportInput, report_submit
from hotline.intake.tasks import report_process
from staff_login import browser_log_in, make_staff

pytestmark = pytest.mark.e2e


def test_an_administrator_sets_the_number_and_the_public_page_shows_it(
    browser_session: Callable[..., Session],
) -> None:
    admin = make_staff("admin", role="administrator")
    session = browser_session(name="settings", locale="en-GB", javascript=False)
    page = session.page
    browser_log_in(page, session.base_url, admin)
    page.wait_for_url(f"{session.base_url}/staff/")
    assert page.locator("#settings-missing [data-missing=phone]").count() == 1
    page.goto(session.url("/staff/settings/"))
    assert axe_on_copy(session, selector="main") == []
    page.fill("#id_phone_numbers", "012 345 678")
    page.fill("#id_name_en", "Safe Online")
    page.click("#general-form button")
    page.wait_for_selector("#saved")
    session.shot("saved")
    page.goto(session.url("/"))
    assert page.inner_text("#hotline-phone") == "Call Safe Online: 012 345 678"
    assert session.foreign == []
    assert session.csp_violations == []


def test_an_analyst_acknowledges_an_alert_with_a_click(
    browser_session: Callable[..., Session],
) -> None:
    report = report_submit(
        data=ReportInput(reporter_role="myself", categories=["sextortion"], in_danger=True),
        evidence=[],
    ).report
    report_process(report.pk)
    analyst = make_staff("analyst")
    session = browser_session(name="alert", locale="en-GB", javascript=False)
    page = session.page
    browser_log_in(page, session.base_url, analyst)
    page.wait_for_url(f"{session.base_url}/staff/")
    page.wait_for_selector("#alerts")
    session.shot("alert")
    assert axe_on_copy(session, selector="#alerts") == []
    page.click("#alerts button >> text=Acknowledge")
    page.wait_for_url(f"{session.base_url}/staff/")
    assert page.locator("#alerts").count() == 0
    assert Alert.objects.get().acknowledged_by_id == analyst.user.pk
    assert session.csp_violations == []
