"""The daily rollup gives exactly the figures computed live from the reports (SQLite and
PostgreSQL): counts, times to assessment and action (the same nearest-rank percentiles), cluster
growth and hash matches. It is rebuilt whole (a state change shows after the next rebuild),
holds no report id, and the page says how fresh it is."""

from __future__ import annotations

import random
from datetime import date, timedelta

import pytest
from dashboard_data import build, report, state
from django.test import Client

from hotline.entities.models import ReportCluster
from hotline.intake.choices import CaseState
from hotline.intake.models import Report
from hotline.statistics.dashboard import (
    DIMENSION_LABELS,
    Bucket,
    ClusterGrowth,
    Durations,
    Filters,
    clusters_growing_fastest,
    counted,
    hash_matches,
    quarter_comparison,
    series,
    time_to,
    time_to_action,
    time_to_assessment,
    total,
)
from hotline.statistics.models import DailyCluster, DailyCount, DailyWait
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
        "to_assessment": time_to_assessment(filters, rolled=rolled),
        "to_action": time_to_action(filters, rolled=rolled),
        "clusters": clusters_growing_fastest(filters, rolled=rolled),
        "hash_matches": hash_matches(filters, rolled=rolled),
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


H = timedelta(hours=1)
CATEGORIES = ["sextortion", "grooming", "live_abuse", "other"]


def _many_waits(seed: int) -> None:
    """Reports over two months, in one or two categories, with state histories whose first
    assessed or action move comes after a random wait (some never moved, some moved twice)."""
    rng = random.Random(seed)
    for n in range(90):
        created = f"2026-01-{1 + n % 28:02d}T{rng.randrange(24):02d}:{rng.randrange(60):02d}"
        if n % 3 == 0:
            created = created.replace("2026-01", "2026-02")
        categories = sorted(set(rng.sample(CATEGORIES, rng.choice([1, 1, 2]))))
        r = report(created, categories=categories)
        roll = rng.random()
        if roll < 0.2:
            continue  # never touched
        if roll < 0.3:
            state(r, rng.uniform(0, 5), "received", "in_review")  # neither assessed nor acted
            continue
        assessed = rng.uniform(0.5, 90)
        state(r, assessed, "received", "assessed")
        if roll < 0.7:
            first_action = assessed + rng.uniform(0.1, 60)
            state(r, first_action, "assessed", "notice_sent")
            state(r, first_action + rng.uniform(1, 10), "notice_sent", "referred_police")
        else:
            state(r, assessed + rng.uniform(1, 30), "assessed", "closed")


WAIT_FILTERS = [
    Filters(start=start, end=end, category=category)
    for start, end in [
        (date(2026, 1, 1), date(2026, 2, 28)),
        (date(2026, 1, 1), date(2026, 1, 31)),
        (date(2026, 1, 10), date(2026, 1, 10)),
        (date(2026, 2, 3), date(2026, 2, 17)),
        (date(2026, 3, 1), date(2026, 3, 31)),  # no report
    ]
    for category in ["", *CATEGORIES]
]


@pytest.mark.parametrize("seed", [1, 2])
def test_rolled_times_are_the_live_nearest_rank_percentiles_for_every_period_and_type(
    seed: int,
) -> None:
    _many_waits(seed)
    live = [(time_to_assessment(f), time_to_action(f)) for f in WAIT_FILTERS]
    rollup_rebuild()
    rolled = [
        (time_to_assessment(f, rolled=True), time_to_action(f, rolled=True)) for f in WAIT_FILTERS
    ]
    assert rolled == live
    # Enough reports for the check to mean something: odd and even counts, and none.
    counts = {assessment.count for assessment, _ in live}
    assert 0 in counts
    assert any(n % 2 for n in counts)
    assert any(n and n % 2 == 0 for n in counts)
    assert live[0][0].count > 50


