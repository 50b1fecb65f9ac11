"""A report of an already assessed picture or link gets that assessment, until an analyst
says it is not the same; the queue sets such reports apart."""

from __future__ import annotations

import pytest

from assessment_support import VALUES, picture, report_with
from hotline.assessment.models import Assessment
from hotline.assessment.services import (
    AssessmentError,
    assess_report,
    assessment_carried_reject,
)
from hotline.assessment.tasks import assessment_carry_to_linked
from hotline.audit.models import AuditEvent
from hotline.hashing.hashers import hash_image_bytes
from hotline.intake.models import Report
from hotline.intake.tasks import report_process
from hotline.triage.selectors import queue_reports
from staff_login import make_staff

pytestmark = pytest.mark.django_db


def processed(report: Report) -> Report:
    report_process(report.pk)
    return report


def assessed(report: Report) -> Assessment:
    analyst = make_staff(f"a{report.pk}").user
    return assess_report(actor=analyst, report=report, values=VALUES, expected_version=0)


def test_second_report_of_the_same_picture_carries_the_first_assessment() -> None:
    first = processed(report_with(picture(1)))
    source = assessed(first)
    second = processed(report_with(picture(1)))
    carried = Assessment.objects.get(report=second, current=True)
    assert carried.carried_from == source
    assert carried.values == VALUES
    assert carried.assessed_by is None
    assert carried.carried_because == "hash"
    assert AuditEvent.objects.filter(
        action="report.assessment_carried", target_id=str(second.public_id)
    ).exists()
    report_process(second.pk)  # redelivered: nothing more
    assert Assessment.objects.filter(report=second).count() == 1


def test_a_different_picture_carries_nothing() -> None:
    first = processed(report_with(picture(1)))
    assessed(first)
    other = processed(report_with(picture(2)))
    assert not Assessment.objects.filter(report=other).exists()


def test_device_hashes_of_the_same_picture_carry_the_assessment() -> None:
    data = picture(3)
    first = processed(report_with(data))
    assessed(first)
    hashed = hash_image_bytes(data)
    # The reporter's device sent the picture's PDQ and no file.
    second = processed(report_with(hashes=[("pdq", hashed.pdq_hex, hashed.quality)]))
    assert Assessment.objects.get(report=second, current=True).carried_from is not None


def test_the_same_link_carries_the_assessment() -> None:
    first = processed(report_with(links=["https://example.org/gallery/123"]))
    assessed(first)
    second = processed(report_with(links=["example.org/gallery/123"]))
    carried = Assessment.objects.get(report=second, current=True)
    assert carried.carried_because == "url"
    third = processed(report_with(links=["https://example.org/gallery/124"]))
    assert not Assessment.objects.filter(report=third).exists()


def test_not_the_same_takes_it_back_and_the_report_returns_to_the_queue() -> None:
    first = processed(report_with(picture(4)))
    assessed(first)
    second = processed(report_with(picture(4)))
    assert second.pk not in set(queue_reports({}).values_list("pk", flat=True))
    assert second.pk in set(queue_reports({"state": "carried"}).values_list("pk", flat=True))

    analyst = make_staff("checker").user
    assessment_carried_reject(actor=analyst, report=second, expected_version=1)
    row = Assessment.objects.get(report=second)
    assert (row.current, row.rejected_by) == (False, analyst)
    assert second.pk in set(queue_reports({}).values_list("pk", flat=True))
    assert not queue_reports({"state": "carried"}).filter(pk=second.pk).exists()
    report_process(second.pk)  # a rerun does not bring the carried assessment back
    assert not Assessment.objects.filter(report=second, current=True).exists()
    with pytest.raises(AssessmentError, match="no carried-forward assessment"):
        assessment_carried_reject(actor=analyst, report=second, expected_version=1)


def test_an_earlier_unassessed_report_gets_the_assessment_when_a_later_one_is_assessed() -> None:
    earlier = processed(report_with(picture(5)))
    later = processed(report_with(picture(5)))
    source = assessed(later)
    assert assessment_carry_to_linked(later.pk) == 1
    assert Assessment.objects.get(report=earlier, current=True).carried_from == source
    assert assessment_carry_to_linked(later.pk) == 0  # safe to run twice


def test_an_analysts_own_assessment_replaces_a_carried_one() -> None:
    first = processed(report_with(picture(6)))
    assessed(first)
    second = processed(report_with(picture(6)))
    mine = assess_report(
        actor=make_staff("own").user,
        report=second,
        values={**VALUES, "severity": "a"},
        expected_version=1,
    )
    assert mine.version == 2
    assert second.pk in set(queue_reports({}).values_list("pk", flat=True))
