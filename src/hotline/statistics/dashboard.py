"""The staff dashboard's figures: every number is an aggregation computed by the database.

Nothing here loads reports into Python: each function is one or a few GROUP BY / COUNT queries
over the reports received in the period (local days, `Filters.start` to `Filters.end`
inclusive), optionally only those of one category.

Categories and platforms are JSON arrays on the report (`["sextortion", "grooming"]`). Counting
by them unnests the array in SQL, one documented function per backend (see `_unnest`):
PostgreSQL `jsonb_array_elements_text`, SQLite `json_each` (the JSON1 functions built into every
SQLite Python ships). A report with two categories counts once under each, so these tables add
up to more than the number of reports (said on the page).

Percentiles (median, 90th) are nearest-rank ("the smallest value with at least p of the values at
or below it", PostgreSQL's `percentile_disc`), computed as ORDER BY ... OFFSET in the database on
both backends, so both give the same figure for the same rows.

Other readers (the public statistics, the annual report) may call these plain functions with a
`Filters`; `dashboard_figures` is the staff entry point and checks the permission.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from typing import Any, Final

from django.db import connection
from django.db.models import (
    BooleanField,
    Count,
    DateField,
    DateTimeField,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    Func,
    OuterRef,
    Q,
    QuerySet,
    Sum,
    Value,
)
from django.db.models.functions import TruncMonth, TruncQuarter, TruncWeek
from django.utils import timezone, translation

from hotline.accounts.models import User
from hotline.accounts.permissions import Action, require
from hotline.entities.models import ReportCluster
from hotline.hashing.models import BankCategory, ReportMatch
from hotline.intake.choices import (
    AgeRange,
    CaseState,
    Category,
    Platform,
    Province,
    Source,
    VictimGender,
)
from hotline.intake.models import Report
from hotline.statistics.models import DailyCount
from hotline.statistics.rollup import rollup_built_at, rollup_counts, rollup_days
from hotline.statistics.rollup_figures import (
    ACTION_STATES,
    ASSESSED_STATES,
    WAIT_KINDS,
    report_waits,
    rolled_cluster_growth,
    rolled_hash_matches,
    rolled_waits,
)
from hotline.takedown.models import Target


class Bucket(StrEnum):
    WEEK = "week"
    MONTH = "month"
    QUARTER = "quarter"


# Most buckets a chart shows: a longer range is drawn with the next coarser bucket.
MAX_BUCKETS: Final = 60


@dataclass(frozen=True)
class Filters:
    """Which reports count: received on local days start..end (inclusive), of one category."""

    start: date
    end: date
    bucket: Bucket = Bucket.MONTH
    category: str = ""  # a Category code, or "" for every category

    @property
    def since(self) -> datetime:
        return timezone.make_aware(datetime.combine(self.start, time.min))

    @property
    def until(self) -> datetime:  # exclusive
        return timezone.make_aware(datetime.combine(self.end + timedelta(days=1), time.min))


@dataclass(frozen=True)
class Row:
    """One line of a table: a code, what staff read, and its count."""

    code: str
    label: str
    count: int


@dataclass(frozen=True)
class Durations:
    """How long something took, over `count` reports (None when there were none)."""

    count: int
    median: timedelta | None
    p90: timedelta | None


@dataclass(frozen=True)
class PlatformTakedown:
    platform: str
    targets: int
    removed: int
    still_online: int
    median_to_removal: timedelta | None
    p90_to_removal: timedelta | None


@dataclass(frozen=True)
class ClusterGrowth:
    label: int  # the cluster's smallest report id (hotline.entities.models.ReportCluster)
    new_reports: int  # received in the period
    total_reports: int


@dataclass(frozen=True)
class QuarterComparison:
    this_label: str
    last_label: str
    rows: list[tuple[str, int, int]]  # (what, this quarter, same quarter last year)


@dataclass(frozen=True)
class DashboardFigures:
    filters: Filters
    total: int
    over_time: list[tuple[date, int]]
    by_category: list[Row]
    by_platform: list[Row]
    by_age: list[Row]
    by_gender: list[Row]
    by_province: list[Row]
    by_language: list[Row]
    by_channel: list[Row]
    by_outcome: list[Row]
    clusters: list[ClusterGrowth]
    hash_matches: list[Row]
    to_assessment: Durations
    to_action: Durations
    takedown: list[PlatformTakedown]
    quarter: QuarterComparison
    notes: list[str] = field(default_factory=list)


def default_filters(today: date | None = None) -> Filters:
    """The dashboard's first view: the last 13 weeks (a quarter) up to today, by week."""
    today = today or timezone.localdate()
    return Filters(
        start=today - timedelta(weeks=13) + timedelta(days=1), end=today, bucket=Bucket.WEEK
    )


