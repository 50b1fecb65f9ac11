"""The daily rollup gives exactly the figures computed live from the reports (SQLite and
PostgreSQL), is rebuilt whole (a state change shows after the next rebuild), and the page says
how fresh it is."""

from __future__ import annotations

from datetime import date

import pytest
from dashboard_data import build
from django.test import Client

from hotline.intake.models import Report
from hotline.statistics.dashboard import (
    DIMENSION_LABELS,
    Bucket,
    Filters,
    counted,
    quarter_comparison,
    series,
    total,
)
from hotline.statistics.models import DailyCount
from hotline.statistics.rollup import rollup_built_at, rollup_rebuild
from hotline.tasks.services import PERIODIC
from staff_login import log_in, make_staff

pytestmark = pytest.mark.django_db

PERIODS = [
    Filters(start=date(2026, 1, 1), end=date(2026, 3, 31), bucket=Bucket.MONTH),
    Filters(start=date(2026, 1, 1), end=date(2026, 3, 31), bucket=Bucket.WEEK),
    Filters(start=date(2025, 1, 1), end=date(2026, 6, 30), bucket=Bucket.QUARTER),
    Filters(start=date(2026, 1, 1), end=date(2026, 1, 1), bucket=Bucket.WEEK),
    Filters(start=date(2020, 1, 1), end=date(2020, 12, 31), bucket=Bucket.MONTH),  # empty
]
FILTERS = [
    Filters(start=p.start, end=p.end, bucket=p.bucket, category=category)
    for p in PERIODS
    for category in ("", "sextortion", "grooming", "live_abuse")
]


def _everything(filters: Filters, *, rolled: bool) -> dict[str, object]:
    return {
        "total": total(filters, rolled=rolled),
        "series": series(filters, rolled=rolled),
        "quarter": quarter_comparison(filters, rolled=rolled),
        **{d: counted(filters, d, rolled=rolled) for d in DIMENSION_LABELS},
    }


def test_the_rollup_gives_the_live_figures_for_every_period_and_type() -> None:
    build()
    live = [_everything(f, rolled=False) for f in FILTERS]
    assert rollup_built_at() is None
    rollup_rebuild()
    assert rollup_built_at() is not None
    assert [_everything(f, rolled=True) for f in FILTERS] == live
    assert live[0]["total"] == 5  # the hand-computed figures, as a check on the check


def test_a_rebuild_replaces_the_counts_with_the_reports_as_they_are_now() -> None:
    hotline = build()
    rollup_rebuild()
    q1 = FILTERS[0]
    first = DailyCount.objects.count()
    Report.objects.filter(pk=hotline.r1.pk).update(status="closed")
    rollup_rebuild()
    assert DailyCount.objects.count() == first
    outcome = {row.code: row.count for row in counted(q1, "outcome", rolled=True)}
    assert (outcome["received"], outcome["closed"]) == (1, 2)


def test_the_workers_rebuild_it_and_the_page_says_when(client: Client) -> None:
    assert "hotline.statistics.rollup.rollup_rebuild" in [p.func_path for p in PERIODIC]
    build()
    rollup_rebuild()
    log_in(client, make_staff("dash-rollup", role="analyst"))
    page = client.get("/staff/statistics/?start=2026-01-01&end=2026-03-31&bucket=month")
    text = page.content.decode()
    assert "Counts as of" in text
    assert "5 reports received from 2026-01-01 to 2026-03-31" in text
