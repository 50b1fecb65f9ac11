"""A caseworker works a support case in a real browser at 1366x768 without JavaScript: the
list shows the due follow-up first, the case page takes consent, a note and a follow-up, a
date in the past is refused clearly; axe-core finds nothing on either page."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from django.utils import timezone
from e2e_support import Session, axe_on_copy

from hotline.directory.models import SupportService
from hotline.intake.services import ReportInput, report_submit
from hotline.support import services
from staff_login import browser_log_in, make_staff

pytestmark = pytest.mark.e2e


def _fits(session: Session) -> bool:
    return bool(
        session.page.evaluate(
            "() => document.documentElement.scrollWidth <= document.documentElement.clientWidth"
        )
    )


def test_a_caseworker_works_a_case_at_1366_by_768(
    browser_session: Callable[..., Session],
) -> None:
    staff = make_staff("carla", role="caseworker")
    SupportService.objects.create(name_en="Kind Counselling", kind="counselling", phone="023 1")
    report = report_submit(
        data=ReportInput(
            reporter_role="myself",
            categories=["sextortion"],
            help_wanted=["counsellor"],
            contact="012 345 678",
            consent_contact=True,
        ),
        evidence=[],
    ).report
    case = services.support_case_for_report(report_id=report.pk)
    assert case is not None
    services.support_case_assign(actor=staff.user, case=case, assignee=staff.user)
    services.follow_up_add(actor=staff.user, case=case, due_on=timezone.localdate())

    session = browser_session(name="support", locale="en-GB", javascript=False)
    page = session.page
    page.set_viewport_size({"width": 1366, "height": 768})
    browser_log_in(page, session.base_url, staff)
    page.goto(session.url("/staff/support/"))
    assert "1 follow-up of yours is due" in page.inner_text("#support-due")
    assert _fits(session)
    assert axe_on_copy(session, viewport=session.page.viewport_size) == []
    page.click(f"a[href='/staff/support/{case.public_id}/']")
    page.wait_for_url(f"**/staff/support/{case.public_id}/")
    assert _fits(session)
    assert axe_on_copy(session, viewport=session.page.viewport_size) == []

    page.select_option("#id_contact_by", "phone")
    page.select_option("#id_share_with_service", label="Kind Counselling")
    page.click("button:text-is('Record consent')")
    page.wait_for_load_state()
    assert "By phone" in page.inner_text("#support-consent")

    past = (timezone.localdate() - timedelta(days=2)).isoformat()
    page.fill("#id_due_on", past)
    page.click("button:text-is('Plan it')")
    page.wait_for_load_state()
    assert "Choose a date from today on." in page.inner_text("[role=alert]")
    # the page with its error
    assert axe_on_copy(session, viewport=session.page.viewport_size) == []

    page.fill("#id_body", "Talked with her; she wants the counselling ខ្ញុំ")
    page.click("button:text-is('Add the note')")
    page.wait_for_load_state()
    assert "she wants the counselling ខ្ញុំ" in page.content()
    session.shot("case")
    assert session.foreign == []


@pytest.mark.parametrize(("contact", "promise"), [("012 345 678", True), ("", False)])
def test_the_reporters_status_page_words_the_help_in_khmer_at_360_px(
    browser_session: Callable[..., Session], contact: str, promise: bool
) -> None:
    SupportService.objects.create(
        name_en="Kind Counselling", name_km="ការប្រឹក្សាចិត្តល្អ", kind="helpline", phone="1280"
    )
    receipt = report_submit(
        data=ReportInput(
            reporter_role="myself",
            categories=["sextortion"],
            help_wanted=["counsellor"],
            contact=contact,
            consent_contact=bool(contact),
        ),
        evidence=[],
    )
    session = browser_session(name="status-promise" if promise else "status-self-help")
    page = session.page
    page.goto(session.url("/status/"))
    page.fill("input[name=code]", receipt.receipt_code)
    page.click("button.primary")
    page.wait_for_selector("#report-support")
    words = page.inner_text("#report-support")
    assert ("អ្នកប្រឹក្សាម្នាក់នឹងទាក់ទងអ្នក" in words) is promise
    assert ("ការប្រឹក្សាចិត្តល្អ" in words) is not promise
    assert session.scroll_width() <= 360
    session.shot("status")
    assert axe_on_copy(session, viewport=session.page.viewport_size) == []
    assert session.foreign == []
