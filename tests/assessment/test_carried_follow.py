"""Copies carried forward follow their source when it is reassessed, and end when it is taken
back; an analyst's own assessment is never overwritten."""

from __future__ import annotations

import pytest

from assessment_support import VALUES, picture, report_with
from hotline.assessment.models import Assessment
from hotline.assessment.selectors import report_assessments
from hotline.assessment.services import assess_report, assessment_carried_reject
from hotline.audit.models import AuditEvent
from hotline.intake.models import Report
from hotline.intake.tasks import report_process
from hotline.triage.selectors import queue_reports
from staff_login import make_staff

pytestmark = pytest.mark.django_db
SEVERER = {**VALUES, "severity": "a"}


def processed(report: Report) -> Report:
    report_process(report.pk)
    return report


def current(report: Report) -> Assessment:
    return Assessment.objects.get(report=report, current=True)


def test_reassessing_the_source_updates_every_carried_copy_down_the_chain() -> None:
    analyst = make_staff("analyst").user
    source = processed(report_with(picture(11)))
    assess_report(actor=analyst, report=source, values=VALUES, expected_version=0)
    second = processed(report_with(picture(11)))
    third = processed(report_with(picture(11)))
    assert current(second).values == VALUES
    assert current(third).values == VALUES

    new = assess_report(actor=analyst, report=source, values=SEVERER, expected_version=1)

    for copy in (second, third):
        row = current(copy)
        assert row.values == SEVERER
        assert row.carried_from is not None
        assert row.assessed_by is None
        assert row.version == 2  # the first copy stays as history
        assert Assessment.objects.get(report=copy, version=1).current is False
        follows = AuditEvent.objects.filter(
            action="report.assessment_carried", target_id=str(copy.public_id)
        ).order_by("pk")
        assert follows.last().details["follows"] is True  # type: ignore[union-attr]
    # A direct copy points at the new source row; a copy of a copy at its parent's new row.
    parents = {current(second).carried_from_id, current(third).carried_from_id}
    assert new.pk in parents
    # Still set apart from the waiting queue: nobody has to look again.
    waiting = set(queue_reports({}).values_list("pk", flat=True))
    assert second.pk not in waiting
    assert third.pk not in waiting


def test_an_analysts_own_assessment_of_a_copy_is_not_overwritten() -> None:
    analyst = make_staff("analyst").user
    source = processed(report_with(picture(12)))
    assess_report(actor=analyst, report=source, values=VALUES, expected_version=0)
    second = processed(report_with(picture(12)))
    own = {**VALUES, "gender": "male"}
    assess_report(actor=analyst, report=second, values=own, expected_version=1)
    assess_report(actor=analyst, report=source, values=SEVERER, expected_version=1)
    assert current(second).values == own
    assert current(second).assessed_by == analyst


def test_a_copy_taken_back_is_not_brought_back_by_a_reassessment() -> None:
    analyst = make_staff("analyst").user
    source = processed(report_with(picture(13)))
    assess_report(actor=analyst, report=source, values=VALUES, expected_version=0)
    second = processed(report_with(picture(13)))
    assessment_carried_reject(actor=analyst, report=second, expected_version=1)
    assess_report(actor=analyst, report=source, values=SEVERER, expected_version=1)
    assert not Assessment.objects.filter(report=second, current=True).exists()
    assert Assessment.objects.filter(report=second).count() == 1


def test_taking_back_a_copy_withdraws_the_copies_carried_from_it() -> None:
    analyst = make_staff("analyst").user
    source = processed(report_with(picture(14)))
    assess_report(actor=analyst, report=source, values=VALUES, expected_version=0)
    second = processed(report_with(picture(14)))
    # A third report carried from the second's copy (a copy of a copy).
    third = processed(report_with(picture(14)))
    row = current(third)
    row.carried_from = current(second)
    row.save(update_fields=["carried_from"])

    assessment_carried_reject(actor=analyst, report=second, expected_version=1)

    assert not Assessment.objects.filter(report=third, current=True).exists()
    withdrawn = Assessment.objects.get(report=third)
    assert withdrawn.rejected_at is not None
    assert withdrawn.rejected_by is None
    assert AuditEvent.objects.filter(
        action="report.assessment_carry_withdrawn", target_id=str(third.public_id)
    ).exists()
    assert third.pk in set(queue_reports({}).values_list("pk", flat=True))
    assert "withdrawn because" in report_assessments(report=third)[0].rejected