def test_rolled_waits_hold_one_row_per_report_and_category_and_no_report_id() -> None:
    build()
    rollup_rebuild()
    columns = {f.column for f in DailyWait._meta.concrete_fields}
    assert columns == {"id", "day", "category", "kind", "wait"}
    assert not [f for f in DailyWait._meta.concrete_fields if f.is_relation]
    assert not [f for f in DailyCluster._meta.concrete_fields if f.is_relation]
    # r4 (sextortion) was assessed after 2 h and acted on after 3 h: once for all, once for
    # its category; r2 likewise; r3 (child_images) assessed only; r5 assessed the next quarter.
    rows = sorted(DailyWait.objects.values_list("category", "kind", "wait"))
    assert rows.count(("", "assessment", 2 * H)) == 1
    assert rows.count(("sextortion", "assessment", 2 * H)) == 1
    assert rows.count(("sextortion", "action", 3 * H)) == 1
    assert len(rows) == 4 + 4 + 2 + 2  # r2, r4: both kinds; r3, r5: assessment


def test_a_rebuild_takes_in_the_moves_made_since_the_last_one() -> None:
    hotline = build()
    q1 = FILTERS[0]
    rollup_rebuild()
    before = time_to_assessment(q1, rolled=True)
    assert before == Durations(3, 5 * H, 10 * H)
    state(hotline.r1, 1, "received", "assessed")
    assert time_to_assessment(q1, rolled=True) == before  # as of the last rebuild
    rollup_rebuild()
    assert time_to_assessment(q1, rolled=True) == Durations(4, 2 * H, 10 * H)
    assert time_to_assessment(q1, rolled=True) == time_to_assessment(q1)


def test_only_the_two_milestones_are_rolled_up() -> None:
    rollup_rebuild()
    with pytest.raises(ValueError, match="ASSESSED_STATES and ACTION_STATES"):
        time_to(FILTERS[0], frozenset({CaseState.CLOSED}), rolled=True)


def test_clusters_of_one_do_not_take_the_place_of_linked_clusters() -> None:
    hotline = build()
    # In Q1 cluster r1 gained 2 reports, the lone r3 and cluster r4 one each; r3 < r4.
    assert hotline.r3.pk < hotline.r4.pk
    expected = [
        ClusterGrowth(label=hotline.r1.pk, new_reports=2, total_reports=3),
        ClusterGrowth(label=hotline.r4.pk, new_reports=1, total_reports=2),
    ]
    assert clusters_growing_fastest(FILTERS[0], limit=2) == expected
    rollup_rebuild()
    assert clusters_growing_fastest(FILTERS[0], limit=2, rolled=True) == expected
    assert not DailyCluster.objects.filter(label=hotline.r3.pk).exists()
    # The rolled growth is as of the rebuild; the cluster's size is read live.
    ReportCluster.objects.filter(report=hotline.r3).update(label=hotline.r4.pk)
    grown = clusters_growing_fastest(FILTERS[0], limit=2, rolled=True)
    assert grown[1] == ClusterGrowth(label=hotline.r4.pk, new_reports=1, total_reports=3)


def test_rolled_hash_matches_count_each_report_once_per_list_category() -> None:
    build()
    rollup_rebuild()
    q1 = FILTERS[0]
    rolled = {row.code: row.count for row in hash_matches(q1, rolled=True)}
    assert rolled == {"csam": 1, "ncii": 1}
    only = Filters(start=q1.start, end=q1.end, category="grooming")
    assert hash_matches(only, rolled=True) == hash_matches(only)
    assert [row.count for row in hash_matches(only)] == [1]


def test_the_page_says_which_figures_are_as_of_the_rollup(client: Client) -> None:
    build()
    rollup_rebuild()
    log_in(client, make_staff("dash-fresh", role="analyst"))
    text = client.get("/staff/statistics/?start=2026-01-01&end=2026-03-31").content.decode()
    assert "the times to assessment and action, the new reports per cluster and the hash" in text
    assert "cluster sizes and takedowns are up to the minute" in text
    assert "links, hash matches, times" not in text


def test_the_page_with_a_type_filter_answers_live_and_rolled(client: Client) -> None:
    # The type filter once named intake_report in raw SQL, which broke inside the subqueries
    # of the takedown, cluster and hash-match figures (a 500 for any type).
    hotline = build()
    log_in(client, make_staff("dash-type", role="analyst"))
    url = "/staff/statistics/?start=2026-01-01&end=2026-03-31&category=sextortion"
    live = client.get(url)
    rollup_rebuild()
    rolled = client.get(url)
    for page in (live, rolled):
        assert page.status_code == 200
        text = page.content.decode()
        assert "3 reports received from 2026-01-01 to 2026-03-31" in text
        assert f"cluster {hotline.r1.pk}" in text
