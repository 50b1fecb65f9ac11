"""Staff screens for identifiers: a report's entities (confirm, reject, add) and matched escrows."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.test import Client

from hotline.accounts.models import User
from hotline.audit.models import AuditEvent
from hotline.entities.models import Entity, EscrowedIdentifier, ReportEntity
from hotline.entities.services import escrow_deposit
from hotline.entities.tasks import report_extract
from hotline.intake.models import Report
from hotline.intake.services import ReportInput, report_submit
from staff_login import log_in, make_staff
from staff_login import staff_client as new_staff_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client() -> Client:
    return new_staff_client("analyst")[0]


def _report(narrative: str) -> Report:
    report = report_submit(
        data=ReportInput(reporter_role="myself", categories=["sextortion"], narrative=narrative),
        evidence=[],
    ).report
    report_extract(report.pk)
    return report


def _url(report: Report, suffix: str = "") -> str:
    return f"/staff/reports/{report.public_id}/{suffix}"


def _rows_containing(needle: str) -> list[str]:
    hits = []
    for model in apps.get_models():
        for row in model.objects.all().values():
            for name, value in row.items():
                raw = bytes(value) if isinstance(value, bytes | memoryview) else str(value).encode()
                if needle.lower().encode() in raw.lower():
                    hits.append(f"{model._meta.label}.{name}")
    return hits


def test_report_page_lists_its_identifiers_decrypted(staff_client: Client) -> None:
    report = _report("Pay to ABA 000 123 456 or he posts it in t.me/Market_Kh_Test")
    html = staff_client.get(_url(report)).content.decode()
    assert 'id="entities"' in html
    assert "https://t.me/market_kh_test" in html
    assert "aba:000123456" in html
    assert html.count('name="decision" value="rejected"') == 2
    assert 'id="entity-add"' in html


def test_confirm_and_reject_are_recorded_and_audited(staff_client: Client) -> None:
    report = _report("He is t.me/Market_Kh_Test and his phone is 012 345 678")
    phone = ReportEntity.objects.get(report=report, entity__kind="phone")
    group = ReportEntity.objects.get(report=report, entity__kind="handle")
    response = staff_client.post(_url(report, f"entities/{phone.pk}/"), {"decision": "rejected"})
    assert response.status_code == 302
    assert response["Location"] == _url(report) + "#entities"
    staff_client.post(_url(report, f"entities/{group.pk}/"), {"decision": "confirmed"})
    phone.refresh_from_db()
    group.refresh_from_db()
    assert (phone.state, group.state) == ("rejected", "confirmed")
    assert phone.decided_by == User.objects.get(username="analyst")
    assert AuditEvent.objects.filter(action="entities.rejected", target_id=str(phone.pk)).exists()
    assert AuditEvent.objects.filter(action="entities.confirmed", target_id=str(group.pk)).exists()
    # A rejected identifier stays rejected when extraction runs again.
    report_extract(report.pk)
    phone.refresh_from_db()
    assert phone.state == "rejected"


def test_bad_decisions_and_foreign_links_change_nothing(staff_client: Client) -> None:
    report = _report("Phone 012 345 678")
    other = _report("Phone 017 888 999")
    link = ReportEntity.objects.get(report=report)
    assert (
        staff_client.post(_url(report, f"entities/{link.pk}/"), {"decision": "x"}).status_code
        == 400
    )
    assert staff_client.post(_url(report, f"entities/{link.pk}/"), {}).status_code == 400
    # A link of another report through this report's URL is not found.
    assert (
        staff_client.post(_url(other, f"entities/{link.pk}/"), {"decision": "rejected"}).status_code
        == 404
    )
    assert staff_client.get(_url(report, f"entities/{link.pk}/")).status_code == 405
    link.refresh_from_db()
    assert link.state == "extracted"


def test_add_identifier_in_any_format(staff_client: Client) -> None:
    report = _report("Nothing to extract here.")
    response = staff_client.post(_url(report, "entities/"), {"identifier": " ០១២-៣៤៥-៦៧៨ "})
    assert response.status_code == 302
    link = ReportEntity.objects.get(report=report)
    assert (link.state, link.origin, link.entity.kind) == ("confirmed", "analyst", "phone")
    assert AuditEvent.objects.filter(action="entities.added").count() == 1
    html = staff_client.get(_url(report)).content.decode()
    assert "+85512345678" in html
    assert "added by an analyst" in html
    # Stored as a digest and ciphertext only.
    assert _rows_containing("85512345678") == []
    assert _rows_containing("012345678") == []


@pytest.mark.parametrize(
    "text", ["", "no identifier here", "1234567890", "t.me/one_name t.me/two_name", "x" * 2001]
)
def test_add_refuses_bad_input_with_a_message(staff_client: Client, text: str) -> None:
    report = _report("Nothing to extract here.")
    response = staff_client.post(_url(report, "entities/"), {"identifier": text})
    assert response.status_code == 400
    assert 'class="error" role="alert"' in response.content.decode()
    assert ReportEntity.objects.count() == 0
    assert Entity.objects.count() == 0


def _matched_escrow() -> EscrowedIdentifier:
    earlier = _report("I am not ready to say more.")
    escrow = escrow_deposit(report=earlier, text="@Escrow_Only_Kh on Telegram")
    _report("He runs https://t.me/escrow_only_kh and wants money")
    escrow.refresh_from_db()
    assert escrow.state == EscrowedIdentifier.State.MATCHED
    return escrow


def test_analyst_sees_matches_and_asks_for_consent(staff_client: Client) -> None:
    escrow = _matched_escrow()
    page = staff_client.get("/staff/entities/escrows/")
    html = page.content.decode()
    assert page.status_code == 200
    assert f'id="escrow-{escrow.pk}"' in html
    assert str(escrow.report.public_id) in html
    assert escrow.matched_report is not None
    assert str(escrow.matched_report.public_id) in html
    # The list never shows the escrowed identifier (it is not stored anywhere to show).
    assert "escrow_only_kh" not in html.lower()
    assert _rows_containing("escrow_only_kh") == []
    assert AuditEvent.objects.filter(action="entities.escrows_view").count() == 1
    response = staff_client.post(f"/staff/entities/escrows/{escrow.pk}/ask/")
    assert response.status_code == 302
    escrow.refresh_from_db()
    assert escrow.state == EscrowedIdentifier.State.CONSENT_ASKED
    assert AuditEvent.objects.filter(action="entities.escrow_consent_asked").count() == 1
    after = staff_client.get("/staff/entities/escrows/").content.decode()
    assert f'id="escrow-{escrow.pk}"' not in after
    assert "Reporter asked for consent" in after
    # Asking twice is refused and says so.
    again = staff_client.post(f"/staff/entities/escrows/{escrow.pk}/ask/")
    assert again["Location"].endswith("?refused=1")
    assert AuditEvent.objects.filter(action="entities.escrow_consent_asked").count() == 1
    detail = staff_client.get(f"/staff/reports/{escrow.report.public_id}/").content.decode()
    assert "left 1 identifier in escrow" in detail


def test_waiting_escrows_are_not_listed(staff_client: Client) -> None:
    earlier = _report("Not ready.")
    escrow_deposit(report=earlier, text="t.me/nobody_else_names_this")
    html = staff_client.get("/staff/entities/escrows/").content.decode()
    assert "No matched escrows waiting." in html
    assert str(earlier.public_id) not in html
    assert staff_client.post("/staff/entities/escrows/999999/ask/").status_code == 404


def test_anonymous_visitors_go_to_login_and_non_staff_are_refused() -> None:
    escrow = _matched_escrow()
    report = escrow.report
    link_report = escrow.matched_report
    assert link_report is not None
    link = ReportEntity.objects.filter(report=link_report).first()
    assert link is not None
    requests = [
        ("get", "/staff/entities/escrows/", {}),
        ("post", f"/staff/entities/escrows/{escrow.pk}/ask/", {}),
        ("post", _url(report, "entities/"), {"identifier": "t.me/x_added_name"}),
        ("post", _url(link_report, f"entities/{link.pk}/"), {"decision": "rejected"}),
    ]
    anonymous = Client()
    for method, url, data in requests:
        response = getattr(anonymous, method)(url, data)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/staff/login/"), url
    account = make_staff("visitor")
    User.objects.filter(pk=account.user.pk).update(is_staff=False)
    visitor = Client()
    log_in(visitor, account)
    for method, url, data in requests:
        assert getattr(visitor, method)(url, data).status_code == 403, url
    escrow.refresh_from_db()
    link.refresh_from_db()
    assert escrow.state == EscrowedIdentifier.State.MATCHED
    assert link.state == "extracted"
    assert not ReportEntity.objects.filter(origin="analyst").exists()


def test_an_account_of_unusual_length_is_shown_flagged(staff_client: Client) -> None:
    report = _report("ACLEDA 788 369 075 and ABA 000 123 456")
    html = staff_client.get(_url(report)).content.decode()
    assert "acleda:788369075" in html
    assert html.count("unusual length") == 1
    account = Entity.objects.get(flags="unusual_length")
    cluster = staff_client.get(f"/staff/entities/{account.pk}/").content.decode()
    assert "unusual length" in cluster
