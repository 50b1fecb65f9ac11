"""Reports with web links, assessed and turned into takedown targets (URL list, scorecards)."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone

from hotline.accounts.models import User
from hotline.assessment.models import Assessment
from hotline.directory.models import Platform
from hotline.entities.models import Kind, ReportEntity
from hotline.entities.services import entity_value, report_entities_extract
from hotline.intake.models import Report
from hotline.intake.services import ReportInput, report_submit
from hotline.takedown.models import Target

VALUES = {
    "report_type": "csam",
    "legal_status": "illegal_international",
    "victim_age": "pubescent",
    "gender": "female",
    "severity": "c",
    "hosting_country": "kh",
    "content_type": "image",
}


def analyst(username: str = "assessor") -> User:
    found = User.objects.filter(username=username).first()
    return found or User.objects.create_user(
        username=username, password="x", is_staff=True, role="analyst"
    )


def report_with_links(*links: str) -> Report:
    data = ReportInput(reporter_role="myself", categories=["sextortion"], links=list(links))
    report = report_submit(data=data, evidence=[]).report
    report_entities_extract(report_id=report.pk)
    return report


def assess(report: Report, legal_status: str, *, carried: bool = False) -> None:
    """Make `legal_status` the report's current assessment (by an analyst unless carried)."""
    last = Assessment.objects.filter(report=report).order_by("-version").first()
    Assessment.objects.filter(report=report, current=True).update(current=False)
    source = None
    if carried:
        other = report_with_links()
        source = Assessment.objects.create(
            report=other,
            version=1,
            values=VALUES,
            assessed_by=analyst(),
            assessed_at=timezone.now(),
        )
    Assessment.objects.create(
        report=report,
        version=(last.version + 1) if last else 1,
        values={**VALUES, "legal_status": legal_status},
        assessed_by=None if carried else analyst(),
        carried_from=source,
        assessed_at=timezone.now(),
    )


def targets_of(
    report: Report,
    *,
    platform: Platform | None = None,
    noticed_at: datetime | None = None,
    removed_at: datetime | None = None,
) -> list[Target]:
    """A takedown target for each web link of the report (noticed, and removed if given)."""
    now = timezone.now()
    made = []
    for link in ReportEntity.objects.filter(report=report, entity__kind=Kind.URL):
        made.append(
            Target.objects.create(
                report=report,
                entity=link.entity,
                platform=platform,
                state=Target.State.REMOVED if removed_at else Target.State.ONLINE,
                created_at=noticed_at or now,
                first_noticed_at=noticed_at,
                removed_at=removed_at,
            )
        )
    return made


def url_of(target: Target) -> str:
    return entity_value(target.entity)
