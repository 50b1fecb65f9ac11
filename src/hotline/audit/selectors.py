"""Reads for the audit viewer (administrators: Action.VIEW_AUDIT)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import QuerySet
from django.utils import timezone

from hotline.accounts.models import User
from hotline.accounts.permissions import Action, require
from hotline.audit.models import AuditEvent, VerificationRun
from hotline.audit.services import audit_record

PAGE_SIZE = 50


@dataclass(frozen=True)
class EventFilters:
    """What the viewer narrows the log to (all optional)."""

    actor: str = ""
    action: str = ""
    target_type: str = ""
    target_id: str = ""
    since: date | None = None
    until: date | None = None


@dataclass(frozen=True)
class EventPage:
    events: list[AuditEvent]
    next_before: int | None  # id to pass as `before` for the next (older) page


def _midnight(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min), timezone.get_current_timezone())


def _filtered(filters: EventFilters) -> QuerySet[AuditEvent]:
    events = AuditEvent.objects.all()
    if filters.actor:
        events = events.filter(actor_label=filters.actor)
    if filters.action:
        events = events.filter(action=filters.action)
    if filters.target_type:
        events = events.filter(target_type=filters.target_type)
    if filters.target_id:
        events = events.filter(target_id=filters.target_id)
    # Dates become id bounds (ids grow with time): the pages stay an index walk on id.
    if filters.since is not None:
        first = (
            AuditEvent.objects.filter(at__gte=_midnight(filters.since))
            .order_by("at")
            .values_list("id", flat=True)
            .first()
        )
        events = events.filter(id__gte=first) if first is not None else events.none()
    if filters.until is not None:
        after = (
            AuditEvent.objects.filter(at__gte=_midnight(filters.until + timedelta(days=1)))
            .order_by("at")
            .values_list("id", flat=True)
            .first()
        )
        if after is not None:
            events = events.filter(id__lt=after)
    return events


def audit_events_page(user: User, filters: EventFilters, *, before: int | None = None) -> EventPage:
    """Return one page of events, newest first, older than `before`; the viewing is audited.

    Keyset pagination (id < before): every page costs the same, the millionth event included.
    """
    require(user, Action.VIEW_AUDIT)
    audit_record(
        actor=user,
        action="audit.view",
        target_type="audit",
        details={"filtered": filters != EventFilters(), "page": before is not None},
    )
    events = _filtered(filters)
    if before is not None:
        events = events.filter(id__lt=before)
    rows = list(events.order_by("-id")[: PAGE_SIZE + 1])
    more = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    return EventPage(events=rows, next_before=rows[-1].pk if more else None)


def verification_latest() -> VerificationRun | None:
    """Return the newest verification run, or None."""
    return VerificationRun.objects.order_by("-at").first()
