"""An analyst claims a report from the queue and changes its state; the reporter reads it."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from e2e_support import Session, staff_log_in
from playwright.sync_api import expect

from hotline.audit.models import AuditEvent
from hotline.cases.models import Assignment
from hotline.intake.models import Report
from hotline.intake.services import ReportInput, report_submit
from hotline.intake.tasks import report_process
from staff_login import make_staff

pytestmark = pytest.mark.e2e

LAPTOP = {"width": 1366, "height": 768}


def test_analyst_claims_and_moves_a_report_and_the_reporter_reads_it(
    browser_session: Callable[..., Session],
) -> None:
    analyst = make_staff("analyst")
    calm = report_submit(
        data=ReportInput(reporter_role="saw_online", categories=["other"]), evidence=[]
    )
    urgent = report_submit(
        data=ReportInput(
            reporter_role="myself",
            categories=["sextortion"],
            victim_age="13_15",
            narrative="He wants $200 by tonight. ខ្ញុំមិនចង់រស់ទៀតទេ",
        ),
        evidence=[],
    )
    for submitted in (calm, urgent):
        report_process(submitted.report.pk)
    public_id = str(urgent.report.public_id)

    session = browser_session(name="analyst", locale="en-GB")
    page = session.page
    page.set_viewport_size(LAPTOP)
    staff_log_in(session, analyst)
    first = page.locator("#queue tbody tr").first
    expect(first).to_have_attribute("data-report", public_id)
    expect(first).to_contain_text("words of self-harm or suicide in the account (+90)")
    expect(first).to_contain_text("a deadline in the threat (+30)")
    session.shot("queue")

    page.click(f"#queue a[href='/staff/reports/{public_id}/']")
    expect(page.locator("#case-state")).to_have_text("Received")
    page.click("#case-claim")
    expect(page.locator("#case-assignee")).to_have_text("analyst (you)")
    page.select_option("#id_to_state", label="In assessment")
    page.fill("#id_note", "Calling the reporter's counsellor first")
    page.click("#case-state-change")
    expect(page.locator("#case-state")).to_have_text("In assessment")
    expect(page.locator("#case-history")).to_contain_text(
        "Received → In assessment: Calling the reporter's counsellor first"
    )
    session.shot("claimed-and-in-assessment")
    assert Assignment.objects.get(report=urgent.report).assignee == analyst.user
    assert Report.objects.get(pk=urgent.report.pk).status == "in_review"
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"report.assign", "report.state_change"} <= actions

    page.goto(session.url("/staff/?assignee=analyst&state=all"))
    expect(page.locator("#queue tbody tr")).to_have_count(1)

    reporter = browser_session(name="reporter", javascript=False)
    reporter.page.goto(reporter.url("/status/"))
    reporter.page.fill("input[name=code]", urgent.receipt_code)
    reporter.page.locator("main form button[type=submit]").first.click()
    expect(reporter.page.locator("#report-status")).to_have_text(
        "សមាជិកម្នាក់នៃក្រុមការងាររបស់យើង កំពុងពិនិត្យរបាយការណ៍របស់អ្នក។"
    )
    expect(reporter.page.locator("#report-who-knows")).to_contain_text("ប៉ូលិស")
    reporter.shot("status-in-review")
    assert "analyst" not in reporter.page.content()
    assert session.foreign == []
    assert reporter.foreign == []
