"""The staff dashboard page, its charts and CSV files: who may see them, what they hold, and
that no filter, however garbled, makes them fail."""

from __future__ import annotations

import csv
import io
import re
from xml.etree import ElementTree as ET

import pytest
from dashboard_data import build, report
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hotline.audit.models import AuditEvent
from hotline.statistics.dashboard import TABLE_NAMES
from staff_login import log_in, make_staff

pytestmark = pytest.mark.django_db

Q1 = "start=2026-01-01&end=2026-03-31&bucket=month"
ROLES_ALLOWED = ["analyst", "senior_analyst", "administrator"]
ROLES_REFUSED = ["caseworker", "liaison"]


@pytest.fixture
def analyst_client(client: Client) -> Client:
    log_in(client, make_staff("dash-analyst", role="analyst"))
    return client


@pytest.mark.parametrize("role", ROLES_ALLOWED + ROLES_REFUSED)
def test_the_dashboard_charts_and_csv_follow_the_permission_matrix(
    client: Client, role: str
) -> None:
    log_in(client, make_staff(f"dash-{role}", role=role))
    urls = [
        "/staff/statistics/",
        "/staff/statistics/chart/category.svg",
        "/staff/statistics/csv/category.csv",
    ]
    expected = 200 if role in ROLES_ALLOWED else 403
    assert [client.get(url).status_code for url in urls] == [expected] * 3
    nav = client.get("/staff/").content.decode()
    assert ('href="/staff/statistics/"' in nav) is (role in ROLES_ALLOWED)


def test_someone_not_logged_in_is_sent_to_the_login(client: Client) -> None:
    for url in ("/staff/statistics/", "/staff/statistics/csv/category.csv"):
        response = client.get(url)
        assert response.status_code == 302
        assert "/staff/login/" in response["Location"]


def test_the_page_shows_every_table_with_its_chart_and_csv_link(analyst_client: Client) -> None:
    build()
    page = analyst_client.get(f"/staff/statistics/?{Q1}").content.decode()
    assert "5 reports received from 2026-01-01 to 2026-03-31" in page
    for name in TABLE_NAMES:
        assert f'id="table-{name}"' in page
        assert f'src="/staff/statistics/chart/{name}.svg?{Q1.replace("&", "&amp;")}' in page
        assert f'href="/staff/statistics/csv/{name}.csv?' in page
    assert "no victim gender and no province" not in page  # the form asks them now
    assert "counted only when the reporter gave them" in page
    category = re.search(r'id="table-category".*?</table>', page, re.S)
    assert category
    assert re.search(
        r"Someone threatens.*?</th><td class=\"n\">sextortion</td><td class=\"n\">3<",
        category.group(0),
        re.S,
    )


def test_a_hotline_with_no_reports_yet_shows_zeros(analyst_client: Client) -> None:
    page = analyst_client.get("/staff/statistics/")
    assert page.status_code == 200
    assert 'id="no-data"' in page.content.decode()
    for name in TABLE_NAMES:
        assert analyst_client.get(f"/staff/statistics/chart/{name}.svg").status_code == 200


def test_the_category_csv_holds_the_counts_and_is_audited(analyst_client: Client) -> None:
    build()
    response = analyst_client.get(f"/staff/statistics/csv/category.csv?{Q1}&category=sextortion")
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "statistics-category-20260101-20260331.csv" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == ["type", "code", "reports"]
    counts = {code: int(n) for _, code, n in rows[1:]}
    assert counts["sextortion"] == 3
    assert counts["grooming"] == 1
    assert counts["other"] == 0
    event = AuditEvent.objects.get(action="statistics.csv_download")
    assert event.target_id == "category"
    assert event.details == {
        "start": "2026-01-01",
        "end": "2026-03-31",
        "category": "sextortion",
        "bucket": "month",
    }


def test_the_times_and_takedown_csvs_give_hours(analyst_client: Client) -> None:
    build()
    times = analyst_client.get(f"/staff/statistics/csv/times.csv?{Q1}").content.decode()
    assert times.splitlines()[1:] == [
        "receipt to assessment,3,5.0,10.0",
        "receipt to action,2,3.0,29.0",
    ]
    takedown = analyst_client.get(f"/staff/statistics/csv/takedown.csv?{Q1}").content.decode()
    assert takedown.splitlines()[1:] == ["Facebook,3,2,1,4.0,10.0", "Telegram,1,0,0,,"]


