"""assess_report: checked codes, history kept, stale edits and missing permission refused."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django_q.models import OrmQ

from assessment_support import VALUES
from hotline.accounts.permissions import Role
from hotline.assessment.models import Assessment
from hotline.assessment.selectors import report_assessments
from hotline.assessment.services import StaleAssessment, UnknownCode, assess_report
from hotline.audit.models import AuditEvent
from hotline.intake.models import Report
from hotline.intake.services import ReportInput, report_submit
from staff_login import make_staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def report() -> Report:
    return report_submit(
        data=ReportInput(reporter_role="myself", categories=["sextortion"]), evidence=[]
    ).report


def test_assessing_twice_keeps_the_first_as_history(report: Report) -> None:
    analyst = make_staff("analyst").user
    first = assess_report(actor=analyst, report=report, values=VALUES, expected_version=0)
    second = assess_report(
        actor=analyst, report=report, values={**VALUES, "severity": "b"}, expected_version=1
    )
    assert (first.version, second.version) == (1, 2)
    rows = list(Assessment.objects.filter(report=report).order_by("version"))
    assert [(r.version, r.current, r.values["severity"]) for r in rows] == [
        (1, False, "c"),
        (2, True, "b"),
    ]
    history = report_assessments(report=report)
    assert history[0].labels[4] == (
        "Severity category",
        "B: non-penetrative sexual activity",
        "ខ៖ សកម្មភាពផ្លូវភេទមិនជ្រៀតចូល",
    )
    events = AuditEvent.objects.filter(action="report.assess", target_id=str(report.public_id))
    assert [e.details["version"] for e in events.order_by("pk")] == [1, 2]
    # Reports of the same picture that came in earlier get the assessment in the background.
    assert OrmQ.objects.count() == 2


def test_a_stale_version_is_refused_and_changes_nothing(report: Report) -> None:
    one, two = make_staff("one").user, make_staff("two").user
    assess_report(actor=one, report=report, values=VALUES, expected_version=0)
    with pytest.raises(StaleAssessment, match="Someone else assessed this report"):
        assess_report(
            actor=two, report=report, values={**VALUES, "gender": "male"}, expected_version=0
        )
    assert Assessment.objects.filter(report=report).count() == 1
    assert Assessment.objects.get(report=report, current=True).assessed_by == one


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({**VALUES, "severity": "z"}, "“z” is not a value of “Severity category”"),
        ({**VALUES, "colour": "red"}, "“colour” is not part of the classification scheme"),
        ({k: v for k, v in VALUES.items() if k != "gender"}, "Choose a value for “Victim gender”"),
        ({**VALUES, "gender": ""}, "Choose a value for “Victim gender”"),
        ({**VALUES, "gender": ["female"]}, "is not a value of “Victim gender”"),
        ({**VALUES, "severity": "x" * 5000}, "is not a value of"),
    ],
)
def test_unknown_or_missing_codes_are_refused(
    report: Report, values: dict[str, object], message: str
) -> None:
    analyst = make_staff("analyst").user
    with pytest.raises(UnknownCode, match=message):
        assess_report(actor=analyst, report=report, values=values, expected_version=0)
    assert not Assessment.objects.exists()
    assert not AuditEvent.objects.filter(action="report.assess").exists()


def test_a_role_without_classify_cannot_assess(report: Report) -> None:
    caseworker = make_staff("cw", role=Role.CASEWORKER).user
    with pytest.raises(PermissionDenied):
        assess_report(actor=caseworker, report=report, values=VALUES, expected_version=0)
    assert not Assessment.objects.exists()
