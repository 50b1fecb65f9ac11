"""Analysts change a report's state and assignment from its page (POST, CSRF, clear refusals)."""

from __future__ import annotations

import pytest
from django.test import Client

from hotline.accounts.models import User
from hotline.accounts.services import staff_create
from hotline.cases.models import Assignment
from hotline.intake.models import Report
from hotline.intake.services import ReportInput, report_submit

pytestmark = pytest.mark.django_db

PASSWORD = "a long enough passphrase 42"


@pytest.fixture
def analyst() -> User:
    return staff_create(username="analyst", password=PASSWORD)


@pytest.fixture
def client(analyst: User) -> Client:
    client = Client()
    client.force_login(analyst)
    return client


@pytest.fixture
def report() -> Report:
    return report_submit(
        data=ReportInput(reporter_role="myself", categories=["sextortion"]), evidence=[]
    ).report


def test_report_page_offers_only_allowed_moves_by_label(client: Client, report: Report) -> None:
    page = client.get(f"/staff/reports/{report.public_id}/").content.decode()
    assert '<dd id="case-state">Received</dd>' in page
    assert '<option value="in_review">In assessment</option>' in page
    assert 'value="closed"' not in page  # not allowed straight from "received"
    assert "<dd>Someone threatens to share my photos or videos unless I pay" in page


def test_state_change_from_the_page(client: Client, report: Report) -> None:
    response = client.post(
        f"/staff/cases/{report.public_id}/state/",
        {"to_state": "in_review", "expected_state": "received", "note": "looking now"},
    )
    assert response.status_code == 302
    report.refresh_from_db()
    assert report.status == "in_review"
    page = client.get(f"/staff/reports/{report.public_id}/").content.decode()
    assert "analyst · Received → In assessment: looking now" in page


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"to_state": "closed", "expected_state": "received"}, "cannot go from"),
        ({"to_state": "in_review", "expected_state": "assessed"}, "Someone else changed"),
        ({"to_state": "gone", "expected_state": "received"}, "could not be read"),
    ],
)
def test_refused_change_is_a_clear_409_and_changes_nothing(
    client: Client, report: Report, data: dict[str, str], message: str
) -> None:
    response = client.post(f"/staff/cases/{report.public_id}/state/", data)
    assert response.status_code == 409
    assert message in response.content.decode()
    report.refresh_from_db()
    assert report.status == "received"


def test_claim_and_release_from_the_page(client: Client, analyst: User, report: Report) -> None:
    assert client.post(f"/staff/cases/{report.public_id}/claim/").status_code == 302
    assert Assignment.objects.get(report=report).assignee == analyst
    assert client.post(f"/staff/cases/{report.public_id}/claim/").status_code == 409
    assert client.post(f"/staff/cases/{report.public_id}/release/").status_code == 302
    assert not Assignment.objects.exists()


def test_case_actions_need_post_and_staff(report: Report) -> None:
    User.objects.create_user(username="visitor", password=PASSWORD)
    visitor = Client()
    visitor.login(username="visitor", password=PASSWORD)
    url = f"/staff/cases/{report.public_id}/claim/"
    assert visitor.post(url).status_code == 403
    staff_create(username="other", password=PASSWORD)
    other = Client()
    other.login(username="other", password=PASSWORD)
    assert other.get(url).status_code == 405
    assert not Assignment.objects.exists()


def test_case_actions_need_csrf(analyst: User, report: Report) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(analyst)
    assert client.post(f"/staff/cases/{report.public_id}/claim/").status_code == 403
    assert not Assignment.objects.exists()