def test_a_stored_value_that_looks_like_a_formula_is_escaped_in_the_csv(
    analyst_client: Client,
) -> None:
    report("2026-01-02T10:00", language="=1+2")
    body = analyst_client.get(f"/staff/statistics/csv/language.csv?{Q1}").content.decode()
    assert "'=1+2,'=1+2,1" in body.splitlines()


def test_invalid_filters_are_named_and_the_default_period_shown(analyst_client: Client) -> None:
    cases = {
        "start=2026-13-45": "Enter a valid date",
        "start=2026-03-01&end=2026-01-01": "The start date is after the end date.",
        "start=1900-01-01": "at the earliest",
        "start=2001-01-01&end=2026-01-01": "at most 20 years",
        "category=nonsense": "is not one of them",
        "bucket=day": "is not one of them",
        "end=2999-01-01": "at most a year from today",
    }
    for query, message in cases.items():
        response = analyst_client.get(f"/staff/statistics/?{query}")
        assert response.status_code == 200, query
        page = response.content.decode()
        assert 'id="filter-errors"' in page, query
        assert message in page, query
        csv_response = analyst_client.get(f"/staff/statistics/csv/age.csv?{query}")
        assert csv_response.status_code == 400
        assert message in csv_response.content.decode()


def test_a_long_range_is_drawn_with_coarser_buckets(analyst_client: Client) -> None:
    page = analyst_client.get("/staff/statistics/?start=2007-01-01&end=2026-12-31&bucket=week")
    assert "counted per quarter" in page.content.decode()
    rows = (
        analyst_client.get(
            "/staff/statistics/csv/over_time.csv?start=2007-01-01&end=2026-12-31&bucket=week"
        )
        .content.decode()
        .splitlines()
    )
    assert rows[0] == "quarter,starts,reports"
    assert len(rows) == 1 + 80
    two_years = analyst_client.get("/staff/statistics/?start=2025-01-01&end=2026-12-31")
    assert "counted per month" in two_years.content.decode()


def test_an_unknown_table_is_not_found(analyst_client: Client) -> None:
    assert analyst_client.get("/staff/statistics/csv/nothing.csv").status_code == 404
    assert analyst_client.get("/staff/statistics/chart/nothing.svg").status_code == 404


@pytest.mark.parametrize("name", TABLE_NAMES)
def test_every_chart_is_svg_with_its_text_and_nothing_from_another_host(
    analyst_client: Client, name: str
) -> None:
    build()
    response = analyst_client.get(f"/staff/statistics/chart/{name}.svg?{Q1}")
    assert response["Content-Type"] == "image/svg+xml"
    csp = response["Content-Security-Policy"]
    assert "default-src 'none'" in csp
    assert "script-src" not in csp
    svg = response.content
    root = ET.fromstring(svg)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert not [e for e in root.iter() if e.tag.endswith("script")]
    # The only URLs left are the two XML namespace names (never fetched).
    urls = set(re.findall(rb"[a-z]+://[^\"'\s<>)]*", svg))
    assert urls <= {b"http://www.w3.org/2000/svg", b"http://www.w3.org/1999/xlink"}, urls
    for element in root.iter():
        for attribute, value in element.attrib.items():
            if attribute.endswith("href"):
                assert value.startswith("#"), (attribute, value)
    texts = " ".join(t.strip() for t in root.itertext() if t.strip())
    assert texts  # real text: titles, labels and values are <text>, not paths


def test_the_category_chart_names_its_bars(analyst_client: Client) -> None:
    build()
    svg = analyst_client.get(f"/staff/statistics/chart/category.svg?{Q1}").content.decode()
    assert "Reports by type" in svg
    assert "Someone threatens" in svg


garbage = st.one_of(
    st.text(max_size=40),
    st.text(alphabet="0123456789-", max_size=12),
    st.sampled_from(["", "2026-02-30", "0000-00-00", "9999-12-31", "2026-01-01T00:00", "\x00"]),
    st.text(min_size=2000, max_size=3000),
)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(start=garbage, end=garbage, category=garbage, bucket=garbage)
def test_no_filter_makes_the_dashboard_fail(
    analyst_client: Client, start: str, end: str, category: str, bucket: str
) -> None:
    params = {"start": start, "end": end, "category": category, "bucket": bucket}
    page = analyst_client.get("/staff/statistics/", params)
    assert page.status_code == 200
    download = analyst_client.get("/staff/statistics/csv/over_time.csv", params)
    assert download.status_code in {200, 400}
    chart = analyst_client.get("/staff/statistics/chart/category.svg", params)
    assert chart.status_code in {200, 400}
