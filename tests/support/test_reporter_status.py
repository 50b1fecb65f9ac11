"""The status page promises "a counsellor will contact you" only when the reporter asked for
help, agreed to be contacted and left a way to contact; otherwise it says honestly that we
cannot, and how to reach a service themselves (or nothing when they did not ask)."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import translation
from victim_support import help_report, make_user

from hotline.directory.models import SupportService
from hotline.intake.models import Report
from hotline.intake.pipeline import report_pipeline_run
from hotline.intake.selectors import status_view_data
from hotline.intake.services import ReportInput, report_submit
from hotline.support import services
from hotline.support.models import SupportCase

pytestmark = pytest.mark.django_db

PROMISE_EN = "A counsellor will contact you"
PROMISE_KM = "អ្នកប្រឹក្សាម្នាក់នឹងទាក់ទងអ្នក"
CANNOT_EN = "we have no way to contact you"


def _words(report: Report, language: str = "en") -> str:
    with translation.override(language):
        support = status_view_data(Report.objects.get(pk=report.pk)).support
    return "" if support is None else support.text + " ".join(s.name for s in support.services)


def _report_with(help_wanted: list[str], contact: str, consent: bool) -> Report:
    # Built directly (not through the public form, which refuses contact without consent):
    # a partner's API report or a phone report may carry any combination.
    data = ReportInput(
        reporter_role="myself",
        categories=["sextortion"],
        help_wanted=help_wanted,
        contact=contact,
        consent_contact=consent,
    )
    return report_submit(data=data, evidence=[]).report


@pytest.mark.parametrize(
    ("help_wanted", "contact", "consent", "promised"),
    [
        (["counsellor"], "012 345 678", True, True),
        (["legal"], "me@example.org", True, True),
        (["counsellor"], "", True, False),
        (["counsellor"], "   ", True, False),
        (["counsellor"], "012 345 678", False, False),
        (["counsellor"], "", False, False),
        ([], "012 345 678", True, False),
        (["report_only"], "012 345 678", True, False),
    ],
)
def test_the_promise_needs_help_consent_and_contact(
    help_wanted: list[str], contact: str, consent: bool, promised: bool
) -> None:
    SupportService.objects.create(name_en="Kind Counselling", kind="counselling", phone="023 1")
    report = _report_with(help_wanted, contact, consent)
    report_pipeline_run(report_id=report.pk)
    words = _words(report)
    assert (PROMISE_EN in words) is promised
    asked = bool({"counsellor", "legal"} & set(help_wanted))
    if promised:
        assert PROMISE_KM in _words(report, "km")
    elif asked:
        assert CANNOT_EN in words
        assert "Kind Counselling" in words
        assert PROMISE_KM not in _words(report, "km")
    else:
        assert words == ""


def test_without_services_in_the_directory_the_advice_pages_are_named() -> None:
    report = _report_with(["counsellor"], "", False)
    words = _words(report)
    assert CANNOT_EN in words
    assert "advice pages" in words


def test_services_are_named_in_khmer_when_the_page_is_in_khmer() -> None:
    SupportService.objects.create(
        name_en="Kind Counselling", name_km="ការប្រឹក្សាចិត្តល្អ", kind="helpline", phone="1"
    )
    words = _words(_report_with(["counsellor"], "", False), "km")
    assert "ការប្រឹក្សាចិត្តល្អ" in words
    assert "Kind Counselling" not in words


def test_do_not_contact_recorded_later_or_a_closed_case_withdraws_the_promise() -> None:
    caseworker = make_user("caseworker", "carla")
    report = help_report()
    report_pipeline_run(report_id=report.pk)
    assert PROMISE_EN in _words(report)
    case = SupportCase.objects.get(report=report)
    services.consent_record(
        actor=caseworker,
        case=case,
        contact_by="none",
        share_with_police=False,
        share_with_service=None,
    )
    assert PROMISE_EN not in _words(report)
    services.consent_record(
        actor=caseworker,
        case=case,
        contact_by="phone",
        share_with_police=False,
        share_with_service=None,
    )
    assert PROMISE_EN in _words(report)
    services.support_case_close(actor=caseworker, case=case, reason="helped")
    words = _words(report)
    assert PROMISE_EN not in words
    assert "finished following up" in words


def test_the_status_page_shows_the_words(client: Client) -> None:
    data = ReportInput(
        reporter_role="myself",
        categories=["sextortion"],
        help_wanted=["counsellor"],
        contact="012 345 678",
        consent_contact=True,
        language="km",
    )
    receipt = report_submit(data=data, evidence=[])
    response = client.post("/status/", {"code": receipt.receipt_code}, follow=True)
    page = response.content.decode()
    assert response.status_code == 200
    assert 'id="report-support"' in page
    assert PROMISE_KM in page
