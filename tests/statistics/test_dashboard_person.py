"""Gender and province of the person harmed on the staff dashboard: counted only when the
reporter gave them ("Not given" for the rest), the same live and from the rollup, on the page,
in its charts and CSV files; never in the public figures."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import date

import pytest
from dashboard_data import build
from django.test import Client
from django.utils import translation

from hotline.intake.choices import Province, VictimGender
from hotline.statistics.dashboard import (
    TABLE_NAMES,
    Bucket,
    Filters,
    Row,
    by_gender,
    by_province,
    counted,
)
from hotline.statistics.public import TABLES, quarter_figures, year_counts
from hotline.statistics.rollup import rollup_rebuild
from staff_login import log_in, make_staff

pytestmark = pytest.mark.django_db

Q1 = Filters(start=date(2026, 1, 1), end=date(2026, 3, 31), bucket=Bucket.MONTH)
Q1_QUERY = "start=2026-01-01&end=2026-03-31&bucket=month"
# The hand-computed counts of dashboard_data.build() in Q1 (r1, r2, r3, r4, r8; r3 and r8
# answered neither question).
GENDER_Q1 = {"female": 2, "male": 1, "": 2}
PROVINCE_Q1 = {"kampot": 1, "phnom_penh": 1, "outside": 1, "": 2}


def _nonzero(rows: list[Row]) -> dict[str, int]:
    return {row.code: row.count for row in rows if row.count}


@pytest.fixture
def analyst_client(client: Client) -> Client:
    log_in(client, make_staff("dash-person", role="analyst"))
    return client


def test_gender_and_province_are_counted_with_not_given_for_the_rest() -> None:
    build()
    assert _nonzero(by_gender(Q1)) == GENDER_Q1
    assert _nonzero(by_province(Q1)) == PROVINCE_Q1
    # Every answer is listed, 0 when nobody gave it: a staff reader sees which have none.
    assert {row.code for row in by_gender(Q1)} == set(VictimGender.values)
    assert {row.code for row in by_province(Q1)} == set(Province.values)
    labels = {row.code: row.label for row in by_province(Q1)}
    assert (labels[""], labels["kratie"], labels["outside"]) == (
        "Not given",
        "Kratié",
        "Outside Cambodia",
    )
    only = Filters(start=Q1.start, end=Q1.end, bucket=Q1.bucket, category="sextortion")
    assert _nonzero(by_gender(only)) == {"female": 2, "male": 1}
    assert _nonzero(by_province(only)) == {"kampot": 1, "phnom_penh": 1, "outside": 1}


def test_the_rollup_gives_the_live_gender_and_province_counts_in_english() -> None:
    build()
    periods = [
        Q1,
        Filters(start=Q1.start, end=Q1.end, bucket=Q1.bucket, category="grooming"),
        Filters(start=date(2026, 1, 1), end=date(2026, 1, 5), bucket=Bucket.WEEK),
    ]
    dimensions = ("gender", "province")
    live = [[counted(f, d, rolled=False) for d in dimensions] for f in periods]
    rollup_rebuild()
    # Staff labels stay English whatever language the request was in.
    with translation.override("km"):
        rolled = [[counted(f, d, rolled=True) for d in dimensions] for f in periods]
    assert rolled == live
    assert _nonzero(live[0][0]) == GENDER_Q1
    assert _nonzero(live[1][1]) == {"kampot": 1}  # r1 is the only grooming report of Q1
    assert _nonzero(live[2][0]) == {"female": 1, "": 1}  # r8 (1 Jan) and r1 (5 Jan)


@pytest.mark.parametrize("rolled", [False, True])
def test_the_page_charts_and_csv_show_gender_and_province(
    analyst_client: Client, rolled: bool
) -> None:
    build()
    if rolled:
        rollup_rebuild()
    page = analyst_client.get(f"/staff/statistics/?{Q1_QUERY}").content.decode()
    assert {"gender", "province"} <= set(TABLE_NAMES)
    # The note says the truth: optional questions, counted only when given.
    assert "counted only when the reporter gave them" in page
    gender = re.search(r'id="table-gender".*?</table>', page, re.S)
    assert gender
    assert re.search(
        r'<th scope="row">Not given</th><td class="n"></td><td class="n">2</td>', gender.group(0)
    )
    assert "the gender of the person harmed (only when given)" in gender.group(0)
    province = re.search(r'id="table-province".*?</table>', page, re.S)
    assert province
    assert province.group(0).count('<tr><th scope="row">') == len(Province.values)
    for name in ("gender", "province"):
        chart = analyst_client.get(f"/staff/statistics/chart/{name}.svg?{Q1_QUERY}")
        assert chart.status_code == 200
        assert chart["Content-Type"] == "image/svg+xml"
    rows = list(
        csv.reader(
            io.StringIO(
                analyst_client.get(
                    f"/staff/statistics/csv/province.csv?{Q1_QUERY}"
                ).content.decode()
            )
        )
    )
    assert rows[0] == ["province", "code", "reports"]
    counts = {code: int(n) for _, code, n in rows[1:]}
    assert {code: n for code, n in counts.items() if n} == PROVINCE_Q1
    assert ["Phnom Penh", "phnom_penh", "1"] in rows


def test_gender_and_province_are_never_in_the_public_figures() -> None:
    build()
    assert set(TABLES) == {"type", "platform", "age", "outcome"}
    counts = year_counts(2026)
    published = json.dumps([quarter_figures(c, 3) for c in counts.values()])
    for code in ("female", "male", "kampot", "phnom_penh", "outside", "Kampot", "Girl"):
        assert code not in published, code
