"""Staff search by identifier and the cluster page."""

from __future__ import annotations

import pytest
from django.test import Client

from hotline.accounts.models import User
from hotline.audit.models import AuditEvent
from hotline.entities.models import Entity
from hotline.entities.tasks import report_extract
from hotline.intake.services import ReportInput, report_submit
from staff_login import log_in, make_staff
from staff_login import staff_client as new_staff_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client() -> Client:
    return new_staff_client("analyst")[0]


def _linked_reports() -> None:
    for narrative in [
        "He runs https://t.me/DarkMarket_KH and takes ABA 000 123 456",
        "Join t.me/darkmarket_kh, pay ABA: 000123456",
        "Telegram @darkmarket_kh, phone 012 345 678",
    ]:
        report = report_submit(
            data=ReportInput(
                reporter_role="myself", categories=["sextortion"], narrative=narrative
            ),
            evidence=[],
        ).report
        report_extract(report.pk)


def test_search_in_any_format_leads_to_the_cluster(staff_client: Client) -> None:
    _linked_reports()
    response = staff_client.get("/staff/entities/", {"q": "  ០១២-៣៤៥-៦៧៨ "})
    assert response.status_code == 302
    phone = Entity.objects.get(kind="phone")
    assert response["Location"] == f"/staff/entities/{phone.pk}/"
    page = staff_client.get(response["Location"])
    text = page.content.decode()
    assert page.status_code == 200
    assert "+85512345678" in text
    assert "https://t.me/darkmarket_kh" in text
    assert "aba:000123456" in text
    assert "3 reports" in text
    assert "<svg" in text
    assert AuditEvent.objects.filter(action="entities.view").count() == 1
    assert AuditEvent.objects.filter(action="entities.search").count() == 1


def test_unknown_identifier_says_so(staff_client: Client) -> None:
    response = staff_client.get("/staff/entities/", {"q": "https://t.me/nobody_here"})
    assert response.status_code == 200
    assert "No report names this identifier" in response.content.decode()


def test_pages_need_a_staff_account() -> None:
    _linked_reports()
    entity = Entity.objects.first()
    assert entity is not None
    anonymous = Client()
    assert anonymous.get(f"/staff/entities/{entity.pk}/").status_code == 302
    account = make_staff("visitor")
    User.objects.filter(pk=account.user.pk).update(is_staff=False)
    visitor = Client()
    log_in(visitor, account)
    assert visitor.get(f"/staff/entities/{entity.pk}/").status_code == 403
    assert visitor.get("/staff/entities/", {"q": "t.me/darkmarket_kh"}).status_code == 403
