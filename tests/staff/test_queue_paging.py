"""The queue's pages: Previous/Next without counting the queue; any page parameter is safe."""

from __future__ import annotations

import pytest
from django.test import Client

from hotline.intake.models import Report
from hotline.intake.services import ReportInput, report_submit
from staff_login import log_in, make_staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def client() -> Client:
    client = Client()
    log_in(client, make_staff("analyst"))
    return client


def _rows(client: Client, query: str) -> tuple[int, str]:
    response = client.get("/staff/" + query)
    assert response.status_code == 200
    page = response.content.decode()
    return page.count('<tr data-report="'), page


def test_fifty_one_reports_make_two_pages_with_links_both_ways(client: Client) -> None:
    data = ReportInput(reporter_role="myself", categories=["other"])
    for _ in range(51):
        report_submit(data=data, evidence=[])
    assert Report.objects.count() == 51
    count, page = _rows(client, "")
    assert count == 50
    assert "page=2" in page
    assert ">Previous<" not in page
    count, page = _rows(client, "?page=2")
    assert count == 1
    assert "page=1" in page
    assert ">Next<" not in page


@pytest.mark.parametrize("number", ["abc", "-3", "0", "99999999999999999999", "1e3", ""])
def test_a_page_parameter_that_is_not_a_page_is_harmless(client: Client, number: str) -> None:
    report_submit(data=ReportInput(reporter_role="myself", categories=["other"]), evidence=[])
    count, _page = _rows(client, f"?page={number}")
    assert count in (0, 1)
