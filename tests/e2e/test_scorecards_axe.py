"""axe-core finds nothing on the scorecards page (table, refused range), the URL list page and
a report page with its hosting box, at the staff desk's 1366x768."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from e2e_support import Session
from playwright.sync_api import expect

from hotline.directory.models import NoticeChannel, Platform
from hotline.entities.models import Kind, ReportEntity
from hotline.hosting.models import HostTrace
from hotline.intake.services import ReportInput, report_submit
from hotline.intake.tasks import report_process
from hotline.takedown.models import Target
from staff_login import browser_log_in, make_staff

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
AXE_SOURCE = (Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js").read_text()
RUN_AXE = """async () => {
  const result = await axe.run(document, {resultTypes: ["violations"]});
  return result.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.map(n => n.target.join(" ")).slice(0, 5)}));
}"""


def test_axe_finds_no_violation_on_scorecards_url_list_and_hosting(
    browser_session: Callable[..., Session],
) -> None:
    staff = make_staff("axe_senior", role="senior_analyst")
    data = ReportInput(
        reporter_role="myself", categories=["sextortion"], links=["https://files.test/a.jpg"]
    )
    report = report_submit(data=data, evidence=[]).report
    report_process(report.pk)
    HostTrace.objects.create(
        host="files.test",
        traced_at=timezone.now(),
        addresses=[
            {
                "address": "103.10.20.30",
                "asn": 64500,
                "country": "KH",
                "owner": "EXAMPLE-KH-HOSTING",
                "cdn": "",
                "names": ["host30.kh.test"],
            }
        ],
        registrar="Example Registrar",
    )
    platform = Platform.objects.create(code="slow", name="SlowTube", channel=NoticeChannel.NONE)
    link = ReportEntity.objects.get(report=report, entity__kind=Kind.URL)
    noticed = timezone.now() - timedelta(days=10)
    Target.objects.create(
        report=report,
        entity=link.entity,
        platform=platform,
        created_at=noticed,
        first_noticed_at=noticed,
    )
    session = browser_session(locale="en-GB")
    page = session.page
    page.set_viewport_size({"width": 1366, "height": 768})
    browser_log_in(page, session.base_url, staff)
    found: dict[str, object] = {}

    def audit(state: str) -> None:
        page.wait_for_load_state("load")
        if not page.evaluate("typeof window.axe !== 'undefined'"):
            page.evaluate(AXE_SOURCE)
        violations = page.evaluate(RUN_AXE)
        if violations:
            found[state] = violations

    page.goto(session.url("/staff/scorecards/"))
    expect(page.locator("#scorecards")).to_contain_text("SlowTube")
    audit("scorecards")
    page.goto(session.url("/staff/scorecards/?first_day=2026-11-02&last_day=2026-11-01"))
    expect(page.locator("#period-error")).to_be_visible()
    audit("scorecards, refused range")
    page.goto(session.url("/staff/scorecards/url-list/"))
    expect(page.locator("#url-list-versions")).to_be_visible()
    audit("URL list")
    page.goto(session.url(f"/staff/reports/{report.public_id}/"))
    expect(page.locator("#hosting-trace")).to_contain_text("AS64500 EXAMPLE-KH-HOSTING")
    audit("report page with hosting")
    assert found == {}, found
