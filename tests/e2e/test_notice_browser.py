"""An analyst sends a web-form notice from the report page, copies its text with the Copy
button, marks it submitted, and the pages pass axe on a 1366x768 screen."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from e2e_support import Session, staff_log_in
from playwright.sync_api import Page, expect

from hotline.cases.services import report_state_change
from hotline.directory.models import Platform
from hotline.directory.services import platforms_seed
from hotline.entities.services import report_entity_add
from hotline.intake.services import ReportInput, report_submit
from hotline.takedown.models import Notice
from staff_login import make_staff

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

LAPTOP = {"width": 1366, "height": 768}
AXE_SOURCE = (Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js").read_text()
# The staff header is audited elsewhere (test_phone_report_browser.py says why): what this page
# adds is audited here.
RUN_AXE = """async (context) => {
  const result = await axe.run(context, {resultTypes: ["violations"]});
  return result.violations.map(v => v.id + ": " + v.nodes.map(n => n.target.join(" ")).join(", "));
}"""


def axe_violations(page: Page) -> list[str]:
    page.evaluate(AXE_SOURCE)
    return list(page.evaluate(RUN_AXE, {"exclude": [["header.top"]]}))


def test_an_analyst_sends_copies_and_submits_a_web_form_notice(
    browser_session: Callable[..., Session],
) -> None:
    # The shipped directory comes from a data migration, which an earlier test database flush
    # (transactional tests) empties: put it back, as the migration does.
    platforms_seed(Platform)
    analyst = make_staff("analyst")
    report = report_submit(
        data=ReportInput(
            reporter_role="myself", categories=["sextortion"], narrative="Sreymom Chan wrote"
        ),
        evidence=[],
    ).report
    report_entity_add(
        report=report, text="https://www.facebook.com/some.page.4471", actor=analyst.user
    )
    for before, after in (("received", "in_review"), ("in_review", "assessed")):
        report_state_change(
            actor=analyst.user, report_id=report.pk, expected_state=before, to_state=after
        )

    session = browser_session(name="analyst", locale="en-GB")
    session.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page = session.page
    page.set_viewport_size(LAPTOP)
    staff_log_in(session, analyst, next_path=f"/staff/reports/{report.public_id}/")
    expect(page.locator("#notices")).to_contain_text("Facebook")
    assert axe_violations(page) == []
    page.locator("#notices input[name=targets]").first.check()
    page.locator("#notices button", has_text="Send the notices").click()
    expect(page.locator("h1")).to_contain_text("OH-N-")
    expect(page.locator("#notice-text")).to_contain_text("facebook.com/some.page.4471")
    assert "Sreymom" not in page.content()
    assert axe_violations(page) == []
    session.shot("notice-to-submit")

    page.locator("#notice-text + button.copy-notice").click()
    expect(page.locator("#notice-text + button.copy-notice")).to_have_text("Copied")
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied == page.locator("#notice-text").text_content()
    assert "facebook.com/some.page.4471" in copied

    page.fill("#id_ticket", "FB-4471")
    page.locator("button", has_text="It was submitted").click()
    expect(page.locator("dl.facts")).to_contain_text("FB-4471")
    notice = Notice.objects.get()
    assert (notice.state, notice.ticket) == ("sent", "FB-4471")
    assert axe_violations(page) == []
    page.goto(session.url("/staff/notices/"))
    expect(page.locator("table.notices-table")).to_contain_text("FB-4471")
    assert axe_violations(page) == []
