"""The triage queue: reports worst first, filtered, with why each one ranks where it does."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import Q, QuerySet
from django.utils import timezone, translation

from hotline.assessment.models import Assessment
from hotline.cases.models import ReplyWaiting
from hotline.cases.workflow import ACTION_STATES, CLOSED_STATES, OPEN_STATES
from hotline.intake.choices import AgeRange, CaseState, Category, Platform, Source
from hotline.intake.models import Report
from hotline.triage.forms import CARRIED, REPLIED, UNKNOWN_AGE
from hotline.triage.scoring import explain

LANGUAGES = {"km": "Khmer", "en": "English"}
_GROUPS = {"acted": ACTION_STATES, "closed": CLOSED_STATES}


def _list_has(field: str, code: str) -> Q:
    # A JSON list of closed-list codes. PostgreSQL answers `contains` on jsonb; SQLite has no
    # such lookup, so there the list's text is searched for the quoted code (codes are
    # [a-z0-9_] only, so no code is another's part once quoted).
    if connection.vendor == "postgresql":
        return Q(**{f"{field}__contains": [code]})
    return Q(**{f"{field}__icontains": f'"{code}"'})


def queue_reports(filters: dict[str, Any]) -> QuerySet[Report]:
    """Return reports for the queue: highest priority first, then longest waiting.

    `filters` are a QueueFilterForm's cleaned data (an empty dict: the default queue, the
    reports waiting for a decision). Callers check that the user is staff.
    """
    reports = Report.objects.select_related("assignment__assignee", "reply_waiting")
    state = filters.get("state") or "open"
    replied = ReplyWaiting.objects.values("report_id")
    if state == "open":
        # A reporter's reply brings a report back whatever its state (a notice sent, a referral
        # made): it waits for an analyst until someone deals with it (hotline.cases).
        reports = reports.filter(Q(status__in=OPEN_STATES) | Q(pk__in=replied))
    elif state == REPLIED:
        reports = reports.filter(pk__in=replied)
    elif state in _GROUPS:
        reports = reports.filter(status__in=_GROUPS[state])
    if state in ("open", CARRIED):
        # A report whose assessment was carried forward from an earlier report of the same
        # picture or link is not shown among those waiting: nobody has to see that image
        # twice. It has its own group, to check, and comes back if an analyst takes it back.
        carried = Assessment.objects.filter(current=True, carried_from__isnull=False)
        if state == CARRIED:
            reports = reports.filter(pk__in=carried.values("report_id"))
        else:
            reports = reports.exclude(pk__in=carried.values("report_id"))
    elif state not in ("all", REPLIED):
        reports = reports.filter(status=state)
    if filters.get("category"):
        reports = reports.filter(_list_has("categories", filters["category"]))
    if filters.get("platform"):
        reports = reports.filter(_list_has("platforms", filters["platform"]))
    age = filters.get("age")
    if age:
        reports = reports.filter(victim_age="" if age == UNKNOWN_AGE else age)
    assignee = filters.get("assignee")
    if assignee == "none":
        reports = reports.filter(assignment__isnull=True)
    elif assignee:
        reports = reports.filter(assignment__assignee__username=assignee)
    if filters.get("language"):
        reports = reports.filter(language=filters["language"])
    if filters.get("channel"):
        reports = reports.filter(source=filters["channel"])
    return reports.order_by("-priority", "created_at", "id")


@dataclass(frozen=True)
class QueueRow:
    """One report as the queue shows it: labels, not codes."""

    report: Report
    state: str
    categories: list[str]
    platforms: list[str]
    age_group: str
    language: str
    channel: str
    assignee: str
    reasons: list[tuple[str, int]]  # (why, weight)
    waiting: str  # time since receipt, e.g. "1 d 4 h"
    overdue: bool
    marks: str = ""  # carried-forward assessment, duplicate or case member (hotline.assessment)
    reply: str = ""  # "the reporter wrote again 2 h ago" while nobody has dealt with it


def waiting_text(delta: timedelta) -> str:
    """Return a duration as days, hours and minutes, the two largest units."""
    minutes = max(0, int(delta.total_seconds() // 60))
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {minutes} min"
    return f"{minutes} min"


def _label(choices: Any, code: str) -> str:
    return str(choices(code).label) if code in choices.values else code


def queue_row(report: Report, *, now: datetime | None = None) -> QueueRow:
    """Return a report's queue row; its clock is red past HOTLINE_TRIAGE_DEADLINE_HOURS."""
    with translation.override("en"):  # staff pages are in English
        return _queue_row(report, now=now)


def _queue_row(report: Report, *, now: datetime | None) -> QueueRow:
    now = now or timezone.now()
    waited = now - report.created_at
    limit = timedelta(hours=settings.HOTLINE_TRIAGE_DEADLINE_HOURS)
    assignment = getattr(report, "assignment", None)
    reasons = []
    for reason in report.priority_reasons or []:
        weight = int(reason.get("weight", 0)) if isinstance(reason, dict) else 0
        reasons.append((explain(reason), weight))
    return QueueRow(
        report=report,
        state=_label(CaseState, report.status),
        categories=[_label(Category, code) for code in report.categories],
        platforms=[_label(Platform, code) for code in report.platforms],
        age_group=str(AgeRange(report.victim_age).label) if report.victim_age else "not given",
        language=LANGUAGES.get(report.language, report.language),
        channel=_label(Source, report.source),
        assignee=assignment.assignee.get_username() if assignment is not None else "",
        reasons=reasons,
        waiting=waiting_text(waited),
        overdue=report.status in OPEN_STATES and waited > limit,
        reply=_reply_text(report, now),
    )


def _reply_text(report: Report, now: datetime) -> str:
    try:
        waiting = report.reply_waiting
    except ReplyWaiting.DoesNotExist:
        return ""
    return f"the reporter wrote again {waiting_text(now - waiting.since)} ago"
