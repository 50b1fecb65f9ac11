"""The audit log is a hash chain: an edit or a deletion anywhere, the newest events included,
is detected."""

from __future__ import annotations

import pytest
from django.db import transaction

from hotline.audit.models import AuditEvent, AuditHead
from hotline.audit.services import audit_record, audit_verify

pytestmark = pytest.mark.django_db

EVENTS = 5


def _events(count: int = 3) -> list[AuditEvent]:
    return [
        audit_record(actor=None, action=f"test.{i}", target_type="thing", target_id=i)
        for i in range(count)
    ]


def test_chain_verifies_when_untouched() -> None:
    _events()
    check = audit_verify()
    assert check.ok
    assert check.events == 3


def test_empty_chain_verifies() -> None:
    assert audit_verify().ok


def test_edited_event_breaks_the_chain() -> None:
    events = _events()
    AuditEvent.objects.filter(pk=events[1].pk).update(action="test.forged")
    check = audit_verify()
    assert not check.ok
    assert check.first_bad_id == events[1].pk


def test_deleting_any_one_event_breaks_the_chain_the_newest_included() -> None:
    events = _events(EVENTS)
    for position, event in enumerate(events):
        with transaction.atomic():
            AuditEvent.objects.filter(pk=event.pk).delete()
            check = audit_verify()
            transaction.set_rollback(True)
        assert not check.ok, f"deleting event {position} of {EVENTS} went unnoticed"
        if position < EVENTS - 1:
            # The successor no longer links to what precedes it.
            assert check.first_bad_id == events[position + 1].pk
        else:
            # Nothing follows the newest event: the head kept apart from the events notices.
            assert check.first_bad_id is None
            assert "missing" in check.reason
    assert audit_verify().ok


def test_deleting_the_newest_events_or_all_of_them_breaks_the_chain() -> None:
    events = _events(EVENTS)
    for kept in range(EVENTS):
        with transaction.atomic():
            AuditEvent.objects.filter(pk__gt=events[kept - 1].pk if kept else 0).delete()
            assert AuditEvent.objects.count() == kept
            check = audit_verify()
            transaction.set_rollback(True)
        assert not check.ok, f"keeping only the first {kept} of {EVENTS} went unnoticed"
        assert check.reason
    assert audit_verify().ok


def test_an_event_recorded_after_a_deletion_still_shows_the_gap() -> None:
    events = _events(EVENTS)
    AuditEvent.objects.filter(pk=events[-1].pk).delete()
    later = audit_record(actor=None, action="test.later")
    check = audit_verify()
    assert not check.ok
    assert check.first_bad_id == later.pk


def test_a_missing_head_with_events_breaks_the_chain() -> None:
    _events()
    AuditHead.objects.all().delete()
    check = audit_verify()
    assert not check.ok
    assert "head" in check.reason


def test_head_is_updated_with_each_event() -> None:
    events = _events()
    head = AuditHead.objects.get()
    assert head.chain_hash == events[-1].chain_hash
    assert head.events == 3


def test_events_link_to_their_predecessor() -> None:
    events = _events()
    assert events[1].previous_hash == events[0].chain_hash
    assert events[2].previous_hash == events[1].chain_hash