def bucket_for(start: date, end: date, wanted: Bucket | None) -> Bucket:
    """The bucket asked for, or the next coarser one when it would draw more than MAX_BUCKETS."""
    order = [Bucket.WEEK, Bucket.MONTH, Bucket.QUARTER]
    days = (end - start).days + 1
    size = {Bucket.WEEK: 7, Bucket.MONTH: 30.4, Bucket.QUARTER: 91.3}
    chosen = wanted or Bucket.WEEK
    for bucket in order[order.index(chosen) :]:
        if days / size[bucket] <= MAX_BUCKETS:
            return bucket
    return Bucket.QUARTER


# -- the reports in the period -------------------------------------------------------------


class HasCategory(Func):
    """True when the JSON list of categories (first argument) holds the second, per backend.

    The column is compiled by Django, so the condition stays right where Django renames the
    table (a subquery: `report_id__in=reports_in(...)`); raw SQL naming `intake_report` broke
    there.
    """

    arity = 2
    output_field = BooleanField()

    def as_sql(  # type: ignore[override]
        self, compiler: Any, connection: Any, **extra_context: Any
    ) -> tuple[str, tuple[Any, ...]]:
        column, column_params = compiler.compile(self.source_expressions[0])
        value, value_params = compiler.compile(self.source_expressions[1])
        if connection.vendor == "postgresql":
            sql = f"{column} @> jsonb_build_array(({value})::text)"
        else:
            # Both parts compiled by Django above: the category is a parameter.
            sql = f"EXISTS (SELECT 1 FROM json_each({column}) WHERE value = {value})"  # noqa: S608
        return sql, (*column_params, *value_params)


def reports_in(filters: Filters) -> QuerySet[Report]:
    """The reports received in the period (and of the category, when one is chosen)."""
    reports = Report.objects.filter(created_at__gte=filters.since, created_at__lt=filters.until)
    if filters.category:
        reports = reports.filter(HasCategory(F("categories"), Value(filters.category)))
    return reports.order_by()


