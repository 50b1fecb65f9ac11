"""The dashboard's figures that day counts cannot give, materialised by the same rollup rebuild.

Times from receipt to assessment and to action are percentiles, which cannot be summed from
days; "clusters growing fastest" ranks cluster labels; hash matches count distinct reports. At
one million reports computing them live took most of the page's time (benchmarks/README.md,
"Staff statistics dashboard"). `rollup_figures_rebuild`, called by
hotline.statistics.rollup.rollup_rebuild inside its transaction, stores what they need:

- `DailyWait`: one row per report that reached the milestone, for every report and again for
  each category it has: (local day of receipt, category, kind, wait). No report id: the
  percentiles of any range of days are computed from these rows exactly as live (nearest rank).
- `DailyCluster`: per local day, category and cluster label (clusters of two or more only),
  how many of the day's reports joined it.
- `DailyCount` rows of the dimension "hash_match": per day, category and hash-list category,
  the reports with a match (each report once).

All three are filled by INSERT ... SELECT statements run by the database and replaced whole
with the counts (a report's history and its cluster change after its day). The waits use the
same SQL for "first move into one of the states" and "minus the receipt" as the live figures
(`report_waits`), so rolled and live give identical values (tests/statistics/
test_dashboard_rollup.py, SQLite and PostgreSQL).
"""

from __future__ import annotations

from datetime import date
from typing import Any, Final

from django.db import connection
from django.db.backends.utils import CursorWrapper
from django.db.models import (
    Count,
    DurationField,
    ExpressionWrapper,
    F,
    Min,
    Q,
    QuerySet,
    Sum,
)
from django.db.models.expressions import CombinedExpression
from django.db.models.functions import TruncDate

from hotline.cases.models import CaseEvent
from hotline.entities.models import ReportCluster
from hotline.hashing.models import ReportMatch
from hotline.intake.choices import CaseState
from hotline.intake.models import Report
from hotline.statistics.models import DailyCluster, DailyCount, DailyWait

# The moves that end an assessment: the analyst decided something about the report.
ASSESSED_STATES: Final = frozenset(
    {
        CaseState.ASSESSED,
        CaseState.NOTICE_SENT,
        CaseState.REFERRED_POLICE,
        CaseState.SENT_TO_PARTNER,
        CaseState.CLOSED,
        CaseState.NO_ACTION,
        CaseState.OUT_OF_SCOPE,
        CaseState.DUPLICATE,
    }
)
# The moves that are an action outside the hotline (a notice, a referral, a forward).
ACTION_STATES: Final = frozenset(
    {CaseState.NOTICE_SENT, CaseState.REFERRED_POLICE, CaseState.SENT_TO_PARTNER}
)
# DailyWait.kind -> the states whose first move ends the wait.
WAIT_KINDS: Final = {
    DailyWait.Kind.ASSESSMENT: ASSESSED_STATES,
    DailyWait.Kind.ACTION: ACTION_STATES,
}
HASH_MATCH: Final = "hash_match"  # the DailyCount dimension of hash matches


def _wait(first: str) -> ExpressionWrapper[CombinedExpression]:
    """`first` minus the receipt, as the database computes durations (live and rolled alike)."""
    return ExpressionWrapper(F(first) - F("created_at"), output_field=DurationField())


def report_waits(reports: QuerySet[Report], states: frozenset[CaseState]) -> QuerySet[Any]:
    """Per report of `reports` that moved into one of `states`: the wait from its receipt to
    the first such move (column `wait`)."""
    reached = Q(case_events__kind=CaseEvent.Kind.STATE, case_events__to_state__in=states)
    return (
        reports.filter(reached)
        .values("id", "created_at")
        .annotate(first=Min("case_events__at"))
        .annotate(wait=_wait("first"))
    )


def _elements(alias: str, column: str) -> str:
    """SQL for the elements of the JSON list `r.column`, as rows `alias.value` (per backend)."""
    if connection.vendor == "postgresql":
        return f"jsonb_array_elements_text(r.{column}) AS {alias}(value)"
    return f"json_each(r.{column}) AS {alias}"


def _per_category(select: str, source: str, *, group: str = "", where: str = "") -> list[str]:
    """`select` over every row of `source` (category ""), and again once per category its
    report has (category c.value); grouped by day, category and `group` when one is given.

    Built only from this module's constants and Django's own SQL (parameters kept apart).
    """
    tail = f" WHERE {where}" if where else ""
    elements = _elements("c", "categories")
    every = f"SELECT r.day AS day, '' AS category, {select} FROM {source} AS r{tail}"  # noqa: S608
    each = f"SELECT r.day, c.value, {select} FROM {source} AS r, {elements}{tail}"  # noqa: S608
    if group:
        every += f" GROUP BY r.day, {group}"
        each += f" GROUP BY r.day, c.value, {group}"
    return [every, each]


