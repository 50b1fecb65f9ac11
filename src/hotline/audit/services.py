"""Write and verify the audit chain."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from hotline.accounts.models import User
from hotline.audit.models import AuditEvent, AuditHead

GENESIS = "0" * 64


def _canonical(event: AuditEvent) -> bytes:
    body = {
        "at": event.at.isoformat(),
        "actor": event.actor_label,
        "action": event.action,
        "target_type": event.target_type,
        "target_id": event.target_id,
        "details": event.details,
    }
    return json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def _chain(previous: str, event: AuditEvent) -> str:
    return hashlib.sha256(previous.encode() + b"|" + _canonical(event)).hexdigest()


def _head_for_update() -> AuditHead:
    """Return the chain head, locked until the caller's transaction ends."""
    head = AuditHead.objects.select_for_update().filter(pk=1).first()
    if head is None:
        # First event ever (the migration creates the row; a flushed test database does not
        # have it). A head deleted on purpose is reported by audit_verify until this recreates it.
        newest = AuditEvent.objects.order_by("-id").values_list("chain_hash", flat=True).first()
        head = AuditHead.objects.create(
            pk=1, chain_hash=newest or GENESIS, events=AuditEvent.objects.count()
        )
    return head


def audit_record(
    *,
    actor: User | None,
    action: str,
    target_type: str = "",
    target_id: str | int = "",
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one event to the chain and move the head to it, in one transaction.

    The new event follows the head, not the newest row: if the newest rows were deleted, the next
    event still names the deleted one as its predecessor and the gap stays visible. The head row
    lock serialises writers; the unique constraint on previous_hash still makes two writers that
    read the same head fail instead of forking the chain (the loser retries on the new head).
    """
    label = actor.get_username() if actor is not None else "system"
    for _attempt in range(20):
        try:
            with transaction.atomic():
                head = _head_for_update()
                event = AuditEvent(
                    at=timezone.now(),
                    actor=actor,
                    actor_label=label,
                    action=action,
                    target_type=target_type,
                    target_id=str(target_id),
                    details=details or {},
                    previous_hash=head.chain_hash,
                )
                event.chain_hash = _chain(event.previous_hash, event)
                event.save()
                head.chain_hash = event.chain_hash
                head.events += 1
                head.save(update_fields=["chain_hash", "events"])
                return event
        except IntegrityError:
            continue
    raise RuntimeError("audit chain is too contended to append")


@dataclass(frozen=True)
class ChainCheck:
    """Result of verifying the chain.

    `head` is the hash the chain ends with: an operator who keeps a copy of it outside the database
    can later tell whether someone rewrote the events and the head row together.
    """

    ok: bool
    events: int
    first_bad_id: int | None = None
    reason: str = ""
    head: str = GENESIS


def audit_verify() -> ChainCheck:
    """Recompute every hash in order and compare the end of the chain with its head.

    The head is read first: events appended while the walk runs come after it and are checked
    as links, so a concurrent append is not mistaken for tampering.
    """
    head = AuditHead.objects.filter(pk=1).first()
    previous = GENESIS
    count = 0
    hash_at_head: str | None = None
    for event in AuditEvent.objects.order_by("id").iterator():
        count += 1
        if event.previous_hash != previous or _chain(previous, event) != event.chain_hash:
            return ChainCheck(
                ok=False,
                events=count,
                first_bad_id=event.id,
                reason=f"event {event.id} was altered, or the event before it was deleted",
            )
        previous = event.chain_hash
        if head is not None and count == head.events:
            hash_at_head = previous
    if head is None:
        if count:
            return ChainCheck(
                ok=False, events=count, reason="the chain head is missing", head=previous
            )
        return ChainCheck(ok=True, events=0)
    if count < head.events:
        return ChainCheck(
            ok=False,
            events=count,
            reason=f"the newest {head.events - count} of {head.events} events are missing",
            head=previous,
        )
    if hash_at_head != head.chain_hash and head.events > 0:
        return ChainCheck(
            ok=False,
            events=count,
            reason="the chain does not pass through its recorded head: events are missing",
            head=previous,
        )
    return ChainCheck(ok=True, events=count, head=previous)
