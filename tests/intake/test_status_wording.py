"""The status page tells the reporter each state in plain, kind words, in Khmer and English."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone, translation

from hotline.cases.services import report_claim
from hotline.intake.choices import CaseState
from hotline.intake.models import Report
from hotline.intake.reporter_status import WORDING
from hotline.intake.services import ReportInput, report_submit
from staff_login import make_staff

pytestmark = pytest.mark.django_db

NOT_TOLD = {
    "en": "We do not give your name or how to reach you to the police, your parents, your school",
    "km": "យើងមិនផ្តល់ឈ្មោះរបស់អ្នក ឬរបៀបទាក់ទងអ្នក ទៅប៉ូលិស ឪពុកម្តាយរបស់អ្នក",
}
NOT_AUTOMATIC = {
    "en": "Nothing is sent to the police automatically.",
    "km": "គ្មានអ្វីត្រូវបានផ្ញើទៅប៉ូលិសដោយស្វ័យប្រវត្តិទេ។",
}


def _status_page(language: str, state: str, *, age_hours: float = 0) -> str:
    submitted = report_submit(
        data=ReportInput(reporter_role="myself", categories=["sextortion"]), evidence=[]
    )
    created = timezone.now() - timedelta(hours=age_hours)
    Report.objects.filter(pk=submitted.report.pk).update(status=state, created_at=created)
    client = Client()
    client.cookies["hotline_lang"] = language
    response = client.post("/status/", {"code": submitted.receipt_code}, follow=True)
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.parametrize("language", ["en", "km"])
@pytest.mark.parametrize("state", list(CaseState))
def test_every_state_is_told_in_the_readers_language(language: str, state: CaseState) -> None:
    page = _status_page(language, state)
    wording = WORDING[state]
    with translation.override(language):
        title, following = str(wording.title), str(wording.next)
    if language == "km":
        with translation.override("en"):
            assert title != str(wording.title), "no Khmer translation"
    assert f'<p class="status" id="report-status">{title}</p>' in page
    assert f'<p id="report-next">{following}</p>' in page
    assert NOT_TOLD[language] in page
    assert NOT_AUTOMATIC[language] in page


def test_reporter_sees_no_internal_words_or_staff_names() -> None:
    staff = make_staff("analyst_sokha").user
    for state in CaseState:
        submitted = report_submit(
            data=ReportInput(reporter_role="myself", categories=["child_images"]), evidence=[]
        )
        report_claim(actor=staff, report_id=submitted.report.pk)
        Report.objects.filter(pk=submitted.report.pk).update(status=state)
        client = Client()
        client.cookies["hotline_lang"] = "en"
        page = client.post("/status/", {"code": submitted.receipt_code}, follow=True)
        text = page.content.decode()
        for word in ["CSAM", "analyst_sokha", "assigned", f">{state.label}<", "Closed:"]:
            assert word not in text, (state, word)


def test_a_new_report_says_by_when_we_aim_to_start(settings: object) -> None:
    settings.HOTLINE_TRIAGE_DEADLINE_HOURS = 24  # type: ignore[attr-defined]
    page = _status_page("en", "received")
    by = timezone.localtime(timezone.now() + timedelta(hours=24))
    assert f"We aim to start on it by {by.day} {by.strftime('%B %Y')}, " in page


def test_the_khmer_page_writes_by_when_in_khmer_digits() -> None:
    page = _status_page("km", "received")
    expect = re.search(r'<p id="report-expect">(.*?)</p>', page, re.S)
    assert expect is not None
    assert "យើងមានគោលដៅចាប់ផ្តើម" in expect.group(1)
    assert re.search("[០-៩]", expect.group(1))
    assert not re.search("[0-9]", expect.group(1))


def test_a_late_report_says_so_kindly_instead_of_a_past_date() -> None:
    page = _status_page("km", "received", age_hours=30)
    assert "យើងមិនបានភ្លេចរបាយការណ៍របស់អ្នកទេ។" in page
    assert 'id="report-expect"' in page
    assert "យើងមានគោលដៅចាប់ផ្តើម" not in page


def test_referred_to_police_says_their_contact_details_were_not_given() -> None:
    page = _status_page("en", "referred_police")
    assert "We have passed your report to the police." in page
    assert "We have not given them your name or how to reach you." in page
    assert 'id="report-expect"' not in page  # no date promised once someone is on it