def _wait_statement() -> tuple[str, tuple[Any, ...]]:
    """One INSERT ... SELECT of every report's waits, both kinds, for all and per category."""
    firsts = {
        f"{kind}_at": Min("case_events__at", filter=Q(case_events__to_state__in=states))
        for kind, states in WAIT_KINDS.items()
    }
    reached = set().union(*WAIT_KINDS.values())
    waits_sql, params = (
        Report.objects.order_by()
        .filter(case_events__kind=CaseEvent.Kind.STATE, case_events__to_state__in=reached)
        .values("id", "created_at", "categories")
        .annotate(day=TruncDate("created_at"), **firsts)
        .annotate(**{f"{kind}_wait": _wait(f"{kind}_at") for kind in WAIT_KINDS})
        .query.sql_with_params()
    )
    parts: list[str] = []
    for kind in WAIT_KINDS:
        parts += _per_category(
            f"'{kind}' AS kind, r.{kind}_wait AS wait", "w", where=f"r.{kind}_wait IS NOT NULL"
        )
    # Not sorted (2,000,000 rows at a million reports): the rows come out by kind, then in the
    # reports' order, which follows their receipt, so a period's rows already sit together on
    # disk. The SQL is built from constants and Django's own SQL only.
    sql = (
        f"WITH w AS ({waits_sql}) "  # noqa: S608
        f"INSERT INTO {DailyWait._meta.db_table} (day, category, kind, wait) "
        f"SELECT day, category, kind, wait FROM ({' UNION ALL '.join(parts)}) AS u"
    )
    return sql, tuple(params)


def _cluster_statement() -> tuple[str, tuple[Any, ...]]:
    """One INSERT ... SELECT of the reports per day and cluster (clusters of two or more)."""
    linked = (
        ReportCluster.objects.order_by()
        .values("label")
        .annotate(members=Count("report_id"))
        .filter(members__gt=1)
        .values("label")
    )
    members_sql, params = (
        ReportCluster.objects.order_by()
        .filter(label__in=linked)
        .values("label", day=TruncDate("report__created_at"), categories=F("report__categories"))
        .query.sql_with_params()
    )
    parts = _per_category("r.label AS label, COUNT(*) AS reports", "w", group="r.label")
    sql = (
        f"WITH w AS ({members_sql}) "  # noqa: S608
        f"INSERT INTO {DailyCluster._meta.db_table} (day, category, label, reports) "
        f"SELECT day, category, label, reports FROM ({' UNION ALL '.join(parts)}) AS u"
    )
    return sql, tuple(params)


def _hash_match_statement() -> tuple[str, tuple[Any, ...]]:
    """One INSERT ... SELECT of the reports with a match per day and hash-list category."""
    matches_sql, params = (
        ReportMatch.objects.order_by()
        .values(
            day=TruncDate("report__created_at"),
            categories=F("report__categories"),
            report_no=F("report_id"),
            list=F("entry__bank__category"),
        )
        .query.sql_with_params()
    )
    parts = _per_category(
        f"'{HASH_MATCH}' AS dimension, r.list AS value, COUNT(DISTINCT r.report_no) AS reports",
        "w",
        group="r.list",
    )
    sql = (
        f"WITH w AS ({matches_sql}) "  # noqa: S608
        f"INSERT INTO {DailyCount._meta.db_table} (day, category, dimension, value, reports) "
        f"SELECT day, category, dimension, value, reports FROM ({' UNION ALL '.join(parts)}) AS u"
    )
    return sql, tuple(params)


def rollup_figures_rebuild(cursor: CursorWrapper) -> None:
    """Replace the waits, cluster growth and hash-match counts from the reports.

    Call only from hotline.statistics.rollup.rollup_rebuild, inside its transaction and after
    it emptied DailyCount (the hash-match rows are DailyCount rows), so the page never sees a
    half-built rollup.
    """
    DailyWait.objects.all().delete()
    DailyCluster.objects.all().delete()
    for sql, params in (_wait_statement(), _cluster_statement(), _hash_match_statement()):
        cursor.execute(sql, params)


# -- what the dashboard reads ----------------------------------------------------------------


def rolled_waits(start: date, end: date, category: str, kind: str) -> QuerySet[DailyWait]:
    """The stored waits (column `wait`) of the reports received on days start..end."""
    return DailyWait.objects.filter(
        kind=kind, category=category, day__gte=start, day__lte=end
    ).order_by()


def rolled_cluster_growth(
    start: date, end: date, category: str, limit: int
) -> list[tuple[int, int]]:
    """(label, reports received on days start..end) of the clusters that gained the most."""
    rows = (
        DailyCluster.objects.filter(category=category, day__gte=start, day__lte=end)
        .values("label")
        .annotate(n=Sum("reports"))
        .order_by("-n", "label")
        .values_list("label", "n")[:limit]
    )
    return [(int(label), int(n)) for label, n in rows]


def rolled_hash_matches(start: date, end: date, category: str) -> dict[str, int]:
    """Reports received on days start..end with a hash match, per hash-list category."""
    rows = (
        DailyCount.objects.filter(
            category=category, dimension=HASH_MATCH, day__gte=start, day__lte=end
        )
        .values("value")
        .annotate(n=Sum("reports"))
        .order_by()
        .values_list("value", "n")
    )
    return {str(value): int(n) for value, n in rows}
