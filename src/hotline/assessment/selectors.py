"""Reads of assessments and report links (callers check permission; labels, not codes)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from hotline.assessment.models import Assessment, ReportLink
from hotline.assessment.scheme import scheme_at
from hotline.intake.models import Report

HASH = "hash"
URL = "url"
BECAUSE = {
    HASH: "the same picture (identical or near-identical hash)",
    URL: "the same link",
}


def same_content_reports(*, report_id: int) -> dict[int, str]:
    """Return {other report id: HASH or URL} for reports sharing a picture or a link.

    Pictures: hotline.hashing's links between reports (MD5/SHA-256 equal, PDQ within the match
    threshold of hotline.hashing.index), from files or device hashes alike. Links: a canonical
    URL entity named by both reports, rejected by no analyst on either.
    """
    from hotline.entities.models import Kind, ReportEntity
    from hotline.hashing.selectors import linked_report_ids

    found: dict[int, str] = {}
    live = ReportEntity.objects.exclude(state=ReportEntity.State.REJECTED)
    urls = live.filter(report_id=report_id, entity__kind=Kind.URL).values("entity_id")
    for other in (
        live.filter(entity_id__in=urls)
        .exclude(report_id=report_id)
        .values_list("report_id", flat=True)
    ):
        found[other] = URL
    for other in linked_report_ids(report_id=report_id):
        found[other] = HASH  # a picture match says more than a shared link
    return found


@dataclass(frozen=True)
class HistoryRow:
    version: int
    at: datetime
    by: str
    labels: list[tuple[str, str, str]]  # (dimension, English, Khmer)
    carried_from: Report | None
    because: str
    rejected: str  # "" or "by NAME at TIME"
    current: bool


@dataclass(frozen=True)
class LinkInfo:
    kind: str
    primary: Report | None = None  # this report's primary, if it is linked
    members: list[tuple[Report, str]] = field(default_factory=list)  # (member, kind label)


def report_assessments(*, report: Report) -> list[HistoryRow]:
    """Return a report's assessments, newest first, with English labels."""
    rows = []
    qs = (
        Assessment.objects.filter(report=report)
        .select_related("assessed_by", "rejected_by", "carried_from__report")
        .order_by("-version")
    )
    for row in qs:
        rejected = ""
        if row.rejected_at is not None and row.rejected_by is None:
            # hotline.assessment.services._carried_withdraw: its source was taken back.
            rejected = (
                "withdrawn because the assessment it was carried from was taken back, "
                f"at {row.rejected_at:%Y-%m-%d %H:%M}"
            )
        elif row.rejected_at is not None:
            who = row.rejected_by.get_username() if row.rejected_by is not None else "?"
            rejected = f"taken back as not the same by {who} at {row.rejected_at:%Y-%m-%d %H:%M}"
        rows.append(
            HistoryRow(
                version=row.version,
                at=row.assessed_at,
                by=row.assessed_by.get_username() if row.assessed_by is not None else "",
                # The labels of the version it was made under: its codes keep their meaning.
                labels=scheme_at(row.scheme_version).labels(row.values),
                carried_from=row.carried_from.report if row.carried_from is not None else None,
                because=BECAUSE.get(row.carried_because, row.carried_because),
                rejected=rejected,
                current=row.current,
            )
        )
    return rows


def report_last_version(*, report: Report) -> int:
    """Return the version number an assessment form must name (0: never assessed)."""
    last = Assessment.objects.filter(report=report).order_by("-version").first()
    return last.version if last is not None else 0


def report_link_info(*, report: Report) -> LinkInfo:
    """Return the report's link to a primary, or the reports linked to it."""
    link = ReportLink.objects.filter(report=report).select_related("primary").first()
    if link is not None:
        return LinkInfo(kind=str(ReportLink.Kind(link.kind).label), primary=link.primary)
    members = [
        (m.report, str(ReportLink.Kind(m.kind).label))
        for m in ReportLink.objects.filter(primary=report).select_related("report")
    ]
    return LinkInfo(kind="", members=members)


def queue_marks(report_ids: list[int]) -> dict[int, str]:
    """Return {report id: mark} for queue rows: carried assessments and linked reports."""
    marks: dict[int, str] = {}
    for report_id in Assessment.objects.filter(
        report_id__in=report_ids, current=True, carried_from__isnull=False
    ).values_list("report_id", flat=True):
        marks[report_id] = "assessment carried forward"
    for report_id, kind, primary in ReportLink.objects.filter(report_id__in=report_ids).values_list(
        "report_id", "kind", "primary__public_id"
    ):
        text = f"{ReportLink.Kind(kind).label} {str(primary)[:8]}"
        marks[report_id] = f"{marks[report_id]}; {text}" if report_id in marks else text
    return marks
