"""The staff queue: worst first then oldest, why each report ranks there, filters, the clock."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from hotline.accounts.models import User
from hotline.cases.services import report_claim
from hotline.intake.models import Report
from hotline.intake.services import ReportInput, report_submit
from hotline.intake.tasks import report_process
from staff_login import Staff, log_in, make_staff

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


def _report(*, age_hours: float = 0, **fields: object) -> Report:
    values: dict[str, object] = {"reporter_role": "myself", "categories": ["other"], **fields}
    report = report_submit(data=ReportInput(**values), evidence=[]).report  # type: ignore[arg-type]
    report_process(report.pk)
    created = timezone.now() - timedelta(hours=age_hours)
    Report.objects.filter(pk=report.pk).update(created_at=created)
    report.refresh_from_db()
    return report


def _order(client: Client, query: str = "") -> list[str]:
    response = client.get("/staff/" + query)
    assert response.status_code == 200
    rows = response.content.decode().split('<tr data-report="')[1:]
    return [row.split('"', 1)[0] for row in rows]


def test_queue_is_ordered_by_priority_then_longest_waiting(client: Client) -> None:
    new_low = _report(age_hours=1)
    old_low = _report(age_hours=5)
    danger = _report(in_danger=True, age_hours=0.1)
    assert _order(client) == [str(danger.public_id), str(old_low.public_id), str(new_low.public_id)]


def test_queue_says_why_a_report_ranks_where_it_does(client: Client) -> None:
    _report(in_danger=True, categories=["live_abuse"], victim_age="under_13")
    page = client.get("/staff/").content.decode()
    assert "the reporter says someone is in danger right now (+100)" in page
    assert "category: A child is being abused live, on a live stream or video call (+80)" in page
    assert "the victim is a child (Under 13) (+20)" in page
    assert (
        "<li>category: A child is being abused live, on a live stream or video call (+80)</li>"
        in page
    )  # labels, not codes
    assert "<td>A child is being abused live, on a live stream or video call</td>" in page


def test_clock_turns_red_past_the_configured_limit(client: Client, settings: object) -> None:
    _report(age_hours=30)
    page = client.get("/staff/").content.decode()
    assert 'class="clock overdue"' in page
    settings.HOTLINE_TRIAGE_DEADLINE_HOURS = 48  # type: ignore[attr-defined]
    page = client.get("/staff/").content.decode()
    assert "overdue" not in page
    assert "1 d 6 h" in page


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("?category=sextortion", {"sextortion"}),
        ("?platform=telegram", {"telegram"}),
        ("?age=under_13", {"child"}),
        ("?age=unknown", {"sextortion", "telegram", "english", "mine"}),
        ("?language=en", {"english"}),
        ("?channel=web", {"sextortion", "telegram", "child", "english", "mine"}),
        ("?channel=api", set()),
        ("?assignee=analyst", {"mine"}),
        ("?assignee=none", {"sextortion", "telegram", "child", "english"}),
        ("?state=received&category=sextortion", {"sextortion"}),
        ("?state=closed", set()),
    ],
)
def test_filters_narrow_the_queue(
    client: Client, analyst: User, query: str, expected: set[str]
) -> None:
    made = {
        "sextortion": _report(categories=["sextortion", "grooming"]),
        "telegram": _report(platforms=["telegram", "facebook"]),
        "child": _report(victim_age="under_13"),
        "english": _report(language="en"),
        "mine": _report(),
    }
    report_claim(actor=analyst, report_id=made["mine"].pk)
    names = {str(report.public_id): name for name, report in made.items()}
    assert {names[public_id] for public_id in _order(client, query)} == expected


@pytest.mark.parametrize(
    "query", ["?state=deleted", "?category=bogus", "?age=99", "?assignee=nobody_here"]
)
def test_invalid_filter_gets_a_clear_message_not_an_error(client: Client, query: str) -> None:
    _report()
    response = client.get("/staff/" + query)
    assert response.status_code == 400
    page = response.content.decode()
    assert 'id="filter-errors"' in page
    assert "is not one of them" in page
    assert "data-report" not in page


def test_my_cases_link_shows_my_assigned_reports(client: Client, analyst: User) -> None:
    mine = _report()
    _report()
    report_claim(actor=analyst, report_id=mine.pk)
    page = client.get("/staff/").content.decode()
    assert 'href="?assignee=analyst&amp;state=all" id="my-cases"' in page
    assert _order(client, "?assignee=analyst&state=all") == [str(mine.public_id)]


def test_queue_needs_a_login_and_a_staff_account() -> None:
    assert Client().get("/staff/")["Location"].startswith("/staff/login/")
    visitor = make_staff("visitor")
    client = Client()
    log_in(client, visitor)
    User.objects.filter(pk=visitor.user.pk).update(is_staff=False)
    assert client.get("/staff/").status_code == 403
    assert client.get("/staff/?state=bogus").status_code == 403
