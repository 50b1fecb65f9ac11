"""Two analysts saving an assessment of one report at the same moment: one wins, one is told.

The race needs concurrent writers and real connections (transaction=True, a connection per
thread), as in tests/intake/test_api_concurrency.py: PostgreSQL only, since SQLite's in-memory
test database serialises writers. The constraint test below holds the invariant on both.
"""

from __future__ import annotations

import threading

import pytest
from django.db import IntegrityError, connection, connections, transaction
from django.utils import timezone

from assessment_support import VALUES
from hotline.accounts.models import User
from hotline.assessment.models import Assessment
from hotline.assessment.services import StaleAssessment, assess_report
from hotline.intake.models import Report
from hotline.intake.services import ReportInput, report_submit
from staff_login import make_staff


def new_report() -> Report:
    return report_submit(
        data=ReportInput(reporter_role="myself", categories=["sextortion"]), evidence=[]
    ).report


@pytest.mark.django_db
def test_the_database_refuses_two_rows_of_one_version_and_two_current_rows() -> None:
    report = new_report()
    analyst = make_staff("analyst").user
    assess_report(actor=analyst, report=report, values=VALUES, expected_version=0)
    now = timezone.now()
    with pytest.raises(IntegrityError), transaction.atomic():
        Assessment.objects.create(
            report=report, version=1, current=False, values=VALUES, assessed_by=analyst,
            assessed_at=now,
        )  # fmt: skip
    with pytest.raises(IntegrityError), transaction.atomic():
        Assessment.objects.create(
            report=report, version=2, current=True, values=VALUES, assessed_by=analyst,
            assessed_at=now,
        )  # fmt: skip


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="a write race needs concurrent writers (PostgreSQL); SQLite serialises them",
)
def test_simultaneous_assessments_of_one_version_save_exactly_one() -> None:
    report = new_report()
    analysts: list[User] = [make_staff(f"analyst{n}").user for n in range(4)]
    barrier = threading.Barrier(len(analysts))
    outcomes: list[str] = []
    errors: list[BaseException] = []

    def save(user: User) -> None:
        try:
            barrier.wait(timeout=10)
            assess_report(actor=user, report=report, values=VALUES, expected_version=0)
            outcomes.append("saved")
        except StaleAssessment:
            outcomes.append("stale")
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=save, args=(user,)) for user in analysts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    assert sorted(outcomes) == ["saved", "stale", "stale", "stale"]
    assert Assessment.objects.filter(report=report).count() == 1
