"""Reads of the retention rules: which rule applies to a report, which reports have expired."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Exists, OuterRef, Q

from hotline.intake.models import Message, Report
from hotline.retention.models import CLOSED_STATES, PurgedReport, RetentionRule
from hotline.support.models import CaseState as SupportCaseState
from hotline.support.models import SupportCase


@dataclass(frozen=True)
class Applied:
    """The rule that decides how long one report keeps its personal data."""

    state: str
    category: str
    keep_days: int


def rules_by_state() -> dict[str, list[RetentionRule]]:
    """Return every rule, grouped by state."""
    grouped: dict[str, list[RetentionRule]] = {}
    for rule in RetentionRule.objects.all():
        grouped.setdefault(rule.state, []).append(rule)
    return grouped


def rule_for(report: Report, rules: dict[str, list[RetentionRule]]) -> Applied | None:
    """Return the rule for `report`: the longest of those naming its state and one of its
    categories or any category; None while open or without a rule (kept)."""
    if report.status not in {s.value for s in CLOSED_STATES}:
        return None
    categories = set(report.categories or [])
    matching = [
        r for r in rules.get(report.status, []) if not r.category or r.category in categories
    ]
    if not matching:
        return None
    longest = max(matching, key=lambda r: (r.keep_days, r.category))
    return Applied(state=longest.state, category=longest.category, keep_days=longest.keep_days)


def reports_expired(*, now: datetime, limit: int) -> list[tuple[Report, Applied]]:
    """Return up to `limit` closed, not yet purged reports whose rule's time has passed.

    A report whose reporter wrote within HOTLINE_RETENTION_GRACE_DAYS, or whose support case is
    still open, is left for later. The
    database narrows by state, shortest rule and grace; the exact rule is applied here.
    """
    rules = rules_by_state()
    if not rules:
        return []
    shortest = min(rule.keep_days for group in rules.values() for rule in group)
    grace_start = now - timedelta(days=settings.HOTLINE_RETENTION_GRACE_DAYS)
    recent_reporter = Message.objects.filter(
        report=OuterRef("pk"), author=Message.Author.REPORTER, created_at__gt=grace_start
    )
    open_support_case = SupportCase.objects.filter(report=OuterRef("pk")).exclude(
        state=SupportCaseState.CLOSED
    )
    candidates = (
        Report.objects.filter(
            status__in=list(rules), updated_at__lte=now - timedelta(days=shortest)
        )
        .exclude(Exists(PurgedReport.objects.filter(report=OuterRef("pk"))))
        .exclude(Exists(recent_reporter))
        # A caseworker still helping the victim keeps the report whole until the support case
        # closes (docs/decisions/retention.md): the analysts' closing is not the end of it.
        .exclude(Exists(open_support_case))
        .order_by("updated_at", "pk")
        .only("pk", "public_id", "status", "categories", "updated_at")
    )
    found: list[tuple[Report, Applied]] = []
    for report in candidates.iterator(chunk_size=500):
        applied = rule_for(report, rules)
        if applied is not None and report.updated_at <= now - timedelta(days=applied.keep_days):
            found.append((report, applied))
            if len(found) >= limit:
                break
    return found


def purges_unfinished() -> list[PurgedReport]:
    """Return purges whose files a killed run left on disk."""
    return list(PurgedReport.objects.filter(~Q(files_pending=[])).order_by("pk"))
