"""The hotline's published figures: counted by the database, suppressed, frozen when published.

What is published, per quarter (docs/decisions/public-statistics.md): the number of reports
received, and four one-way tables that each split that number: by type, platform, victim age
group and outcome. Every report falls in exactly one row of each table ("more than one type",
"not given"), so each table adds up to the quarter's total: the only number the tables share.

Suppression (hotline.statistics.suppression): counts of 1 to threshold-1 are shown "<5", and
further counts are withheld ("*") until no hidden count can be worked out from its table and the
quarter's total, checked exactly by suppression.recoverable. The tables share only the total,
which is always published (a quarter with fewer reports than the threshold publishes "<5" and no
breakdown), so what one table hides another cannot give back. Any other figure (assessed =
total - waiting, a year's total, a type's yearly total) is a sum of published cells and is shown
only when every part is published: it then says nothing new.

Nothing here reads free text or any date finer than the quarter.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count
from django.db.models.functions import TruncQuarter
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from hotline.accounts.permissions import Action, require
from hotline.audit.services import audit_record
from hotline.intake.choices import AgeRange, CaseState, Category, Platform
from hotline.intake.models import Report
from hotline.statistics.models import PublishedQuarter
from hotline.statistics.suppression import DEFAULT_THRESHOLD, Shown, recoverable, with_margins
from hotline.takedown.models import Target

FIRST_YEAR = 2000

# Short public names (the reporter's form words each choice as a sentence).
TYPE_LABELS: dict[str, Promise] = {
    str(Category.SEXTORTION): _("Sextortion (threats to share images)"),
    str(Category.GROOMING): _("Grooming (an adult asking a child for images or to meet)"),
    str(Category.CHILD_IMAGES): _("Sexual images or videos of a child"),
    str(Category.SELLING_GROUP): _("Groups selling or sharing images of children"),
    str(Category.NONCONSENSUAL): _("Intimate images shared without permission"),
    str(Category.LIVE_ABUSE): _("Live-streamed abuse"),
    str(Category.OTHER): _("Something else"),
    "several": _("More than one type"),
    "not_given": _("Not given"),
}
PLATFORM_LABELS: dict[str, Promise | str] = {
    **{str(code): label for code, label in Platform.choices},
    "several": _("More than one platform"),
    "not_given": _("Not given"),
}
AGE_LABELS: dict[str, Promise] = {
    str(AgeRange.UNDER_13): _("Under 13"),
    str(AgeRange.AGE_13_15): _("13 to 15"),
    str(AgeRange.AGE_16_17): _("16 or 17"),
    str(AgeRange.ADULT): _("18 or older"),
    "unknown": _("Not known"),
}
OUTCOME_LABELS: dict[str, Promise] = {
    "waiting": _("Waiting to be assessed"),
    "closed": _("Assessed: no action possible or needed"),
    "pending": _("Assessed: action being prepared"),
    "actioned": _("Action taken (content not yet removed)"),
    "removed": _("Action taken and content removed"),
}
TABLES: dict[str, tuple[Promise, dict[str, Any]]] = {
    "type": (_("By type"), TYPE_LABELS),
    "platform": (_("By platform"), PLATFORM_LABELS),
    "age": (_("By victim's age"), AGE_LABELS),
    "outcome": (_("By outcome"), OUTCOME_LABELS),
}

_WAITING = {CaseState.RECEIVED, CaseState.IN_REVIEW}
_CLOSED = {CaseState.NO_ACTION, CaseState.OUT_OF_SCOPE, CaseState.DUPLICATE}
_PENDING = {CaseState.ASSESSED}


_QUARTER = re.compile(r"(?P<year>[0-9]{4})-?[Qq](?P<quarter>[0-9])")


class StatisticsError(ValueError):
    """A request for figures that cannot be answered (a bad quarter, one not over yet)."""


def threshold_setting() -> int:
    """The suppression threshold (HOTLINE_STATISTICS_THRESHOLD, default 5, at least 3)."""
    value = int(getattr(settings, "HOTLINE_STATISTICS_THRESHOLD", DEFAULT_THRESHOLD))
    return max(3, value)


@dataclass(frozen=True, order=True)
class QuarterKey:
    year: int
    quarter: int

    def __post_init__(self) -> None:
        if not 1 <= self.quarter <= 4:
            raise StatisticsError("a quarter is 1, 2, 3 or 4")
        if not FIRST_YEAR <= self.year <= 9999:
            raise StatisticsError(f"the year must be between {FIRST_YEAR} and 9999")

    @classmethod
    def parse(cls, text: str) -> QuarterKey:
        """A quarter written like 2026-Q1 (or 2026Q1, 2026-q1)."""
        match = _QUARTER.fullmatch(text.strip())
        if match is None:
            raise StatisticsError(f"{text[:40]!r} is not a quarter: write it like 2026-Q1")
        if match["quarter"] not in "1234":
            raise StatisticsError("a quarter is 1, 2, 3 or 4")
        return cls(int(match["year"]), int(match["quarter"]))

    def __str__(self) -> str:
        return f"{self.year}-Q{self.quarter}"

    def start(self) -> datetime:
        return datetime(self.year, 3 * self.quarter - 2, 1, tzinfo=_zone())

    def end(self) -> datetime:
        if self.quarter == 4:
            return datetime(self.year + 1, 1, 1, tzinfo=_zone())
        return datetime(self.year, 3 * self.quarter + 1, 1, tzinfo=_zone())


def _zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


# ---- counting (the database aggregates; Python only sorts the groups into rows) -------------


@dataclass
class QuarterCounts:
    total: int = 0
    tables: dict[str, Counter[str]] = field(
        default_factory=lambda: {name: Counter() for name in TABLES}
    )


def _one_of(codes: Any, known: Iterable[str]) -> str:
    listed = [str(c) for c in codes] if isinstance(codes, list) else []
    distinct = set(listed)
    if not distinct:
        return "not_given"
    if len(distinct) > 1:
        return "several"
    (code,) = distinct
    return code if code in known else "other"


def _outcome(status: str, *, removed: bool) -> str:
    if removed:
        return "removed"
    if status in _WAITING:
        return "waiting"
    if status in _CLOSED:
        return "closed"
    if status in _PENDING:
        return "pending"
    return "actioned"


def year_counts(year: int, quarters: Sequence[int] = (1, 2, 3, 4)) -> dict[int, QuarterCounts]:
    """The counts of the given quarters of `year` (1-4), in two grouped queries.

    Every report is grouped by what the tables read; the few with a removed takedown target
    are grouped again and moved to "removed" (one EXISTS per report over a million rows was
    most of the time).
    """
    first, last = min(quarters), max(quarters)
    start, end = QuarterKey(year, first).start(), QuarterKey(year, last).end()
    fields = ("q", "categories", "platforms", "victim_age", "status")
    in_period = Report.objects.filter(created_at__gte=start, created_at__lt=end).annotate(
        q=TruncQuarter("created_at", tzinfo=_zone())
    )
    removed_reports = Target.objects.filter(state=Target.State.REMOVED).values("report_id")
    everything = in_period.values(*fields).annotate(n=Count("id")).order_by()
    removed = (
        in_period.filter(pk__in=removed_reports).values(*fields).annotate(n=Count("id")).order_by()
    )
    counts = {q: QuarterCounts() for q in range(first, last + 1)}
    type_codes, platform_codes = set(TYPE_LABELS), set(PLATFORM_LABELS)
    for group in everything:
        quarter = counts[(timezone.localtime(group["q"], _zone()).month - 1) // 3 + 1]
        n = int(group["n"])
        quarter.total += n
        quarter.tables["type"][_one_of(group["categories"], type_codes)] += n
        quarter.tables["platform"][_one_of(group["platforms"], platform_codes)] += n
        age = group["victim_age"] if group["victim_age"] in AGE_LABELS else "unknown"
        quarter.tables["age"][age or "unknown"] += n
        quarter.tables["outcome"][_outcome(group["status"], removed=False)] += n
    for group in removed:
        quarter = counts[(timezone.localtime(group["q"], _zone()).month - 1) // 3 + 1]
        n = int(group["n"])
        quarter.tables["outcome"][_outcome(group["status"], removed=False)] -= n
        quarter.tables["outcome"]["removed"] += n
    return {q: counts[q] for q in quarters}


# ---- suppression ---------------------------------------------------------------------------


def _cell(code: str, value: int, shown: Shown, threshold: int) -> dict[str, Any]:
    text = {Shown.PUBLISHED: str(value), Shown.SMALL: f"<{threshold}", Shown.WITHHELD: "*"}
    return {
        "code": code,
        "value": value if shown is Shown.PUBLISHED else None,
        "shown": str(shown),
        "text": text[shown],
    }


def split_shown(counts: Sequence[int], threshold: int) -> list[Shown] | None:
    """How to show the parts of a published total, or None when no safe way exists.

    The total (the sum) is published. Small parts are shown "<threshold"; then the smallest
    published part of at least the threshold is withheld while any hidden part can be worked
    out. Recoverability is suppression.recoverable on the one-column table with its margins.
    """
    grid = with_margins([[c] for c in counts])
    states = [Shown.SMALL if 0 < c < threshold else Shown.PUBLISHED for c in counts]
    while True:
        shown = [[s, s] for s in states] + [[Shown.PUBLISHED, Shown.PUBLISHED]]
        exposed = any(
            state is not Shown.PUBLISHED and recoverable(grid, shown, threshold, (i, 0))
            for i, state in enumerate(states)
        )
        if not exposed:
            return states
        usable = [
            i for i, s in enumerate(states) if s is Shown.PUBLISHED and counts[i] >= threshold
        ]
        if not usable:
            return None
        states[min(usable, key=lambda i: (counts[i], i))] = Shown.WITHHELD


def quarter_figures(counts: QuarterCounts, threshold: int) -> dict[str, Any]:
    """What may be published about one quarter (no hidden value is kept in the result)."""
    total_small = 0 < counts.total < threshold
    total = _cell("total", counts.total, Shown.SMALL if total_small else Shown.PUBLISHED, threshold)
    if total_small:
        return {"threshold": threshold, "total": total, "tables": None}
    tables: dict[str, list[dict[str, Any]] | None] = {}
    for name, (_title, labels) in TABLES.items():
        codes = list(labels)
        values = [counts.tables[name][code] for code in codes]
        states = split_shown(values, threshold)
        tables[name] = (
            None
            if states is None
            else [
                _cell(code, value, state, threshold)
                for code, value, state in zip(codes, values, states, strict=True)
            ]
        )
    return {"threshold": threshold, "total": total, "tables": tables}


def derived_outcomes(figures: dict[str, Any]) -> dict[str, int | None]:
    """Assessed, actioned and removed: sums of published cells, None when a part is hidden."""
    total = figures["total"]["value"]
    table = (figures.get("tables") or {}).get("outcome")
    if total is None or table is None:
        return {"assessed": None, "actioned": None, "removed": None}
    values = {cell["code"]: cell["value"] for cell in table}

    def known(*codes: str) -> int | None:
        parts = [values.get(code) for code in codes]
        return None if any(p is None for p in parts) else sum(p for p in parts if p is not None)

    return {
        "assessed": known("closed", "pending", "actioned", "removed"),
        "actioned": known("actioned", "removed"),
        "removed": known("removed"),
    }


# ---- publishing ----------------------------------------------------------------------------


class AlreadyPublished(StatisticsError):
    pass


def quarter_publish(*, actor: Any, key: QuarterKey) -> PublishedQuarter:
    """Freeze and publish one finished quarter's figures (administrators; audited).

    A published quarter is never recomputed nor replaced: a second, slightly different version
    would let anyone subtract the two and find the few reports that changed.
    """
    require(actor, Action.MANAGE_SETTINGS)
    if key.end() > timezone.now():
        raise StatisticsError(f"{key} is not over yet: publish it after it ends")
    threshold = threshold_setting()
    figures = quarter_figures(year_counts(key.year, [key.quarter])[key.quarter], threshold)
    try:
        with transaction.atomic():
            published = PublishedQuarter.objects.create(
                year=key.year,
                quarter=key.quarter,
                threshold=threshold,
                figures=figures,
                published_at=timezone.now(),
                published_by=actor,
            )
            audit_record(
                actor=actor,
                action="statistics.publish",
                target_type="statistics_quarter",
                target_id=str(key),
                details={"threshold": threshold},
            )
    except IntegrityError as exc:
        raise AlreadyPublished(
            f"{key} is already published (published figures never change)"
        ) from exc
    return published


def published_quarters() -> list[PublishedQuarter]:
    """Every published quarter, newest first."""
    return list(PublishedQuarter.objects.order_by("-year", "-quarter"))


def quarter_figures_for_year(year: int) -> dict[int, tuple[dict[str, Any], bool]]:
    """Each quarter's figures for the annual report: the published snapshot when there is one
    (so the report agrees with the public page), else computed now; True when published."""
    if not FIRST_YEAR <= year <= 9999:
        raise StatisticsError(f"the year must be between {FIRST_YEAR} and 9999")
    snapshots = {p.quarter: p.figures for p in PublishedQuarter.objects.filter(year=year)}
    threshold = threshold_setting()
    missing = [q for q in range(1, 5) if q not in snapshots]
    counts = year_counts(year, missing) if missing else {}
    return {
        q: (snapshots[q], True)
        if q in snapshots
        else (quarter_figures(counts[q], threshold), False)
        for q in range(1, 5)
    }


# ---- rows for pages and downloads ----------------------------------------------------------


@dataclass(frozen=True)
class Row:
    quarter: str
    table: str
    code: str
    label: str
    text: str
    value: int | None


def download_rows(quarters: Iterable[PublishedQuarter]) -> list[Row]:
    """Every published cell, one row each (labels in the active language)."""
    rows: list[Row] = []
    for published in quarters:
        key = f"{published.year}-Q{published.quarter}"
        figures = published.figures
        total = figures["total"]
        rows.append(
            Row(key, "total", "total", str(_("Reports received")), total["text"], total["value"])
        )
        for name, cells in (figures.get("tables") or {}).items():
            if name not in TABLES:
                continue
            labels = TABLES[name][1]
            for cell in cells or []:
                label = str(labels.get(cell["code"], cell["code"]))
                rows.append(Row(key, name, cell["code"], label, cell["text"], cell["value"]))
    return rows
