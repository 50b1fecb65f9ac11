"""Public figures: counted right, published only by an administrator, frozen, shown safely."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client
from hypothesis import given, settings
from hypothesis import strategies as st
from public_support import add_removed_target, add_reports, administrator, at

from hotline.audit.models import AuditEvent
from hotline.statistics.models import PublishedQuarter
from hotline.statistics.public import (
    AlreadyPublished,
    QuarterKey,
    StatisticsError,
    quarter_publish,
    year_counts,
)
from staff_login import make_staff

pytestmark = pytest.mark.django_db


def _hand_made_year() -> None:
    # Q1 2025: 9 sextortion on Facebook (6 under 13, 3 aged 13-15), 2 of them removed;
    # 3 grooming on Telegram, aged 16-17, closed without action; 1 with two types and no
    # platform, age not given, waiting.
    under_13 = add_reports(6, at(2025, 1), victim_age="under_13", status="notice_sent")
    add_reports(3, at(2025, 3, 31, 23), victim_age="13_15", status="assessed")
    add_reports(
        3,
        at(2025, 2),
        categories=["grooming"],
        platforms=["telegram"],
        victim_age="16_17",
        status="no_action",
    )
    add_reports(1, at(2025, 2), categories=["grooming", "sextortion"], platforms=[], victim_age="")
    for report in under_13[:2]:
        add_removed_target(report, noticed=at(2025, 2, 1), removed=at(2025, 2, 3))
    # Q2 2025: 5 child images; the first minutes of 1 April in Phnom Penh are Q2.
    add_reports(5, at(2025, 4, 1, 0), categories=["child_images"], platforms=["website"])
    # Not in 2025.
    add_reports(4, at(2024, 12, 31, 23))


def test_counts_match_hand_computed_figures() -> None:
    _hand_made_year()
    quarters = year_counts(2025)

    q1 = quarters[1]
    assert q1.total == 13
    assert dict(+q1.tables["type"]) == {"sextortion": 9, "grooming": 3, "several": 1}
    assert dict(+q1.tables["platform"]) == {"facebook": 9, "telegram": 3, "not_given": 1}
    assert dict(+q1.tables["age"]) == {"under_13": 6, "13_15": 3, "16_17": 3, "unknown": 1}
    assert dict(+q1.tables["outcome"]) == {
        "removed": 2,
        "actioned": 4,
        "pending": 3,
        "closed": 3,
        "waiting": 1,
    }
    assert quarters[2].total == 5
    assert quarters[3].total == quarters[4].total == 0


def test_an_administrator_publishes_a_finished_quarter_once_and_it_is_audited() -> None:
    _hand_made_year()
    admin = administrator()

    published = quarter_publish(actor=admin, key=QuarterKey(2025, 1))

    assert published.figures["total"]["text"] == "13"
    event = AuditEvent.objects.get(action="statistics.publish")
    assert (event.actor, event.target_id) == (admin, "2025-Q1")
    with pytest.raises(AlreadyPublished):
        quarter_publish(actor=admin, key=QuarterKey(2025, 1))
    assert PublishedQuarter.objects.count() == 1


@pytest.mark.parametrize("role", ["analyst", "senior_analyst", "caseworker", "liaison"])
def test_other_roles_cannot_publish(role: str) -> None:
    with pytest.raises(PermissionDenied):
        quarter_publish(actor=make_staff(role, role=role).user, key=QuarterKey(2025, 1))
    assert not PublishedQuarter.objects.exists()


def test_a_quarter_not_over_cannot_be_published() -> None:
    with pytest.raises(StatisticsError, match="not over"):
        quarter_publish(actor=administrator(), key=QuarterKey(2999, 1))


@pytest.mark.parametrize(
    "text",
    [
        "",
        "2026",
        "2026-Q5",
        "2026-Q0",
        "26-Q1",
        "x" * 5000,
        "2026-Q1; drop",
        "\uff11\uff12\uff13\uff14Q1",
    ],
)
def test_garbage_quarters_are_refused_clearly(text: str) -> None:
    with pytest.raises(StatisticsError):
        QuarterKey.parse(text)


def test_published_figures_do_not_change_when_reports_change_later(client: Client) -> None:
    _hand_made_year()
    quarter_publish(actor=administrator(), key=QuarterKey(2025, 1))
    before = client.get("/figures/figures.json").content

    add_reports(40, at(2025, 2), categories=["live_abuse"])

    assert client.get("/figures/figures.json").content == before


def test_only_published_quarters_appear(client: Client) -> None:
    _hand_made_year()
    page = client.get("/figures/")
    assert page.status_code == 200
    assert 'id="no-figures"' in page.content.decode()

    quarter_publish(actor=administrator(), key=QuarterKey(2025, 1))
    html = client.get("/figures/").content.decode()
    assert 'id="q-2025-Q1"' in html
    assert "2025-Q2" not in html
    body = json.loads(client.get("/figures/figures.json").content)
    assert [q["quarter"] for q in body["quarters"]] == ["2025-Q1"]


def _every_shown_number(text: str) -> list[int]:
    return [int(n) for n in re.findall(r"(?<![<\w-])\d+(?![\w-])", text)]


def test_no_number_under_the_threshold_is_shown_on_the_page_csv_or_json(client: Client) -> None:
    _hand_made_year()
    admin = administrator()
    quarter_publish(actor=admin, key=QuarterKey(2025, 1))
    quarter_publish(actor=admin, key=QuarterKey(2025, 2))

    rows = list(csv.reader(io.StringIO(client.get("/figures/figures.csv").content.decode())))
    assert rows[0] == ["quarter", "table", "code", "label", "figure"]
    figures = [row[4] for row in rows[1:]]
    assert "<5" in figures
    assert all(f in {"<5", "*"} or f == "0" or int(f) >= 5 for f in figures)

    body = json.loads(client.get("/figures/figures.json").content)
    for quarter in body["quarters"]:
        cells = [quarter["total"]] + [
            c for table in (quarter["tables"] or {}).values() for c in table or []
        ]
        assert all(c["value"] is None or c["value"] == 0 or c["value"] >= 5 for c in cells)

    html = client.get("/figures/").content.decode()
    tables = re.findall(r'<table class="stats".*?</table>', html, re.S)
    cells = [c for t in tables for c in re.findall(r'<td class="number">([^<]*)</td>', t)]
    assert cells
    assert all(c in {"&lt;5", "*"} or c == "0" or int(c) >= 5 for c in cells)
    summary = re.findall(r"<strong>([^<]*)</strong>", html)
    assert all(s in {"&lt;5", "*"} or int(s) == 0 or int(s) >= 5 for s in summary)


def test_a_quarter_with_fewer_reports_than_the_threshold_shows_only_that(client: Client) -> None:
    add_reports(3, at(2025, 7), victim_age="under_13")
    quarter_publish(actor=administrator(), key=QuarterKey(2025, 3))

    html = client.get("/figures/").content.decode()
    assert "<strong>&lt;5</strong>" in html
    assert 'class="stats"' not in html
    body = json.loads(client.get("/figures/figures.json").content)
    assert body["quarters"][0]["tables"] is None


@pytest.mark.parametrize("language", ["km", "en"])
def test_the_page_is_in_both_languages_without_script_or_other_hosts(
    client: Client, language: str
) -> None:
    _hand_made_year()
    quarter_publish(actor=administrator(), key=QuarterKey(2025, 1))
    client.cookies["django_language"] = language

    html = client.get("/figures/", HTTP_ACCEPT_LANGUAGE=language).content.decode()

    assert f'<html lang="{language}">' in html
    assert "<script" not in html
    assert not re.search(r'(src|href)="(https?:)?//', html)
    if language == "km":
        assert "តួលេខរបស់យើង" in html  # "Our figures"
        assert "Our figures" not in html
    else:
        assert "Our figures" in html


def test_downloads_refuse_writes_and_odd_query_strings_change_nothing(client: Client) -> None:
    for url in ["/figures/", "/figures/figures.csv", "/figures/figures.json"]:
        assert client.post(url).status_code == 405
        assert client.get(url + "?year=1800&quarter=%00&x=" + "9" * 5000).status_code == 200


def test_old_reports_are_never_counted_in_another_year() -> None:
    add_reports(2, at(2025, 1) - timedelta(days=400))
    assert sum(q.total for q in year_counts(2025).values()) == 0


def test_a_table_that_cannot_be_protected_is_not_shown(client: Client) -> None:
    # 8 reports: 4 under 13 and 4 aged 13-15. Both "<5" with a total of 8 would each have to
    # be 4, and there is no larger count to withhold: the age table is left out.
    add_reports(4, at(2025, 8), victim_age="under_13")
    add_reports(4, at(2025, 8), victim_age="13_15")
    quarter_publish(actor=administrator(), key=QuarterKey(2025, 3))

    body = json.loads(client.get("/figures/figures.json").content)
    assert body["quarters"][0]["total"]["text"] == "8"
    assert body["quarters"][0]["tables"]["age"] is None
    assert body["quarters"][0]["tables"]["type"] is not None
    html = client.get("/figures/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Too few reports to show this table safely." in html
    rows = list(csv.reader(io.StringIO(client.get("/figures/figures.csv").content.decode())))
    assert not [row for row in rows if row[1] == "age"]


@given(text=st.text(max_size=60))
@settings(max_examples=300, deadline=None)
def test_any_text_is_a_quarter_or_a_clear_refusal(text: str) -> None:
    try:
        key = QuarterKey.parse(text)
    except StatisticsError as exc:
        message = str(exc)
        key = None
    if key is None:
        assert message
    else:
        assert re.fullmatch(r"[0-9]{4}-?[qQ][1-4]", text.strip())
        assert QuarterKey.parse(str(key)) == key
