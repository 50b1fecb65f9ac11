"""When every target of a report is removed, the reporter's status page says so (Khmer and
English), and staff see the time to removal."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.template.loader import render_to_string
from django.test import Client
from django.utils import timezone, translation
from recheck_support import target_for

from hotline.intake.choices import CaseState
from hotline.intake.models import Report
from hotline.intake.reporter_status import CONTENT_REMOVED, WORDING
from hotline.intake.services import ReportInput, report_submit
from hotline.takedown.models import Target
from hotline.takedown.removal import duration_text, report_removal_summary

pytestmark = pytest.mark.django_db


def _submitted(state: str = CaseState.NOTICE_SENT):  # type: ignore[no-untyped-def]
    submitted = report_submit(
        data=ReportInput(reporter_role="myself", categories=["sextortion"]), evidence=[]
    )
    Report.objects.filter(pk=submitted.report.pk).update(status=state)
    submitted.report.refresh_from_db()
    return submitted


def _page(code: str, language: str) -> str:
    client = Client()
    client.cookies["hotline_lang"] = language
    response = client.post("/status/", {"code": code}, follow=True)
    assert response.status_code == 200
    return response.content.decode()


def _remove(target: Target, hours: float) -> None:
    assert target.first_noticed_at is not None
    Target.objects.filter(pk=target.pk).update(
        state="removed", removed_at=target.first_noticed_at + timedelta(hours=hours)
    )


@pytest.mark.parametrize("language", ["en", "km"])
def test_the_status_page_says_removed_only_when_every_target_is_removed(language: str) -> None:
    submitted = _submitted()
    noticed = timezone.now() - timedelta(days=3)
    first = target_for(submitted.report, "https://one.example/a", noticed_at=noticed)
    second = target_for(submitted.report, "https://two.example/b", noticed_at=noticed)
    with translation.override(language):
        removed_title = str(CONTENT_REMOVED.title)
        sent_title = str(WORDING[CaseState.NOTICE_SENT].title)
    if language == "km":
        with translation.override("en"):
            assert removed_title != str(CONTENT_REMOVED.title), "no Khmer translation"

    _remove(first, 5)
    page = _page(submitted.receipt_code, language)
    assert sent_title in page
    assert removed_title not in page

    _remove(second, 30)
    page = _page(submitted.receipt_code, language)
    assert f'<p class="status" id="report-status">{removed_title}</p>' in page


def test_a_report_without_targets_or_still_being_assessed_is_never_said_removed() -> None:
    bare = _submitted()
    assert "has been removed" not in _page(bare.receipt_code, "en")
    early = _submitted(CaseState.IN_REVIEW)
    target = target_for(early.report, "https://three.example/c")
    _remove(target, 1)
    assert "has been removed" not in _page(early.receipt_code, "en")


def test_staff_see_the_time_to_removal_of_each_target_and_of_the_report() -> None:
    submitted = _submitted()
    noticed = timezone.now() - timedelta(days=3)
    first = target_for(submitted.report, "https://one.example/a", noticed_at=noticed)
    second = target_for(submitted.report, "https://two.example/b", noticed_at=noticed)
    _remove(first, 5)
    summary = report_removal_summary(submitted.report)
    assert not summary.all_removed
    assert summary.time_to_removal is None
    _remove(second, 30.5)
    summary = report_removal_summary(submitted.report)
    assert summary.all_removed
    assert [t.time_to_removal for t in summary.targets] == [
        timedelta(hours=5),
        timedelta(hours=30, minutes=30),
    ]
    assert summary.time_to_removal == timedelta(hours=30, minutes=30)
    html = render_to_string("takedown/_removal.html", {"removal": summary})
    assert "All content removed" in html
    assert "1 d 6 h" in html
    assert "5 h 0 min" in html
    assert "one.example" not in html  # no identifier in this block


def test_durations_read_in_days_hours_and_minutes() -> None:
    assert duration_text(None) == ""
    assert duration_text(timedelta(minutes=12, seconds=59)) == "12 min"
    assert duration_text(timedelta(hours=3, minutes=10)) == "3 h 10 min"
    assert duration_text(timedelta(days=2, hours=5, minutes=1)) == "2 d 5 h"


def test_the_staff_report_page_shows_the_takedown_block() -> None:
    from staff_login import staff_client

    submitted = _submitted()
    target = target_for(
        submitted.report, "https://one.example/a", noticed_at=timezone.now() - timedelta(days=1)
    )
    _remove(target, 7)
    client, _ = staff_client("analyst1", role="analyst")

    page = client.get(f"/staff/reports/{submitted.report.public_id}/").content.decode()

    assert 'id="takedown-removal-title"' in page
    assert "All content removed" in page
    assert "7 h 0 min" in page
