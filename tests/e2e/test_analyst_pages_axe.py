"""axe-core finds no violation on the pages this work added: the classification scheme editor
(as shown, and refusing an edit) and a report page with a reporter's reply waiting."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from e2e_support import Session, staff_log_in
from playwright.sync_api import expect
from test_accessibility_axe import Audit

from hotline.cases.services import report_reporter_replied, report_state_change
from hotline.intake.services import ReportInput, report_submit
from staff_login import make_staff

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_axe_finds_no_violation_on_the_scheme_editor_and_a_reply_waiting(
    browser_session: Callable[..., Session],
) -> None:
    admin = make_staff("axe_admin", role="administrator")
    analyst = make_staff("axe_analyst", role="analyst")
    report = report_submit(
        data=ReportInput(reporter_role="myself", categories=["sextortion"]), evidence=[]
    ).report
    # A reply on a case in assessment: it stays there, marked "the reporter wrote again".
    report_state_change(
        actor=analyst.user, report_id=report.pk, expected_state="received", to_state="in_review"
    )
    report_reporter_replied(report_id=report.pk)

    session = browser_session(locale="en-GB")
    page = session.page
    page.set_viewport_size({"width": 1366, "height": 768})
    audit = Audit(session, None)
    staff_log_in(session, admin, next_path="/staff/assessment/scheme/")
    expect(page.locator("#scheme-table")).to_be_visible()
    audit("scheme editor")
    page.fill("#id_text", "not toml [")
    page.click("#scheme-save")
    expect(page.locator("#scheme-error")).to_contain_text("cannot read")
    audit("scheme editor, edit refused")

    other = browser_session(locale="en-GB", name="analyst")
    other.page.set_viewport_size({"width": 1366, "height": 768})
    staff_log_in(other, analyst, next_path=f"/staff/reports/{report.public_id}/")
    expect(other.page.locator("#case-reply-waiting")).to_be_visible()
    analyst_audit = Audit(other, None)
    analyst_audit("report page, reply waiting")

    found = {**audit.violations, **analyst_audit.violations}
    assert found == {}, "\n".join(
        f"{state}: {v['id']} ({v['impact']}): {v['help']}\n    " + "\n    ".join(v["nodes"])
        for state, violations in found.items()
        for v in violations
    )
