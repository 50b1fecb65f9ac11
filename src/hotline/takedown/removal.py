"""Reads about removals: whether all of a report's content is gone, and how long it took.

Used by the reporter's status page (only the yes/no of `report_content_removed`) and by the
staff report page (`report_removal_summary`, template `takedown/_removal.html`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import OuterRef, Subquery

from hotline.intake.models import Report
from hotline.takedown.models import LivenessCheck, Target


def report_content_removed(report: Report) -> bool:
    """True when the report has takedown targets and every one of them is removed."""
    states = set(Target.objects.filter(report=report).values_list("state", flat=True))
    return states == {Target.State.REMOVED}


@dataclass(frozen=True)
class TargetRemoval:
    public_id: str
    kind: str
    state: str
    state_label: str
    first_noticed_at: datetime | None
    removed_at: datetime | None
    time_to_removal: timedelta | None
    escalation_level: int
    last_checked_at: datetime | None
    last_outcome: str
    last_detail: str
    needs_analyst: bool  # the last check was refused: the URL now leads somewhere we may not go


@dataclass(frozen=True)
class RemovalSummary:
    targets: list[TargetRemoval]
    all_removed: bool
    # From the first notice to the last removal, when everything is removed.
    time_to_removal: timedelta | None


def duration_text(delta: timedelta | None) -> str:
    """ "2 d 5 h", "3 h 10 min", "12 min"; "" for None."""
    if delta is None:
        return ""
    minutes = int(delta.total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {minutes} min"
    return f"{minutes} min"


def report_removal_summary(report: Report) -> RemovalSummary:
    """Each target of the report: state, time to removal, last check (staff only: callers
    check that the user may see the report)."""
    last = LivenessCheck.objects.filter(target=OuterRef("pk")).order_by("-at", "-id")
    rows = (
        Target.objects.filter(report=report)
        .select_related("entity")
        .annotate(
            last_outcome=Subquery(last.values("outcome")[:1]),
            last_detail=Subquery(last.values("detail")[:1]),
        )
        .order_by("created_at", "id")
    )
    targets: list[TargetRemoval] = []
    for t in rows:
        took = t.removed_at - t.first_noticed_at if t.removed_at and t.first_noticed_at else None
        outcome = t.last_outcome or ""
        targets.append(
            TargetRemoval(
                public_id=str(t.public_id),
                kind=t.entity.get_kind_display(),
                state=t.state,
                state_label=t.get_state_display(),
                first_noticed_at=t.first_noticed_at,
                removed_at=t.removed_at,
                time_to_removal=took,
                escalation_level=t.escalation_level,
                last_checked_at=t.last_checked_at,
                last_outcome=outcome,
                last_detail=t.last_detail or "",
                needs_analyst=t.state == Target.State.ONLINE and outcome == "refused",
            )
        )
    all_removed = bool(targets) and all(t.state == Target.State.REMOVED for t in targets)
    overall = None
    if all_removed:
        starts = [t.first_noticed_at for t in targets if t.first_noticed_at]
        ends = [t.removed_at for t in targets if t.removed_at]
        if starts and ends:
            overall = max(ends) - min(starts)
    return RemovalSummary(targets=targets, all_removed=all_removed, time_to_removal=overall)
