"""Reports with takedown targets for the re-check tests (also imported by child processes)."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.utils import timezone

from hotline.entities.services import entity_get_or_create
from hotline.intake.choices import CaseState
from hotline.intake.models import Report
from hotline.intake.services import ReportInput, report_submit
from hotline.takedown.models import LivenessCheck, Target


def noticed_report(status: str = CaseState.NOTICE_SENT) -> Report:
    report = report_submit(
        data=ReportInput(reporter_role="myself", categories=["sextortion"]), evidence=[]
    ).report
    Report.objects.filter(pk=report.pk).update(status=status)
    report.refresh_from_db()
    return report


def target_for(
    report: Report,
    value: str,
    *,
    noticed_at: datetime | None = None,
    kind: str = "url",
    due_at: datetime | None = None,
) -> Target:
    noticed_at = noticed_at or timezone.now() - timedelta(hours=1)
    return Target.objects.create(
        report=report,
        entity=entity_get_or_create(kind=kind, value=value),
        created_at=noticed_at,
        first_noticed_at=noticed_at,
        next_check_at=due_at or noticed_at,
    )


def earlier_check(target: Target, *, outcome: str, at: datetime, status: int | None = None) -> None:
    LivenessCheck.objects.create(target=target, at=at, outcome=outcome, status_code=status)
