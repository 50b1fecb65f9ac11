"""Analysts change a report's state and assignment from its page (POST, CSRF, clear refusals)."""

from __future__ import annotations

import pytest
from django.test import Client

from hotline.accounts.models import User
from hotline.audit.models import AuditEvent
from hotline.cases.models import Assignment, CaseEvent
from hotline.intake.models import Report
from hotline.intake.services import ReportInput, report_submit
from staff_login import Staff, log_in, make_staff, staff_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def analyst_staff() -> Staff:
    return make_staff("analyst")


@pytest.fixture
def analyst(analyst_staff: Staff) -> User:
    return analyst_staff.user


@pytest.fixture
def client(analyst_staff: Staff) -> Client:
    client = Client()
    log_in(client, analyst_staff)
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
    assert "<dd>Someone threatens to share photos or videos of me or my child" in page


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


def test_case_actions_need_post_and_a_login(client: Client, report: Report) -> None:
    url = f"/staff/cases/{report.public_id}/claim/"
    refused = Client().post(url)
    assert refused.status_code == 302
    assert refused["Location"].startswith("/staff/login/")
    assert client.get(url).status_code == 405
    assert not Assignment.objects.exists()


def test_case_actions_need_csrf(analyst_staff: Staff, report: Report) -> None:
    client = Client()
    log_in(client, analyst_staff)
    client.handler.enforce_csrf_checks = True  # from here on, as a browser's form posts are
    assert client.post(f"/staff/cases/{report.public_id}/claim/").status_code == 403
    assert not Assignment.objects.exists()


@pytest.mark.parametrize(
    ("action", "data"),
    [
        ("state", {"to_state": "in_review", "expected_state": "received"}),
        ("claim", {}),
        ("assign", {"assignee": "police"}),
    ],
)
def test_a_role_without_the_right_gets_403_and_nothing_changes(
    report: Report, action: str, data: dict[str, str]
) -> None:
    client, staff = staff_client("police", role="liaison")
    page = client.get(f"/staff/reports/{report.public_id}/").content.decode()
    assert 'id="case-state-form"' not in page
    assert 'id="case-claim"' not in page
    assert f"cases/{report.public_id}/assign/" not in page
    response = client.post(f"/staff/cases/{report.public_id}/{action}/", data)
    assert response.status_code == 403
    report.refresh_from_db()
    assert report.status == "received"
    assert not Assignment.objects.exists()
    assert not CaseEvent.objects.exists()
    refused = AuditEvent.objects.get(action="staff.forbidden", actor=staff.user)
    assert refused.target_id == f"/staff/cases/{report.public_id}/{action}/"


def test_an_analyst_may_not_assign_to_someone_else_nor_release_their_report(
    client: Client, analyst: User, report: Report
) -> None:
    other, _ = staff_client("sokha", role="analyst")
    assert other.post(f"/staff/cases/{report.public_id}/claim/").status_code == 302
    assign = client.post(f"/staff/cases/{report.public_id}/assign/", {"assignee": "analyst"})
    assert assign.status_code == 403
    assert client.post(f"/staff/cases/{report.public_id}/release/").status_code == 403
    assert Assignment.objects.get(report=report).assignee.username == "sokha"
    assert AuditEvent.objects.filter(action="staff.forbidden", actor=analyst).count() == 2


def test_a_senior_analyst_assigns_a_report_from_the_page(report: Report) -> None:
    make_staff("sokha")
    client, _ = staff_client("senior", role="senior_analyst")
    page = client.get(f"/staff/reports/{report.public_id}/").content.decode()
    assert 'id="case-assign-to"' in page
    assign = client.post(f"/staff/cases/{report.public_id}/assign/", {"assignee": "sokha"})
    assert assign.status_code == 302
    assert Assignment.objects.get(report=report).assignee.username == "sokha"
