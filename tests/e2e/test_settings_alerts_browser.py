"""In a real browser without JavaScript: an administrator sets the hotline's number and the
public page shows it; an analyst sees an urgent report's alert and acknowledges it with a
click. axe-core finds nothing in the settings page or the alert banner."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from e2e_support import Session

from hotline.alerts.models import Alert
from hotline.intake.services import ReportInput, report_submit
from hotline.intake.tasks import report_process
from staff_login import browser_log_in, make_staff

pytestmark = pytest.mark.e2e

AXE = (Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js").read_text()
RUN_AXE = """async (selector) => {
  const result = await axe.run({include: [selector]}, {resultTypes: ["violations"]});
  return result.violations.map(v => v.id + ": " + v.nodes.map(n => n.target.join(" ")));
}"""


def _axe(session: Session, selector: str) -> list[Any]:
    """Run axe on a copy of the page as shown (the session itself runs no JavaScript)."""
    html = session.page.content()
    context = session.context.browser
    assert context is not None
    audit = context.new_context(java_script_enabled=True, bypass_csp=True)
    try:
        page = audit.new_page()
        page.route(
            session.page.url, lambda route: route.fulfill(body=html, content_type="text/html")
        )
        page.goto(session.page.url)
        page.evaluate(AXE)
        return list(page.evaluate(RUN_AXE, selector))
    finally:
        audit.close()


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
    assert _axe(session, "main") == []
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
    assert _axe(session, "#alerts") == []
    page.click("#alerts button >> text=Acknowledge")
    page.wait_for_url(f"{session.base_url}/staff/")
    assert page.locator("#alerts").count() == 0
    assert Alert.objects.get().acknowledged_by_id == analyst.user.pk
    assert session.csp_violations == []
