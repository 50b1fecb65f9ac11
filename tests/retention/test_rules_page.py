"""The retention rules page: administrators change the rules (audited); nobody else may."""

from __future__ import annotations

import pytest

from hotline.accounts.permissions import Role
from hotline.audit.models import AuditEvent
from hotline.retention.models import RetentionRule
from staff_login import staff_client

pytestmark = pytest.mark.django_db


def _rules() -> dict[tuple[str, str], int]:
    return {(r.state, r.category): r.keep_days for r in RetentionRule.objects.all()}


def test_an_administrator_sees_changes_adds_and_deletes_rules() -> None:
    client, staff = staff_client("admin1", role=Role.ADMINISTRATOR)
    page = client.get("/staff/retention/")
    assert page.status_code == 200
    assert "Closed: not actionable" in page.content.decode()  # labels, not codes
    changed = client.post("/staff/retention/", {"state": "no_action", "keep_days": "120"})
    assert changed.status_code == 302
    added = client.post(
        "/staff/retention/", {"state": "closed", "category": "sextortion", "keep_days": "3650"}
    )
    assert added.status_code == 302
    assert _rules()[("no_action", "")] == 120
    assert _rules()[("closed", "sextortion")] == 3650
    event = AuditEvent.objects.filter(action="retention.rule_set").order_by("pk").first()
    assert event is not None
    assert event.details == {"state": "no_action", "category": "", "keep_days": 120, "before": 90}
    assert event.actor_id == staff.user.pk
    rule = RetentionRule.objects.get(state="closed", category="sextortion")
    assert client.post("/staff/retention/delete/", {"rule": rule.pk}).status_code == 302
    assert ("closed", "sextortion") not in _rules()
    assert AuditEvent.objects.filter(action="retention.rule_delete").count() == 1


@pytest.mark.parametrize(
    "data",
    [
        {"state": "received", "keep_days": "30"},  # an open state: never purged
        {"state": "no_action", "keep_days": "0"},
        {"state": "no_action", "keep_days": "-5"},
        {"state": "no_action", "keep_days": "999999999999"},
        {"state": "no_action", "keep_days": "ninety"},
        {"state": "no_action", "keep_days": "90", "category": "not_a_category"},
        {"state": "no_action\x00", "keep_days": "90"},
        {},
    ],
)
def test_bad_rules_are_refused_clearly_and_change_nothing(data: dict[str, str]) -> None:
    client, _staff = staff_client("admin2", role=Role.ADMINISTRATOR)
    before = _rules()
    response = client.post("/staff/retention/", data)
    assert response.status_code == 400
    assert "Nothing was changed" in response.content.decode()
    assert _rules() == before
    assert not AuditEvent.objects.filter(action__startswith="retention.rule").exists()


@pytest.mark.parametrize("rule", ["", "abc", "0", "99999999", "1; DROP TABLE"])
def test_deleting_a_missing_or_garbage_rule_changes_nothing(rule: str) -> None:
    client, _staff = staff_client("admin3", role=Role.ADMINISTRATOR)
    before = _rules()
    response = client.post("/staff/retention/delete/", {"rule": rule})
    assert response.status_code in {400, 404}
    assert 'id="rule-error"' in response.content.decode()
    assert _rules() == before


@pytest.mark.parametrize("role", [Role.ANALYST, Role.SENIOR_ANALYST, Role.CASEWORKER, Role.LIAISON])
def test_other_roles_may_neither_see_nor_change_the_rules(role: str) -> None:
    client, _staff = staff_client(f"user-{role}", role=role)
    before = _rules()
    assert client.get("/staff/retention/").status_code == 403
    assert (
        client.post("/staff/retention/", {"state": "no_action", "keep_days": "1"}).status_code
        == 403
    )
    rule = RetentionRule.objects.first()
    assert rule is not None
    assert client.post("/staff/retention/delete/", {"rule": rule.pk}).status_code == 403
    assert _rules() == before


def test_without_login_the_page_asks_to_log_in() -> None:
    from django.test import Client

    response = Client().get("/staff/retention/")
    assert response.status_code == 302
    assert "/staff/login/" in response["Location"]
