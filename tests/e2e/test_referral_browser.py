"""The liaison's referral package in a real browser at 1366x768: the button on the report,
the form, a ZIP downloaded that `hotline verify-package` accepts; axe finds nothing."""

from __future__ import annotations

from collections.abc import Callable
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from e2e_support import Session

from assessment_support import picture
from hotline.intake.evidence import evidence_prepare
from hotline.intake.services import ReportInput, report_submit
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
    browser = session.context.browser
    assert browser is not None
    audit = browser.new_context(java_script_enabled=True, bypass_csp=True)
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


def test_a_liaison_downloads_a_package_that_verifies(
    browser_session: Callable[..., Session], tmp_path: Path, settings: object
) -> None:
    settings.HOTLINE_AUDIT_DIR = tmp_path / "audit-keys"  # type: ignore[attr-defined]
    report = report_submit(
        data=ReportInput(
            reporter_role="myself",
            categories=["sextortion"],
            narrative="គេគំរាមខ្ញុំ He asked for money.",
            keep_original_for_police=True,
        ),
        evidence=[evidence_prepare(filename="a.png", data=picture(3))],
    ).report
    liaison = make_staff("liaison", role="liaison")
    session = browser_session(name="referral", locale="en-GB", javascript=False)
    page = session.page
    page.set_viewport_size({"width": 1366, "height": 768})
    browser_log_in(page, session.base_url, liaison)
    page.goto(session.url(f"/staff/reports/{report.public_id}/"))
    page.click("#referral-package")
    page.wait_for_selector("#referral-form")
    assert _axe(session, "main") == []
    page.select_option("#id_language", "km")
    page.check("#id_include_evidence")
    with page.expect_download() as download_info:
        page.click("#referral-form button")
    download = download_info.value
    path = tmp_path / download.suggested_filename
    download.save_as(path)

    out = StringIO()
    call_command("verify-package", str(path), stdout=out)
    assert out.getvalue().startswith("OK: package ")
    assert session.foreign == []
