"""A daily rollup of report counts, so the dashboard reads thousands of rows, not a million.

`rollup_rebuild` (a periodic job of the workers, hotline.tasks.services.PERIODIC) counts every
report once per local day and value of each dimension (channel, language, age group, gender,
province, state, category, platform, and the total), for every report and again for the reports
of each category, in INSERT ... SELECT statements run by the database, and swaps the result in one
transaction. A report's state changes after its day, so the rollup is rebuilt whole rather than
appended to.

The dashboard reads it for the counts (`rollup_counts`, `rollup_series`) when it has been built
(`rollup_built_at`); before the first build (a new hotline, the tests) the same figures are
computed live from the reports (hotline.statistics.dashboard). The page says how fresh the
rollup is. tests/statistics/test_dashboard_rollup.py checks that both give the same figures.
The same rebuild stores what the other figures need (times to assessment and action, cluster
growth, hash matches): hotline.statistics.rollup_figures.
"""

from __future__ import annotations

import time
from collections import defaultdict
from datetime import date, datetime
from typing import Any

from django.db import connection, transaction
from django.db.models import Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from hotline.intake.models import Report
from hotline.statistics.models import DailyCount, RollupBuild
from hotline.statistics.rollup_figures import rollup_figures_rebuild

# Dimension -> the column of the reports it counts (plain columns, then JSON lists).
PLAIN = {"channel": "source", "language": "language", "age": "victim_age", "outcome": "status"}
# The report form's optional questions about the person harmed ("" when not given).
PLAIN |= {"gender": "victim_gender", "province": "province"}
LISTED = {"category": "categories", "platform": "platforms"}


def _elements(alias: str, column: str) -> str:
    """SQL for the elements of the JSON list `r.column`, as rows `alias.value` (per backend)."""
    if connection.vendor == "postgresql":
        return f"jsonb_array_elements_text(r.{column}) AS {alias}(value)"
    return f"json_each(r.{column}) AS {alias}"


def _statements() -> list[tuple[str, tuple[Any, ...]]]:
    """The INSERT ... SELECT statements that fill the rollup from the reports."""
    base_sql, base_params = (
        Report.objects.order_by()
        .annotate(day=TruncDate("created_at"))
        .values("day", *PLAIN.values(), *LISTED.values())
        .query.sql_with_params()
    )
    table = DailyCount._meta.db_table
    insert = f"INSERT INTO {table} (day, category, dimension, value, reports) "
    selects: list[str] = []
    for dimension, column in [("total", None), *PLAIN.items(), *LISTED.items()]:
        value = "''" if column is None else ("d.value" if dimension in LISTED else f"r.{column}")
        joins = f", {_elements('d', column)}" if dimension in LISTED and column else ""
        group = "" if column is None else f", {value}"
        # Every report, then each category's reports (once per category the report has).
        # Built only from the constants above and Django's own SQL (parameters kept apart).
        selects.append(
            f"SELECT r.day, '', '{dimension}', {value}, COUNT(*) FROM ({base_sql}) AS r{joins} "  # noqa: S608
            f"GROUP BY r.day{group}"
        )
        selects.append(
            f"SELECT r.day, c.value, '{dimension}', {value}, COUNT(*) "  # noqa: S608
            f"FROM ({base_sql}) AS r, {_elements('c', 'categories')}{joins} "
            f"GROUP BY r.day, c.value{group}"
        )
    return [(insert + select, tuple(base_params)) for select in selects]


def rollup_rebuild() -> float:
    """Rebuild the whole rollup from the reports; return the seconds it took."""
    started = time.perf_counter()
    with transaction.atomic():
        DailyCount.objects.all().delete()
        with connection.cursor() as cursor:
            for sql, params in _statements():
                cursor.execute(sql, params)
            # Waits, cluster growth and hash matches, in the same transaction.
            rollup_figures_rebuild(cursor)
        seconds = time.perf_counter() - started
        RollupBuild.objects.update_or_create(
            pk=1, defaults={"built_at": timezone.now(), "seconds": seconds}
        )
    return seconds


def rollup_built_at() -> datetime | None:
    build = RollupBuild.objects.filter(pk=1).first()
    return build.built_at if build else None


def rollup_counts(start: date, end: date, category: str) -> dict[str, dict[str, int]]:
    """Reports of the days start..end (of `category`, or all for ""): dimension -> value -> n."""
    rows = (
        DailyCount.objects.filter(category=category, day__gte=start, day__lte=end)
        .values("dimension", "value")
        .annotate(n=Sum("reports"))
        .order_by()
    )
    counts: dict[str, dict[str, int]] = defaultdict(dict)
    for row in rows:
        counts[row["dimension"]][row["value"]] = int(row["n"])
    return counts


def rollup_days(start: date, end: date, category: str) -> dict[date, int]:
    """Reports per day of start..end (of `category`, or all for "")."""
    rows = DailyCount.objects.filter(
        category=category, dimension="total", day__gte=start, day__lte=end
    ).values_list("day", "reports")
    return dict(rows)
