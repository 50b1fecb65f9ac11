"""Write and verify the audit chain."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from hotline.accounts.models import User
from hotline.audit.models import AuditEvent

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


def audit_record(
    *,
    actor: User | None,
    action: str,
    target_type: str = "",
    target_id: str | int = "",
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one event to the chain.

    The unique constraint on previous_hash makes two concurrent writers that read the same
    head fail instead of forking the chain; the loser retries on the new head.
    """
    label = actor.get_username() if actor is not None else "system"
    for _attempt in range(20):
        try:
            with transaction.atomic():
                head = (
                    AuditEvent.objects.order_by("-id").values_list("chain_hash", flat=True).first()
                )
                event = AuditEvent(
                    at=timezone.now(),
                    actor=actor,
                    actor_label=label,
                    action=action,
                    target_type=target_type,
                    target_id=str(target_id),
                    details=details or {},
                    previous_hash=head or GENESIS,
                )
                event.chain_hash = _chain(event.previous_hash, event)
                event.save()
                return event
        except IntegrityError:
            continue
    raise RuntimeError("audit chain is too contended to append")


@dataclass(frozen=True)
class ChainCheck:
    """Result of verifying the chain."""

    ok: bool
    events: int
    first_bad_id: int | None = None


def audit_verify() -> ChainCheck:
    """Recompute every hash in order; return where the chain first breaks, if it does."""
    previous = GENESIS
    count = 0
    for event in AuditEvent.objects.order_by("id").iterator():
        count += 1
        if event.previous_hash != previous or _chain(previous, event) != event.chain_hash:
            return ChainCheck(ok=False, events=count, first_bad_id=event.id)
        previous = event.chain_hash
    return ChainCheck(ok=True, events=count)
