"""Platform scorecards: how each platform answers the hotline's takedown notices.

Per platform, for targets first noticed in a date range: takedown notices sent (by their send
time in the range), targets noticed, targets removed, the median and 90th percentile of the time
to removal (removed_at - first_noticed_at) and how many were still online seven days after the
first notice (counted only for targets noticed at least seven days ago: the others cannot be
known yet). The numbers a hotline shows a platform that does not act.

Counts are one grouped query each. Percentiles: on PostgreSQL `percentile_cont` in the same
grouped query; SQLite has no percentile aggregate, so there one number per removed target (its
time to removal, computed by the database) is read and the same linear interpolation as
`percentile_cont` is done here (docs/decisions/url-list.md).
"""

from __future__ import annotations

import io
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Final

from django.db import connection
from django.db.models import (
    Aggregate,
    Count,
    DurationField,
    ExpressionWrapper,
    F,
    FloatField,
    Func,
    Q,
)

from hotline.accounts.models import User
from hotline.accounts.permissions import Action, require
from hotline.audit.services import audit_record
from hotline.core.csvfile import SafeWriter
from hotline.directory.models import Platform
from hotline.takedown.models import Notice, Target

STILL_ONLINE_AFTER: Final = timedelta(days=7)
DEFAULT_RANGE_DAYS: Final = 90
MAX_RANGE_DAYS: Final = 3660
EARLIEST: Final = date(2000, 1, 1)
NO_PLATFORM: Final = "No platform in the directory"
CSV_HEADER: Final = (
    "platform",
    "notices_sent",
    "targets_noticed",
    "targets_removed",
    "median_hours_to_removal",
    "p90_hours_to_removal",
    "still_online_after_7_days",
)


class ScorecardRangeError(ValueError):
    """A date range that cannot be used (the message says why)."""


@dataclass(frozen=True)
class DateRange:
    first_day: date
    last_day: date

    @property
    def start(self) -> datetime:
        return datetime.combine(self.first_day, time.min, tzinfo=UTC)

    @property
    def end(self) -> datetime:  # exclusive
        return datetime.combine(self.last_day + timedelta(days=1), time.min, tzinfo=UTC)


@dataclass(frozen=True)
class Scorecard:
    platform: str
    notices_sent: int
    targets_noticed: int
    targets_removed: int
    median_hours: float | None
    p90_hours: float | None
    still_online_after_7_days: int


def date_range_check(first_day: date | None, last_day: date | None, *, today: date) -> DateRange:
    """The range to report on: default the last 90 days; raises ScorecardRangeError."""
    last_day = last_day or today
    # Bounds first: a day such as 0001-01-01 must be refused, not overflow the arithmetic.
    latest = today + timedelta(days=1)
    if any(day is not None and not EARLIEST <= day <= latest for day in (first_day, last_day)):
        raise ScorecardRangeError(f"Choose days between {EARLIEST:%Y-%m-%d} and today.")
    first_day = first_day or max(EARLIEST, last_day - timedelta(days=DEFAULT_RANGE_DAYS - 1))
    if first_day > last_day:
        raise ScorecardRangeError("The first day comes after the last day.")
    if (last_day - first_day).days >= MAX_RANGE_DAYS:
        raise ScorecardRangeError("Choose a range of at most ten years.")
    return DateRange(first_day, last_day)


class _Percentile(Aggregate):
    """PostgreSQL's percentile_cont(fraction) WITHIN GROUP (ORDER BY expression)."""

    function = "PERCENTILE_CONT"
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()

    def __init__(self, expression: Any, fraction: float, **extra: Any) -> None:
        super().__init__(expression, fraction=float(fraction), **extra)


def _seconds_to_removal() -> Func:
    """removed_at - first_noticed_at in seconds, computed by the database itself.

    Django's own datetime arithmetic on SQLite calls a Python function for every row; julianday
    is SQLite's built-in (Django stores datetimes there as ISO text in UTC, which it reads).
    """
    if connection.vendor == "postgresql":
        return Func(
            ExpressionWrapper(
                F("removed_at") - F("first_noticed_at"), output_field=DurationField()
            ),
            template="EXTRACT(EPOCH FROM %(expressions)s)",
            output_field=FloatField(),
        )
    return Func(
        F("removed_at"),
        F("first_noticed_at"),
        template="((julianday(%(expressions)s)) * 86400.0)",
        arg_joiner=") - julianday(",
        output_field=FloatField(),
    )


