"""A caseworker enters a caller's report by phone, reads the code, and the code opens it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from e2e_support import Session, staff_log_in
from playwright.sync_api import Page, expect

from hotline.audit.models import AuditEvent
from hotline.intake.models import Report
from hotline.staff.phone import code_reading
from staff_login import make_staff

pytestmark = pytest.mark.e2e

LAPTOP = {"width": 1366, "height": 768}
AXE_SOURCE = (Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js").read_text()
# The staff header's link colours fail contrast on every staff page already (issue 11, "the header
# links fail today"): another part of the work; this test audits what this page adds.
RUN_AXE = """async (context) => {
  const result = await axe.run(context, {resultTypes: ["violations"]});
  return result.violations.map(v => v.id + ": " + v.nodes.map(n => n.target.join(" ")).join(", "));
}"""


def axe_violations(page: Page, context: dict[str, list[list[str]]] | None = None) -> list[str]:
    """Return what axe-core (vendored, injected: nothing from another host) finds on the page
    (all of it but the header, or the `context` given)."""
    page.evaluate(AXE_SOURCE)
    return list(page.evaluate(RUN_AXE, context or {"exclude": [["header.top"]]}))


def test_staff_take_a_phone_report_read_the_code_and_the_code_opens_the_status_page(
    browser_session: Callable[..., Session],
) -> None:
    caseworker = make_staff("caseworker", role="caseworker")
    session = browser_session(name="staff", locale="en-GB")
    page = session.page
    page.set_viewport_size(LAPTOP)
    staff_log_in(session, caseworker)
    page.click("#take-report")
    expect(page.locator("h1")).to_have_text("Enter a report for a caller")
    assert axe_violations(page) == []
    page.check("#field-channel input[value=phone]")
    page.check("#field-language input[value=km]")
    page.check("#field-reporter_role input[value=my_child]")
    page.check("#field-categories input[value=sextortion]")
    page.fill("#id_narrative", "The caller's daughter is asked for money by Friday.")
    session.shot("phone-form")
    page.click("#take-save")

    expect(page.locator("h1")).to_have_text("The report is saved: read this code to the caller")
    assert "/staff/reports/new/code/" in page.url
    code = "-".join(page.locator("#taken-code .code-group").all_inner_texts())
    assert len(code) == 21
    assert code not in page.url
    first = code_reading(code)[0][0]
    expect(page.locator("#code-reading tbody tr").first).to_contain_text(first.khmer)
    expect(page.locator("#caller-note")).to_contain_text("Write the code down")
    session.shot("phone-code")
    assert axe_violations(page) == []
    report = Report.objects.get()
    assert (report.source, report.taken_by_id) == ("phone", caseworker.user.pk)
    assert AuditEvent.objects.filter(action="report.take").count() == 1

    page.reload()  # the code is not shown a second time and no report is added
    expect(page.locator("h1")).to_have_text("The code was shown once")
    assert Report.objects.count() == 1

    reporter = browser_session(name="caller", javascript=False)
    reporter.page.goto(reporter.url("/status/"))
    reporter.page.fill("input[name=code]", code)
    reporter.page.locator("main form button[type=submit]").first.click()
    expect(reporter.page.locator("#report-status")).to_have_text("យើងបានទទួលរបាយការណ៍របស់អ្នកហើយ។")

    page.goto(session.url(f"/staff/reports/{report.public_id}/"))
    expect(page.locator("dl.facts").first).to_contain_text("via phone call, entered by caseworker")
    page.fill("#id_note_body", "Caller will phone back on Monday")
    page.click("#note-form button")
    expect(page.locator("#staff-note-list")).to_contain_text("Caller will phone back on Monday")
    page.select_option("#id_template", index=0)
    page.click("#reply-template-form button")
    expect(page.locator("#id_body")).not_to_be_empty()
    session.shot("report-page")
    # What this work adds to the report page (its other tables are another part's).
    ours = {"include": [["#staff-notes"], ["#reply-template-form"], ["#reply"]]}
    assert axe_violations(page, ours) == []
