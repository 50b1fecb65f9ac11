"""Every dashboard figure against a small hotline worked out by hand (tests/statistics/
dashboard_data.py), on whichever database the run uses (SQLite and PostgreSQL both run it)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from dashboard_data import Hotline, build

from hotline.statistics.dashboard import (
    Bucket,
    ClusterGrowth,
    Durations,
    Filters,
    PlatformTakedown,
    by_age,
    by_category,
    by_channel,
    by_language,
    by_outcome,
    by_platform,
    clusters_growing_fastest,
    hash_matches,
    quarter_comparison,
    reports_in,
    reports_over_time,
    takedown_by_platform,
    time_to_action,
    time_to_assessment,
)

pytestmark = pytest.mark.django_db

Q1 = Filters(start=date(2026, 1, 1), end=date(2026, 3, 31), bucket=Bucket.MONTH)
H = timedelta(hours=1)


@pytest.fixture
def hotline() -> Hotline:
    return build()


def _nonzero(rows: list) -> dict[str, int]:
    return {row.code: row.count for row in rows if row.count}


def test_the_period_holds_the_local_days_asked_for(hotline: Hotline) -> None:
    found = set(reports_in(Q1).values_list("pk", flat=True))
    assert found == {hotline.r1.pk, hotline.r2.pk, hotline.r3.pk, hotline.r4.pk, hotline.r8.pk}


def test_reports_per_month_week_and_quarter_list_empty_buckets_as_zero(hotline: Hotline) -> None:
    assert reports_over_time(Q1) == [
        (date(2026, 1, 1), 3),
        (date(2026, 2, 1), 1),
        (date(2026, 3, 1), 1),
    ]
    weekly = reports_over_time(Filters(start=Q1.start, end=Q1.end, bucket=Bucket.WEEK))
    assert weekly[0] == (date(2025, 12, 29), 1)  # 1 January 2026 is a Thursday
    assert weekly[1] == (date(2026, 1, 5), 2)
    assert len(weekly) == 14
    assert sum(n for _, n in weekly) == 5
    assert dict(weekly)[date(2026, 2, 9)] == 1
    assert dict(weekly)[date(2026, 3, 30)] == 1
    assert dict(weekly)[date(2026, 1, 12)] == 0
    quarters = reports_over_time(
        Filters(start=date(2025, 1, 1), end=date(2026, 6, 30), bucket=Bucket.QUARTER)
    )
    assert quarters == [
        (date(2025, 1, 1), 1),
        (date(2025, 4, 1), 0),
        (date(2025, 7, 1), 0),
        (date(2025, 10, 1), 1),
        (date(2026, 1, 1), 5),
        (date(2026, 4, 1), 1),
    ]


def test_counts_by_type_and_platform_unnest_the_json_lists(hotline: Hotline) -> None:
    assert _nonzero(by_category(Q1)) == {
        "sextortion": 3,
        "grooming": 1,
        "child_images": 1,
        "other": 1,
    }
    assert {row.code for row in by_category(Q1)} >= {"live_abuse", "selling_group"}  # zeros
    assert _nonzero(by_platform(Q1)) == {"facebook": 2, "telegram": 2}


def test_counts_by_age_language_channel_and_outcome(hotline: Hotline) -> None:
    assert _nonzero(by_age(Q1)) == {"13_15": 1, "under_13": 1, "adult": 1, "": 2}
    assert _nonzero(by_language(Q1)) == {"km": 4, "en": 1}
    assert _nonzero(by_channel(Q1)) == {"web": 5}
    assert _nonzero(by_outcome(Q1)) == {
        "received": 2,
        "notice_sent": 1,
        "no_action": 1,
        "closed": 1,
    }


def test_the_type_filter_applies_to_every_count(hotline: Hotline) -> None:
    only = Filters(start=Q1.start, end=Q1.end, bucket=Bucket.MONTH, category="sextortion")
    assert reports_in(only).count() == 3
    assert reports_over_time(only) == [
        (date(2026, 1, 1), 2),
        (date(2026, 2, 1), 0),
        (date(2026, 3, 1), 1),
    ]
    assert _nonzero(by_category(only)) == {"sextortion": 3, "grooming": 1}
    assert _nonzero(by_platform(only)) == {"facebook": 2, "telegram": 2}
    assert _nonzero(by_language(only)) == {"km": 2, "en": 1}
    assert time_to_assessment(only) == Durations(2, 2 * H, 5 * H)


def test_times_to_assessment_and_action_are_nearest_rank_percentiles(hotline: Hotline) -> None:
    # Assessed after 5 h (r2), 10 h (r3), 2 h (r4); acted on after 29 h (r2), 3 h (r4).
    assert time_to_assessment(Q1) == Durations(3, 5 * H, 10 * H)
    assert time_to_action(Q1) == Durations(2, 3 * H, 29 * H)


def test_takedown_outcomes_and_time_to_removal_per_platform(hotline: Hotline) -> None:
    assert takedown_by_platform(Q1) == [
        PlatformTakedown("Facebook", 3, 2, 1, 4 * H, 10 * H),
        PlatformTakedown("Telegram", 1, 0, 0, None, None),
    ]


def test_clusters_growing_fastest_leave_out_clusters_of_one(hotline: Hotline) -> None:
    assert clusters_growing_fastest(Q1) == [
        ClusterGrowth(label=hotline.r1.pk, new_reports=2, total_reports=3),
        ClusterGrowth(label=hotline.r4.pk, new_reports=1, total_reports=2),
    ]


def test_hash_matches_count_each_report_once_per_list_category(hotline: Hotline) -> None:
    assert _nonzero(hash_matches(Q1)) == {"csam": 1, "ncii": 1}


def test_the_same_quarter_last_year_side_by_side(hotline: Hotline) -> None:
    compared = quarter_comparison(Filters(start=date(2026, 2, 1), end=date(2026, 2, 20)))
    assert (compared.this_label, compared.last_label) == ("2026 Q1", "2025 Q1")
    rows = {what: (this, last) for what, this, last in compared.rows}
    assert rows["All reports"] == (5, 1)
    assert rows["An adult is asking me or my child for photos, or to meet"] == (1, 1)
    assert sum(this for this, _ in list(rows.values())[1:]) == 6


def test_a_hotline_with_no_data_yet_gives_zeros_and_no_times() -> None:
    assert reports_in(Q1).count() == 0
    assert [n for _, n in reports_over_time(Q1)] == [0, 0, 0]
    assert _nonzero(by_category(Q1)) == {}
    assert len(by_category(Q1)) == 7
    assert time_to_assessment(Q1) == Durations(0, None, None)
    assert takedown_by_platform(Q1) == []
    assert clusters_growing_fastest(Q1) == []
    assert hash_matches(Q1) == []
    assert quarter_comparison(Q1).rows[0] == ("All reports", 0, 0)
