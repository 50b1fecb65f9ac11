"""The audit log is a hash chain: any edit or deletion is detected."""

from __future__ import annotations

import pytest

from hotline.audit.models import AuditEvent
from hotline.audit.services import audit_record, audit_verify

pytestmark = pytest.mark.django_db


def _three_events() -> list[AuditEvent]:
    return [
        audit_record(actor=None, action=f"test.{i}", target_type="thing", target_id=i)
        for i in range(3)
    ]


def test_chain_verifies_when_untouched() -> None:
    _three_events()
    check = audit_verify()
    assert check.ok
    assert check.events == 3


def test_edited_event_breaks_the_chain() -> None:
    events = _three_events()
    AuditEvent.objects.filter(pk=events[1].pk).update(action="test.forged")
    check = audit_verify()
    assert not check.ok
    assert check.first_bad_id == events[1].pk


def test_deleted_event_breaks_the_chain() -> None:
    events = _three_events()
    AuditEvent.objects.filter(pk=events[1].pk).delete()
    check = audit_verify()
    assert not check.ok
    assert check.first_bad_id == events[2].pk


def test_events_link_to_their_predecessor() -> None:
    events = _three_events()
    assert events[1].previous_hash == events[0].chain_hash
    assert events[2].previous_hash == events[1].chain_hash