def percentile_cont(sorted_values: list[float], fraction: float) -> float | None:
    """The same interpolated percentile as SQL's percentile_cont, of an ascending list."""
    if not sorted_values:
        return None
    position = fraction * (len(sorted_values) - 1)
    lower = int(position)
    upper = min(lower + 1, len(sorted_values) - 1)
    return sorted_values[lower] + (sorted_values[upper] - sorted_values[lower]) * (position - lower)


def _removal_percentiles(removed: Any) -> dict[int | None, tuple[float | None, float | None]]:
    """Median and 90th percentile of seconds to removal per platform id."""
    if connection.vendor == "postgresql":
        rows = removed.values("platform").annotate(
            p50=_Percentile(_seconds_to_removal(), 0.5),
            p90=_Percentile(_seconds_to_removal(), 0.9),
        )
        return {row["platform"]: (row["p50"], row["p90"]) for row in rows}
    # SQLite: one duration per removed target, ordered by the database, interpolated here.
    durations: dict[int | None, list[float]] = defaultdict(list)
    for platform_id, seconds in (
        removed.annotate(taken=_seconds_to_removal())
        .order_by("platform", "taken")
        .values_list("platform", "taken")
    ):
        durations[platform_id].append(float(seconds))
    return {
        platform_id: (percentile_cont(values, 0.5), percentile_cont(values, 0.9))
        for platform_id, values in durations.items()
    }


def _hours(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds / 3600, 1)


def platform_scorecards(*, actor: User, period: DateRange, now: datetime) -> list[Scorecard]:
    """One scorecard per platform with notices or targets in the period, worst first."""
    require(actor, Action.VIEW_SCORECARDS)
    noticed = Target.objects.filter(
        first_noticed_at__gte=period.start, first_noticed_at__lt=period.end
    )
    late = Q(first_noticed_at__lte=now - STILL_ONLINE_AFTER) & (
        Q(removed_at__isnull=True) | Q(taken__gt=STILL_ONLINE_AFTER.total_seconds())
    )
    counts = {
        row["platform"]: row
        for row in noticed.order_by()
        .alias(taken=_seconds_to_removal())
        .values("platform")
        .annotate(
            noticed=Count("id"),
            removed=Count("id", filter=Q(state=Target.State.REMOVED)),
            late=Count("id", filter=late),
        )
    }
    sent = {
        row["platform"]: row["sent"]
        for row in Notice.objects.filter(
            kind=Notice.Kind.TAKEDOWN,
            sent_at__gte=period.start,
            sent_at__lt=period.end,
        )
        .order_by()
        .values("platform")
        .annotate(sent=Count("id"))
    }
    percentiles = _removal_percentiles(
        noticed.filter(state=Target.State.REMOVED, first_noticed_at__isnull=False).order_by()
    )
    platform_ids = set(counts) | set(sent)
    names = dict(
        Platform.objects.filter(pk__in=[p for p in platform_ids if p is not None]).values_list(
            "pk", "name"
        )
    )
    cards = []
    for platform_id in platform_ids:
        row: dict[str, Any] = dict(counts.get(platform_id) or {})
        p50, p90 = percentiles.get(platform_id, (None, None))
        cards.append(
            Scorecard(
                platform=names.get(platform_id, NO_PLATFORM) if platform_id else NO_PLATFORM,
                notices_sent=sent.get(platform_id, 0),
                targets_noticed=row.get("noticed", 0),
                targets_removed=row.get("removed", 0),
                median_hours=_hours(p50),
                p90_hours=_hours(p90),
                still_online_after_7_days=row.get("late", 0),
            )
        )
    cards.sort(key=lambda c: (-c.still_online_after_7_days, -c.targets_noticed, c.platform))
    return cards


def scorecards_csv(cards: list[Scorecard]) -> str:
    """The scorecards as CSV (through hotline.core.csvfile: platform names come from admins)."""
    out = io.StringIO()
    writer = SafeWriter(out)
    writer.writerow(CSV_HEADER)
    for card in cards:
        writer.writerow(
            [
                card.platform,
                card.notices_sent,
                card.targets_noticed,
                card.targets_removed,
                "" if card.median_hours is None else card.median_hours,
                "" if card.p90_hours is None else card.p90_hours,
                card.still_online_after_7_days,
            ]
        )
    return out.getvalue()


def scorecards_export(*, actor: User, period: DateRange, now: datetime) -> str:
    """The scorecards of a period as CSV; the download is audited (counts only)."""
    cards = platform_scorecards(actor=actor, period=period, now=now)
    audit_record(
        actor=actor,
        action="scorecards.export",
        target_type="scorecards",
        details={
            "first_day": period.first_day.isoformat(),
            "last_day": period.last_day.isoformat(),
            "platforms": len(cards),
        },
    )
    return scorecards_csv(cards)
