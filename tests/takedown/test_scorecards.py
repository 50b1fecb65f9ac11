"""Platform scorecards: counts, median and 90th percentile of time to removal, still online
after 7 days, per platform, for a date range; CSV through the safe writer; bad ranges refused."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from urllist_support import report_with_links, targets_of

from hotline.accounts.models import User
from hotline.audit.models import AuditEvent
from hotline.directory.models import NoticeChannel, Platform
from hotline.takedown.models import Notice
from hotline.takedown.scorecards import (
    NO_PLATFORM,
    DateRange,
    ScorecardRangeError,
    date_range_check,
    percentile_cont,
    platform_scorecards,
    scorecards_export,
)
from staff_login import log_in, make_staff

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
PERIOD = DateRange(date(2026, 9, 1), date(2026, 11, 30))


def _platform(code: str, name: str) -> Platform:
    return Platform.objects.create(code=code, name=name, channel=NoticeChannel.NONE)


def _viewer(role: str = "analyst") -> User:
    return User.objects.create_user(username=f"v-{role}", password="x", is_staff=True, role=role)


def _target(platform: Platform | None, noticed: datetime, hours: float | None) -> None:
    removed = noticed + timedelta(hours=hours) if hours is not None else None
    report = report_with_links(f"https://h{noticed.timestamp()}-{hours}.example/p")
    targets_of(report, platform=platform, noticed_at=noticed, removed_at=removed)


def _notice(platform: Platform | None, sent: datetime | None) -> None:
    report = report_with_links()
    Notice.objects.create(
        report=report,
        kind=Notice.Kind.TAKEDOWN,
        platform=platform,
        channel=NoticeChannel.EMAIL,
        recipient="abuse@example.org",
        state=Notice.State.SENT if sent else Notice.State.QUEUED,
        subject="s",
        body_ciphertext=b"",
        created_at=sent or NOW,
        sent_at=sent,
    )


def test_each_platform_gets_its_counts_percentiles_and_late_removals() -> None:
    slow, quick = _platform("slowtube", "SlowTube"), _platform("quick", "QuickShare")
    base = datetime(2026, 10, 1, tzinfo=UTC)
    # SlowTube: removals after 10, 20, 30, 40 hours and 10 days; one never removed.
    for hours in (10, 20, 30, 40, 240, None):
        _target(slow, base, hours)
    # QuickShare: one removal after 2 hours.
    _target(quick, base, 2)
    # Noticed two days before NOW: not yet 7 days, so not counted as late although online.
    _target(quick, NOW - timedelta(days=2), None)
    # Outside the period: counted nowhere.
    _target(quick, datetime(2026, 8, 1, tzinfo=UTC), None)
    # A host without a platform in the directory.
    _target(None, base, 5)
    for sent in (base, base, base + timedelta(days=1)):
        _notice(slow, sent)
    _notice(quick, base)
    _notice(quick, None)  # queued, never sent
    _notice(quick, datetime(2026, 12, 5, tzinfo=UTC))  # sent after the period

    cards = {c.platform: c for c in platform_scorecards(actor=_viewer(), period=PERIOD, now=NOW)}
    assert set(cards) == {"SlowTube", "QuickShare", NO_PLATFORM}
    slow_card = cards["SlowTube"]
    assert (slow_card.notices_sent, slow_card.targets_noticed, slow_card.targets_removed) == (
        3,
        6,
        5,
    )
    # percentile_cont over [10, 20, 30, 40, 240]: median 30, 90th 40 + 0.6 * 200 = 160.
    assert (slow_card.median_hours, slow_card.p90_hours) == (30.0, 160.0)
    assert slow_card.still_online_after_7_days == 2  # removed after 10 days, and never removed
    quick_card = cards["QuickShare"]
    assert (quick_card.notices_sent, quick_card.targets_noticed, quick_card.targets_removed) == (
        1,
        2,
        1,
    )
    assert (quick_card.median_hours, quick_card.p90_hours) == (2.0, 2.0)
    assert quick_card.still_online_after_7_days == 0
    nobody = cards[NO_PLATFORM]
    assert (nobody.targets_removed, nobody.median_hours) == (1, 5.0)
    # Worst first: the platform with the most content still up after a week.
    assert next(iter(cards)) == "SlowTube"


def test_a_platform_with_nothing_removed_has_no_times_not_zero() -> None:
    stubborn = _platform("stubborn", "Stubborn")
    _target(stubborn, datetime(2026, 10, 1, tzinfo=UTC), None)
    (card,) = platform_scorecards(actor=_viewer(), period=PERIOD, now=NOW)
    assert (card.median_hours, card.p90_hours, card.still_online_after_7_days) == (None, None, 1)


def test_the_percentile_is_computed_by_the_database_on_postgresql() -> None:
    """On PostgreSQL the grouped query carries percentile_cont; SQLite uses the fallback."""
    from django.test.utils import CaptureQueriesContext

    _target(_platform("p", "P"), datetime(2026, 10, 1, tzinfo=UTC), 3)
    with CaptureQueriesContext(connection) as queries:
        platform_scorecards(actor=_viewer(), period=PERIOD, now=NOW)
    sql = " ".join(q["sql"].upper() for q in queries.captured_queries)
    assert ("PERCENTILE_CONT" in sql) == (connection.vendor == "postgresql")


@given(st.lists(st.floats(min_value=0, max_value=1e7), min_size=1, max_size=50))
def test_the_fallback_percentile_lies_within_the_values_and_in_order(values: list[float]) -> None:
    ordered = sorted(values)
    median, p90 = percentile_cont(ordered, 0.5), percentile_cont(ordered, 0.9)
    assert median is not None
    assert p90 is not None
    assert ordered[0] <= median <= p90 <= ordered[-1] + 1e-6


@pytest.mark.parametrize("role", ["caseworker"])
def test_roles_without_the_right_see_no_scorecards(role: str) -> None:
    with pytest.raises(PermissionDenied):
        platform_scorecards(actor=_viewer(role), period=PERIOD, now=NOW)


@pytest.mark.parametrize("role", ["analyst", "senior_analyst", "liaison", "administrator"])
def test_roles_with_the_right_see_scorecards(role: str) -> None:
    assert platform_scorecards(actor=_viewer(role), period=PERIOD, now=NOW) == []


def test_the_csv_escapes_formula_names_and_the_download_is_audited() -> None:
    hostile = _platform("evil", '=HYPERLINK("http://x","y")')
    _target(hostile, datetime(2026, 10, 1, tzinfo=UTC), None)
    text = scorecards_export(actor=_viewer(), period=PERIOD, now=NOW)
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][0] == "platform"
    assert rows[1][0].startswith("'=")
    assert rows[1][4:6] == ["", ""]  # no removal: no time, not 0
    event = AuditEvent.objects.get(action="scorecards.export")
    assert event.details == {"first_day": "2026-09-01", "last_day": "2026-11-30", "platforms": 1}


@pytest.mark.parametrize(
    ("first", "last", "message"),
    [
        (date(2026, 11, 2), date(2026, 11, 1), "comes after"),
        (date(1999, 12, 31), date(2026, 11, 1), "between"),
        (date(2026, 1, 1), date(2030, 1, 1), "between"),
        (date(2001, 1, 1), date(2026, 1, 1), "ten years"),
        (None, date(1, 1, 1), "between"),  # found by hypothesis: overflowed into a 500
        (date(9999, 12, 31), None, "between"),
        (date.min, date.max, "between"),
    ],
)
def test_bad_ranges_are_refused(first: date | None, last: date | None, message: str) -> None:
    with pytest.raises(ScorecardRangeError, match=message):
        date_range_check(first, last, today=date(2026, 12, 1))


def test_the_default_range_is_the_last_90_days() -> None:
    period = date_range_check(None, None, today=date(2026, 12, 1))
    assert (period.first_day, period.last_day) == (date(2026, 9, 3), date(2026, 12, 1))


# --- the page ----------------------------------------------------------------------------


def test_the_page_shows_the_table_and_downloads_csv(client) -> None:  # type: ignore[no-untyped-def]
    log_in(client, make_staff("viewer", role="analyst"))
    _target(_platform("slow", "SlowTube"), timezone.now() - timedelta(days=10), None)
    page = client.get("/staff/scorecards/")
    assert page.status_code == 200
    assert b"SlowTube" in page.content
    today = timezone.now().date()
    first = (today - timedelta(days=30)).isoformat()
    download = client.get(
        "/staff/scorecards/", {"first_day": first, "last_day": today.isoformat(), "download": "csv"}
    )
    assert download.status_code == 200
    assert download["Content-Type"].startswith("text/csv")
    assert b"SlowTube,0,1,0,,,1" in download.content


@pytest.mark.parametrize(
    "query",
    [
        {"first_day": "yesterday"},
        {"first_day": "2026-13-45"},
        {"first_day": "2026-11-02", "last_day": "2026-11-01"},
        {"first_day": "1900-01-01"},
        {"last_day": "9999-12-31"},
        {"first_day": "2026-01-01\x00"},
        {"first_day": "' OR 1=1 --"},
        {"first_day": "2" * 10_000},
        {"first_day": "2001-01-01", "last_day": "2026-01-01", "download": "csv"},
        {"last_day": "0001-01-01"},
        {"first_day": "9999-12-31"},
    ],
)
def test_bad_filters_get_a_clear_400_never_a_500(client, query: dict[str, str]) -> None:  # type: ignore[no-untyped-def]
    log_in(client, make_staff("viewer", role="analyst"))
    answer = client.get("/staff/scorecards/", query)
    assert answer.status_code == 400
    assert b'id="period-error"' in answer.content
    assert not AuditEvent.objects.filter(action="scorecards.export").exists()


def test_the_page_is_refused_to_caseworkers(client) -> None:  # type: ignore[no-untyped-def]
    log_in(client, make_staff("cw", role="caseworker"))
    assert client.get("/staff/scorecards/").status_code == 403
    assert client.get("/staff/scorecards/", {"download": "csv"}).status_code == 403


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    first=st.text(max_size=40) | st.dates().map(date.isoformat),
    last=st.text(max_size=40) | st.dates().map(date.isoformat),
    download=st.sampled_from(["", "csv", "pdf", "csv\x00"]),
)
def test_any_filter_text_gives_a_page_or_a_clear_400(
    client,
    first: str,
    last: str,
    download: str,  # type: ignore[no-untyped-def]
) -> None:
    if not User.objects.filter(username="fuzz").exists():
        log_in(client, make_staff("fuzz", role="analyst"))
    answer = client.get(
        "/staff/scorecards/", {"first_day": first, "last_day": last, "download": download}
    )
    assert answer.status_code in {200, 400}
    if answer.status_code == 400:
        assert b'id="period-error"' in answer.content


@pytest.mark.parametrize(("role", "shown"), [("analyst", True), ("caseworker", False)])
def test_the_staff_header_links_to_the_scorecards_for_those_who_may_see_them(
    client,  # type: ignore[no-untyped-def]
    role: str,
    shown: bool,
) -> None:
    log_in(client, make_staff("someone", role=role))

    home = client.get("/staff/").content.decode()

    assert ('href="/staff/scorecards/"' in home) is shown
