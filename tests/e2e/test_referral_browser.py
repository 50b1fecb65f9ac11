"""The liaison's referral package in a real browser at 1366x768: the button on the report,
the form, a ZIP downloaded that `hotline verify-package` accepts; axe finds nothing."""

from __future__ import annotations

from collections.abc import Callable
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from e2e_support import Session, axe_on_copy

from assessment_support import picture
from hotline.intake.evidence import evidence_prepare
from hotline.intake.services import ReportInput, report_submit
from staff_login import browser_log_in, make_staff

pytestmark = pytest.mark.e2e


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
    assert axe_on_copy(session, selector="main") == []
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