def _bucket_start(day: date, bucket: Bucket) -> date:
    if bucket is Bucket.WEEK:
        return day - timedelta(days=day.weekday())
    if bucket is Bucket.MONTH:
        return day.replace(day=1)
    return day.replace(month=(day.month - 1) // 3 * 3 + 1, day=1)


def _next_bucket(start: date, bucket: Bucket) -> date:
    if bucket is Bucket.WEEK:
        return start + timedelta(days=7)
    months = 1 if bucket is Bucket.MONTH else 3
    month = start.month - 1 + months
    return date(start.year + month // 12, month % 12 + 1, 1)


def bucket_label(start: date, bucket: Bucket) -> str:
    if bucket is Bucket.WEEK:
        return f"week of {start:%Y-%m-%d}"
    if bucket is Bucket.MONTH:
        return f"{start:%Y-%m}"
    return f"{start.year} Q{(start.month - 1) // 3 + 1}"


def reports_over_time(filters: Filters) -> list[tuple[date, int]]:
    """Reports received per bucket, every bucket of the period listed (empty ones as 0)."""
    trunc = {Bucket.WEEK: TruncWeek, Bucket.MONTH: TruncMonth, Bucket.QUARTER: TruncQuarter}[
        filters.bucket
    ]
    counted = (
        reports_in(filters)
        .annotate(bucket=trunc("created_at", output_field=DateTimeField()))
        .values("bucket")
        .annotate(n=Count("id"))
    )
    return _fill(filters, {timezone.localtime(row["bucket"]).date(): row["n"] for row in counted})


def _fill(filters: Filters, found: dict[date, int]) -> list[tuple[date, int]]:
    """Every bucket of the period in order, with its count (0 for an empty one)."""
    filled: list[tuple[date, int]] = []
    start = _bucket_start(filters.start, filters.bucket)
    while start <= filters.end:
        filled.append((start, found.get(start, 0)))
        start = _next_bucket(start, filters.bucket)
    return filled


def _english(label: object) -> str:
    """A closed list's label as staff pages show it (English, whatever the active language)."""
    with translation.override("en"):
        return str(label)


def _rows(counts: dict[str, int], labels: Mapping[str, object]) -> list[Row]:
    """Rows for every known code (0 when absent), then unknown codes, largest first."""
    rows = [Row(code, _english(label), counts.get(code, 0)) for code, label in labels.items()]
    rows += [Row(code, code, n) for code, n in counts.items() if code not in labels]
    return sorted(rows, key=lambda row: (-row.count, row.label))


def reports_by_field(filters: Filters, field_name: str) -> dict[str, int]:
    """Reports per value of a plain column (source, language, victim_age, victim_gender,
    province, status)."""
    counted = reports_in(filters).values(field_name).annotate(n=Count("id"))
    return {str(row[field_name]): row["n"] for row in counted}


def _unnest(column: str) -> str:
    """SQL for the elements of a JSON-array column of intake_report, as rows named `value`."""
    if column not in {"categories", "platforms"}:
        raise ValueError(column)
    if connection.vendor == "postgresql":
        return f"jsonb_array_elements_text(r.{column}) AS element(value)"
    return f"json_each(r.{column}) AS element"


def reports_by_listed(filters: Filters, column: str) -> dict[str, int]:
    """Reports per element of a JSON-array column (categories, platforms), in SQL."""
    ids_sql, params = reports_in(filters).values("id").query.sql_with_params()
    sql = (
        f"SELECT element.value, COUNT(*) FROM intake_report r, {_unnest(column)} "  # noqa: S608
        f"WHERE r.id IN ({ids_sql}) GROUP BY element.value"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {str(value): int(n) for value, n in cursor.fetchall()}


LANGUAGES: Final = {"km": "Khmer", "en": "English"}


def by_category(filters: Filters) -> list[Row]:
    return _rows(reports_by_listed(filters, "categories"), dict(Category.choices))


def by_platform(filters: Filters) -> list[Row]:
    return _rows(reports_by_listed(filters, "platforms"), dict(Platform.choices))


def by_age(filters: Filters) -> list[Row]:
    labels: dict[str, object] = {**dict(AgeRange.choices), "": "Not given"}
    return _rows(reports_by_field(filters, "victim_age"), labels)


def by_gender(filters: Filters) -> list[Row]:
    return _rows(reports_by_field(filters, "victim_gender"), DIMENSION_LABELS["gender"])


def by_province(filters: Filters) -> list[Row]:
    return _rows(reports_by_field(filters, "province"), DIMENSION_LABELS["province"])


def by_language(filters: Filters) -> list[Row]:
    return _rows(reports_by_field(filters, "language"), dict(LANGUAGES))


def by_channel(filters: Filters) -> list[Row]:
    return _rows(reports_by_field(filters, "source"), dict(Source.choices))


def by_outcome(filters: Filters) -> list[Row]:
    return _rows(reports_by_field(filters, "status"), dict(CaseState.choices))


# -- the same counts from the daily rollup (hotline.statistics.rollup), when it is built --------

DIMENSION_LABELS: Final[dict[str, Mapping[str, object]]] = {
    "category": dict(Category.choices),
    "platform": dict(Platform.choices),
    "age": {**dict(AgeRange.choices), "": "Not given"},
    # Optional questions: "" is every report whose reporter skipped it (or came before it).
    "gender": {**dict(VictimGender.choices), "": "Not given"},
    "province": {**dict(Province.choices), "": "Not given"},
    "language": LANGUAGES,
    "channel": dict(Source.choices),
    "outcome": dict(CaseState.choices),
}
_LIVE: Final[dict[str, Callable[[Filters], dict[str, int]]]] = {
    "category": lambda f: reports_by_listed(f, "categories"),
    "platform": lambda f: reports_by_listed(f, "platforms"),
    "age": lambda f: reports_by_field(f, "victim_age"),
    "gender": lambda f: reports_by_field(f, "victim_gender"),
    "province": lambda f: reports_by_field(f, "province"),
    "language": lambda f: reports_by_field(f, "language"),
    "channel": lambda f: reports_by_field(f, "source"),
    "outcome": lambda f: reports_by_field(f, "status"),
}


def counted(filters: Filters, dimension: str, *, rolled: bool) -> list[Row]:
    """Reports per value of `dimension`: from the rollup when `rolled`, else live."""
    if rolled:
        found = rollup_counts(filters.start, filters.end, filters.category).get(dimension, {})
    else:
        found = _LIVE[dimension](filters)
    return _rows(found, DIMENSION_LABELS[dimension])


def total(filters: Filters, *, rolled: bool) -> int:
    if rolled:
        days = rollup_days(filters.start, filters.end, filters.category)
        return sum(days.values())
    return reports_in(filters).count()


def series(filters: Filters, *, rolled: bool) -> list[tuple[date, int]]:
    """Reports per bucket (`reports_over_time`), from the rollup when `rolled`."""
    if not rolled:
        return reports_over_time(filters)
    trunc = {Bucket.WEEK: TruncWeek, Bucket.MONTH: TruncMonth, Bucket.QUARTER: TruncQuarter}[
        filters.bucket
    ]
    rows = (
        DailyCount.objects.filter(
            category=filters.category,
            dimension="total",
            day__gte=filters.start,
            day__lte=filters.end,
        )
        .annotate(bucket=trunc("day", output_field=DateField()))
        .values("bucket")
        .annotate(n=Sum("reports"))
        .order_by()
    )
    return _fill(filters, {row["bucket"]: int(row["n"]) for row in rows})


# -- links, hashes -------------------------------------------------------------------------


def clusters_growing_fastest(
    filters: Filters, limit: int = 10, *, rolled: bool = False
) -> list[ClusterGrowth]:
    """The clusters (of the last clustering run) that gained the most reports in the period:
    their new reports from the rollup when `rolled`, else live; their size always live.

    A cluster of one report is no link: only clusters of two or more are ranked.
    """
    if rolled:
        growing = dict(rolled_cluster_growth(filters.start, filters.end, filters.category, limit))
    else:
        linked = Exists(
            ReportCluster.objects.filter(label=OuterRef("label")).exclude(
                report_id=OuterRef("report_id")
            )
        )
        new = (
            ReportCluster.objects.filter(linked, report_id__in=reports_in(filters).values("id"))
            .values("label")
            .annotate(n=Count("report_id"))
            .order_by("-n", "label")[:limit]
        )
        growing = {row["label"]: row["n"] for row in new}
    totals = dict(
        ReportCluster.objects.filter(label__in=list(growing))
        .values("label")
        .annotate(n=Count("report_id"))
        .values_list("label", "n")
    )
    # A rolled cluster may have been relabelled since the rollup: then it has no size here.
    return [
        ClusterGrowth(label=label, new_reports=n, total_reports=totals.get(label, n))
        for label, n in growing.items()
        if totals.get(label, n) > 1
    ]


def hash_matches(filters: Filters, *, rolled: bool = False) -> list[Row]:
    """Reports of the period with a hash match, per hash list category (a report once per
    category, however many files matched): from the rollup when `rolled`, else live."""
    if rolled:
        found = rolled_hash_matches(filters.start, filters.end, filters.category)
    else:
        counted = (
            ReportMatch.objects.filter(report_id__in=reports_in(filters).values("id"))
            .values("entry__bank__category")
            .annotate(n=Count("report_id", distinct=True))
        )
        found = {row["entry__bank__category"]: row["n"] for row in counted}
    return [row for row in _rows(found, dict(BankCategory.choices)) if row.count]


# -- times ----------------------------------------------------------------------------------


def _nearest_rank(waits: QuerySet[Any], count: int, share: float) -> timedelta:
    """The nearest-rank percentile of the `wait` column over `count` rows (ORDER BY, OFFSET)."""
    offset = max(math.ceil(share * count) - 1, 0)
    value = waits.order_by("wait").values_list("wait", flat=True)[offset]
    return value if isinstance(value, timedelta) else timedelta(microseconds=int(value))


def _durations(waits: QuerySet[Any]) -> Durations:
    """Count, median and 90th percentile of the `wait` column of `waits`.

    PostgreSQL: one query with `percentile_disc` (nearest rank). SQLite has no percentile
    function: a count, then each percentile's row by ORDER BY ... OFFSET (the same definition).
    """
    if connection.vendor == "postgresql":
        sql, params = waits.values("wait").query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT COUNT(*), percentile_disc(0.5) WITHIN GROUP (ORDER BY wait), "  # noqa: S608
                f"percentile_disc(0.9) WITHIN GROUP (ORDER BY wait) FROM ({sql}) AS waits",
                params,
            )
            count, median, p90 = cursor.fetchone()
        return Durations(int(count), median, p90)
    count = waits.count()
    if not count:
        return Durations(0, None, None)
    return Durations(count, _nearest_rank(waits, count, 0.5), _nearest_rank(waits, count, 0.9))


def _durations_per(waits: QuerySet[Any], key: str) -> dict[Any, Durations]:
    """`_durations` for each value of the column `key` (one query on PostgreSQL)."""
    if connection.vendor == "postgresql":
        sql, params = waits.values(key, "wait").query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT {key}, COUNT(*), percentile_disc(0.5) WITHIN GROUP (ORDER BY wait), "  # noqa: S608
                f"percentile_disc(0.9) WITHIN GROUP (ORDER BY wait) FROM ({sql}) AS waits "
                f"GROUP BY {key}",
                params,
            )
            return {k: Durations(int(n), m, p) for k, n, m, p in cursor.fetchall()}
    keys = waits.values_list(key, flat=True).distinct().order_by()
    return {k: _durations(waits.filter(**{key: k})) for k in list(keys)}


def time_to(filters: Filters, states: frozenset[CaseState], *, rolled: bool = False) -> Durations:
    """From receipt to the first move into one of `states`, over the period's reports that
    made it (median and 90th percentile): from the rollup's waits when `rolled` (`states` is
    then ASSESSED_STATES or ACTION_STATES), else live. Both take the same nearest rank of the
    same values."""
    if rolled:
        kinds = [kind for kind, kind_states in WAIT_KINDS.items() if kind_states == states]
        if not kinds:
            raise ValueError("the rollup holds the waits of ASSESSED_STATES and ACTION_STATES")
        return _durations(rolled_waits(filters.start, filters.end, filters.category, kinds[0]))
    return _durations(report_waits(reports_in(filters), states))


def time_to_assessment(filters: Filters, *, rolled: bool = False) -> Durations:
    return time_to(filters, ASSESSED_STATES, rolled=rolled)


def time_to_action(filters: Filters, *, rolled: bool = False) -> Durations:
    return time_to(filters, ACTION_STATES, rolled=rolled)


def takedown_by_platform(filters: Filters) -> list[PlatformTakedown]:
    """Per platform, the targets of the period's reports: how many were removed, and the time
    from the first notice to removal (median, 90th percentile)."""
    targets = Target.objects.filter(report_id__in=reports_in(filters).values("id")).order_by()
    counted = targets.values("platform_id", "platform__name").annotate(
        n=Count("id"),
        removed=Count("id", filter=Q(state=Target.State.REMOVED)),
        online=Count("id", filter=Q(state=Target.State.ONLINE)),
    )
    timed = targets.filter(removed_at__isnull=False, first_noticed_at__isnull=False).annotate(
        wait=ExpressionWrapper(
            F("removed_at") - F("first_noticed_at"), output_field=DurationField()
        )
    )
    times = _durations_per(timed, "platform_id")
    result: list[PlatformTakedown] = []
    for row in counted:
        took = times.get(row["platform_id"], Durations(0, None, None))
        result.append(
            PlatformTakedown(
                platform=row["platform__name"] or "No platform in the directory",
                targets=row["n"],
                removed=row["removed"],
                still_online=row["online"],
                median_to_removal=took.median,
                p90_to_removal=took.p90,
            )
        )
    return sorted(result, key=lambda p: (-p.targets, p.platform))


# -- the same quarter last year ------------------------------------------------------------


def quarter_of(day: date) -> tuple[date, date]:
    start = _bucket_start(day, Bucket.QUARTER)
    return start, _next_bucket(start, Bucket.QUARTER) - timedelta(days=1)


def quarter_comparison(filters: Filters, *, rolled: bool = False) -> QuarterComparison:
    """The quarter holding the period's last day, next to the same quarter a year before: the
    number of reports and the reports per category (the category filter applies)."""
    start, end = quarter_of(filters.end)
    last_start, last_end = quarter_of(start.replace(year=start.year - 1))
    this = Filters(start=start, end=end, category=filters.category)
    last = Filters(start=last_start, end=last_end, category=filters.category)
    this_counts = {row.code: row.count for row in counted(this, "category", rolled=rolled)}
    last_counts = {row.code: row.count for row in counted(last, "category", rolled=rolled)}
    rows = [("All reports", total(this, rolled=rolled), total(last, rolled=rolled))]
    rows += [
        (_english(label), this_counts.get(code, 0), last_counts.get(code, 0))
        for code, label in Category.choices
    ]
    return QuarterComparison(
        this_label=bucket_label(start, Bucket.QUARTER),
        last_label=bucket_label(last_start, Bucket.QUARTER),
        rows=rows,
    )


OPTIONAL_ANSWERS: Final = (
    "Gender and province are optional questions of the report form: they are counted only when "
    "the reporter gave them, and every other report (those received before the form asked them "
    "too) is under “Not given”."
)


def dashboard_figures(user: User, filters: Filters) -> DashboardFigures:
    """Every figure of the staff dashboard for the period (permission: view_statistics).

    Counts, times, cluster growth and hash matches come from the daily rollup once the workers
    have built it, else live; takedown outcomes and cluster sizes are always live (small,
    indexed queries).
    """
    require(user, Action.VIEW_STATISTICS)
    built = rollup_built_at()
    rolled = built is not None
    notes = [OPTIONAL_ANSWERS]
    if built is not None:
        notes.append(
            f"Counts as of {timezone.localtime(built):%Y-%m-%d %H:%M}, and so are the times to "
            "assessment and action, the new reports per cluster and the hash matches (the "
            "workers recount them every 30 minutes); cluster sizes and takedowns are up to the "
            "minute."
        )
    return DashboardFigures(
        filters=filters,
        total=total(filters, rolled=rolled),
        over_time=series(filters, rolled=rolled),
        by_category=counted(filters, "category", rolled=rolled),
        by_platform=counted(filters, "platform", rolled=rolled),
        by_age=counted(filters, "age", rolled=rolled),
        by_gender=counted(filters, "gender", rolled=rolled),
        by_province=counted(filters, "province", rolled=rolled),
        by_language=counted(filters, "language", rolled=rolled),
        by_channel=counted(filters, "channel", rolled=rolled),
        by_outcome=counted(filters, "outcome", rolled=rolled),
        clusters=clusters_growing_fastest(filters, rolled=rolled),
        hash_matches=hash_matches(filters, rolled=rolled),
        to_assessment=time_to_assessment(filters, rolled=rolled),
        to_action=time_to_action(filters, rolled=rolled),
        takedown=takedown_by_platform(filters),
        quarter=quarter_comparison(filters, rolled=rolled),
        notes=notes,
    )


# -- tables: what the page shows beside each chart, and what each CSV file holds -------------


@dataclass(frozen=True)
class Table:
    """One table of the dashboard: its chart draws `series` (one or two numeric columns)."""

    name: str
    title: str
    columns: list[str]
    rows: list[list[str | int]]
    # The chart's bars: (label, values), one value per series named in `series_names`.
    bars: list[tuple[str, list[int]]]
    series_names: list[str]


def hours(value: timedelta | None) -> str:
    """A duration in hours with one decimal, for tables and CSV files ("" when unknown)."""
    return "" if value is None else f"{value.total_seconds() / 3600:.1f}"


# Tables of counts per code: their title, and what their first column names.
COUNT_TABLES: Final[dict[str, tuple[str, str]]] = {
    "category": ("Reports by type (a report may have several)", "type"),
    "platform": ("Reports by platform (a report may name several)", "platform"),
    "age": ("Reports by the victim's age group", "age group"),
    "gender": ("Reports by the gender of the person harmed (only when given)", "gender"),
    "province": ("Reports by the province of the person harmed (only when given)", "province"),
    "language": ("Reports by language", "language"),
    "channel": ("Reports by channel", "channel"),
    "outcome": ("Reports by outcome (their state now)", "state"),
    "hash_matches": ("Reports with a hash match, by list category", "list"),
}


def _counts(name: str, rows: list[Row]) -> Table:
    title, what = COUNT_TABLES[name]
    return Table(
        name=name,
        title=title,
        columns=[what, "code", "reports"],
        rows=[[row.label, row.code, row.count] for row in rows],
        bars=[(row.label, [row.count]) for row in rows],
        series_names=["reports"],
    )


def _over_time(filters: Filters, series: list[tuple[date, int]]) -> Table:
    return Table(
        name="over_time",
        title=f"Reports received per {filters.bucket.value}",
        columns=[filters.bucket.value, "starts", "reports"],
        rows=[[bucket_label(d, filters.bucket), d.isoformat(), n] for d, n in series],
        bars=[(bucket_label(d, filters.bucket), [n]) for d, n in series],
        series_names=["reports"],
    )


def _clusters(clusters: list[ClusterGrowth]) -> Table:
    return Table(
        name="clusters",
        title="Linked clusters growing fastest (reports received in the period)",
        columns=["cluster", "new reports", "reports in all"],
        rows=[[f"cluster {c.label}", c.new_reports, c.total_reports] for c in clusters],
        bars=[(f"cluster {c.label}", [c.new_reports]) for c in clusters],
        series_names=["new reports"],
    )


def _times(assessment: Durations, action: Durations) -> Table:
    rows: list[list[str | int]] = [
        [
            "receipt to assessment",
            assessment.count,
            hours(assessment.median),
            hours(assessment.p90),
        ],
        ["receipt to action", action.count, hours(action.median), hours(action.p90)],
    ]
    return Table(
        name="times",
        title="Time from receipt to assessment and to action (hours)",
        columns=["from receipt to", "reports", "median hours", "90th percentile hours"],
        rows=rows,
        bars=[
            ("to assessment", [_whole_hours(assessment.median), _whole_hours(assessment.p90)]),
            ("to action", [_whole_hours(action.median), _whole_hours(action.p90)]),
        ],
        series_names=["median", "90th percentile"],
    )


def _whole_hours(value: timedelta | None) -> int:
    return 0 if value is None else round(value.total_seconds() / 3600)


def _takedown(platforms: list[PlatformTakedown]) -> Table:
    return Table(
        name="takedown",
        title="Takedown outcomes and time to removal per platform",
        columns=[
            "platform",
            "targets",
            "removed",
            "still online",
            "median hours to removal",
            "90th percentile hours",
        ],
        rows=[
            [
                p.platform,
                p.targets,
                p.removed,
                p.still_online,
                hours(p.median_to_removal),
                hours(p.p90_to_removal),
            ]
            for p in platforms
        ],
        bars=[(p.platform, [p.removed, p.still_online]) for p in platforms],
        series_names=["removed", "still online"],
    )


def _quarter(comparison: QuarterComparison) -> Table:
    return Table(
        name="quarter",
        title=f"{comparison.this_label} beside {comparison.last_label}",
        columns=["reports", comparison.this_label, comparison.last_label],
        rows=[[what, this, last] for what, this, last in comparison.rows],
        bars=[(what, [this, last]) for what, this, last in comparison.rows],
        series_names=[comparison.this_label, comparison.last_label],
    )


def tables_of(figures: DashboardFigures) -> list[Table]:
    """The dashboard's tables, in the page's order."""
    f = figures
    return [
        _over_time(f.filters, f.over_time),
        _counts("category", f.by_category),
        _counts("platform", f.by_platform),
        _counts("age", f.by_age),
        _counts("gender", f.by_gender),
        _counts("province", f.by_province),
        _counts("language", f.by_language),
        _counts("channel", f.by_channel),
        _counts("outcome", f.by_outcome),
        _clusters(f.clusters),
        _counts("hash_matches", f.hash_matches),
        _times(f.to_assessment, f.to_action),
        _takedown(f.takedown),
        _quarter(f.quarter),
    ]


TABLE_NAMES: Final = ("over_time", *COUNT_TABLES, "clusters", "times", "takedown", "quarter")


def dashboard_table(user: User, filters: Filters, name: str) -> Table:
    """One table only (for its chart or CSV file), computing only its own figures."""
    require(user, Action.VIEW_STATISTICS)
    rolled = rollup_built_at() is not None
    if name in DIMENSION_LABELS:
        return _counts(name, counted(filters, name, rolled=rolled))
    if name == "hash_matches":
        return _counts(name, hash_matches(filters, rolled=rolled))
    if name == "over_time":
        return _over_time(filters, series(filters, rolled=rolled))
    if name == "clusters":
        return _clusters(clusters_growing_fastest(filters, rolled=rolled))
    if name == "times":
        return _times(
            time_to_assessment(filters, rolled=rolled), time_to_action(filters, rolled=rolled)
        )
    if name == "takedown":
        return _takedown(takedown_by_platform(filters))
    if name == "quarter":
        return _quarter(quarter_comparison(filters, rolled=rolled))
    raise KeyError(name)
