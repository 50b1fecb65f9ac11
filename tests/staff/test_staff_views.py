"""Staff see reports decrypted only after logging in; every view is audited."""

from __future__ import annotations

import pytest
from django.contrib.auth.hashers import get_hasher
from django.test import Client

from hotline.accounts.models import User
from hotline.audit.models import AuditEvent
from hotline.intake.models import Message
from hotline.intake.services import ReportInput, report_submit
from staff_login import Staff, log_in, make_staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def analyst() -> Staff:
    return make_staff("analyst")


@pytest.fixture
def report_id() -> str:
    submitted = report_submit(
        data=ReportInput(
            reporter_role="myself",
            categories=["sextortion"],
            narrative="Distinctive narrative for the staff test",
            links=["https://t.me/example_group"],
        ),
        evidence=[],
    )
    return str(submitted.report.public_id)


def test_anonymous_visitor_is_sent_to_login(report_id: str) -> None:
    client = Client()
    for url in ["/staff/", f"/staff/reports/{report_id}/"]:
        response = client.get(url)
        assert response.status_code == 302
        assert "/staff/login/" in response["Location"]


def test_non_staff_account_is_refused(report_id: str) -> None:
    visitor = make_staff("visitor")
    User.objects.filter(pk=visitor.user.pk).update(is_staff=False)
    client = Client()
    log_in(client, visitor)
    assert client.get(f"/staff/reports/{report_id}/").status_code == 403


def test_staff_sees_decrypted_report_and_access_is_audited(analyst: Staff, report_id: str) -> None:
    client = Client()
    log_in(client, analyst)
    listing = client.get("/staff/")
    assert report_id in listing.content.decode()
    detail = client.get(f"/staff/reports/{report_id}/")
    page = detail.content.decode()
    assert "Distinctive narrative for the staff test" in page
    assert "https://t.me/example_group" in page
    assert AuditEvent.objects.filter(
        action="report.view", target_id=report_id, actor=analyst.user
    ).exists()


def test_staff_message_reaches_the_report(analyst: Staff, report_id: str) -> None:
    client = Client()
    log_in(client, analyst)
    response = client.post(f"/staff/reports/{report_id}/", {"body": "Please send the link."})
    assert response.status_code == 302
    assert Message.objects.filter(report__public_id=report_id, author="staff").count() == 1


def test_production_hasher_is_argon2() -> None:
    from hotline import settings as production

    assert production.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")
    hasher = get_hasher("argon2")
    assert hasher.encode("x", hasher.salt()).startswith("argon2")
