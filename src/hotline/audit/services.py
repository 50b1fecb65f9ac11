"""Write and verify the audit chain."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.db import IntegrityError, transaction
from django.db.models import TextField
from django.db.models.functions import Cast
from django.utils import timezone

from hotline.accounts.models import User
from hotline.audit.models import GENESIS, AuditEvent, AuditHead

if TYPE_CHECKING:
    from hotline.audit.checkpoints import Checkpoint

# Rows fetched per query while verifying: big enough that round trips do not dominate,
# small enough that a million events never sit in memory at once.
VERIFY_CHUNK = 20_000

_encode = json.JSONEncoder(sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode
# JSON string encoder of the C encoder above (ensure_ascii=False): quotes and escapes a str
# exactly as `_encode` does inside an object.
_string = json.encoder.encode_basestring
# Distinct `details` texts remembered while verifying (most events share a few shapes).
_DETAILS_MEMO_LIMIT = 50_000


def canonical_parts(
    *,
    at_iso: str,
    actor_label: str,
    action: str,
    target_type: str,
    target_id: str,
    details_json: str,
) -> bytes:
    """Return the canonical bytes from already-encoded parts (the verifier's fast path).

    Byte for byte what `_encode` makes of the whole object: keys in sorted order, ',' and ':'
    separators, strings escaped by the same C function. `details_json` is `_encode(details)`.
    tests/audit/test_verify.py checks the two agree, hostile strings included.
    """
    return (
        '{"action":'
        + _string(action)
        + ',"actor":'
        + _string(actor_label)
        + ',"at":'
        + _string(at_iso)
        + ',"details":'
        + details_json
        + ',"target_id":'
        + _string(target_id)
        + ',"target_type":'
        + _string(target_type)
        + "}"
    ).encode()


def canonical(
    *,
    at: datetime,
    actor_label: str,
    action: str,
    target_type: str,
    target_id: str,
    details: Any,
) -> bytes:
    """Return the bytes an event's hash covers (sorted-key compact JSON, UTF-8).

    The one definition used both when an event is written and when the chain is verified, so
    the two cannot drift apart. Changing it invalidates every stored chain.
    """
    return canonical_parts(
        at_iso=at.isoformat(),
        actor_label=actor_label,
        action=action,
        target_type=target_type,
        target_id=target_id,
        details_json=_encode(details),
    )


def canonical_reference(
    *,
    at: datetime,
    actor_label: str,
    action: str,
    target_type: str,
    target_id: str,
    details: Any,
) -> bytes:
    """Return the canonical bytes the plain way (one sorted-key encode of the whole object).

    The definition `canonical_parts` must match; kept for tests and for readers of exports.
    """
    body = {
        "at": at.isoformat(),
        "actor": actor_label,
        "action": action,
        "target_type": target_type,
        "target_id": target_id,
        "details": details,
    }
    return _encode(body).encode()


def chain_hash(previous: str, body: bytes) -> str:
    """Return SHA-256(previous chain hash | canonical body) as hex."""
    return hashlib.sha256(previous.encode() + b"|" + body).hexdigest()


def _canonical(event: AuditEvent) -> bytes:
    return canonical(
        at=event.at,
        actor_label=event.actor_label,
        action=event.action,
        target_type=event.target_type,
        target_id=event.target_id,
        details=event.details,
    )


def _chain(previous: str, event: AuditEvent) -> str:
    return chain_hash(previous, _canonical(event))


def _no_nul(text: str) -> str:
    return text.replace("\x00", "\ufffd")


def _no_nul_inside(value: Any) -> Any:
    if isinstance(value, str):
        return _no_nul(value)
    if isinstance(value, dict):
        return {_no_nul(str(k)): _no_nul_inside(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_no_nul_inside(v) for v in value]
    return value


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
    label = _no_nul(actor.get_username()) if actor is not None else "system"
    # PostgreSQL stores no NUL character (a refused request's path may hold one): recorded as
    # U+FFFD, before hashing, so the event stays writable on every database and verifiable.
    action, target_type, target_id = (_no_nul(v) for v in (action, target_type, str(target_id)))
    details = details or {}
    if "\\u0000" in _encode(details):
        details = _no_nul_inside(details)
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
                    target_id=target_id,
                    details=details,
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
class AuditEntry:
    """One event to append with `audit_record_many` (an actor-less system event)."""

    action: str
    target_type: str = ""
    target_id: str = ""
    details: dict[str, Any] | None = None


def audit_record_many(entries: Sequence[AuditEntry]) -> int:
    """Append system events (no actor) in order, under one hold of the head lock.

    For the workers' batches (every submission's event, hotline.intake.services
    .reports_pipeline_dispatch): one lock and one head update for the batch instead of one per
    event. Must run inside the caller's transaction, so the events commit with what they record.
    """
    if not entries:
        return 0
    prepared = []
    for entry in entries:
        action, target_type, target_id = (
            _no_nul(v) for v in (entry.action, entry.target_type, str(entry.target_id))
        )
        details = entry.details or {}
        if "\\u0000" in _encode(details):
            details = _no_nul_inside(details)
        prepared.append((action, target_type, target_id, details))
    head = _head_for_update()
    previous = head.chain_hash
    events = []
    for action, target_type, target_id, details in prepared:
        event = AuditEvent(
            at=timezone.now(),
            actor=None,
            actor_label="system",
            action=action,
            target_type=target_type,
            target_id=target_id,
            details=details,
            previous_hash=previous,
        )
        event.chain_hash = previous = _chain(previous, event)
        events.append(event)
    AuditEvent.objects.bulk_create(events)
    head.chain_hash = previous
    head.events += len(events)
    head.save(update_fields=["chain_hash", "events"])
    return len(events)


@dataclass(frozen=True)
class ChainCheck:
    """Result of verifying the chain.

    `head` is the hash the chain ends with: an operator who keeps a copy of it outside the database
    can later tell whether someone rewrote the events and the head row together (signed
    checkpoints, hotline.audit.checkpoints, do this).
    """

    ok: bool
    events: int
    first_bad_id: int | None = None
    reason: str = ""
    head: str = GENESIS
    checkpoints: int = 0


_FIELDS = (
    "id",
    "at",
    "actor_label",
    "action",
    "target_type",
    "target_id",
    "details_text",
    "previous_hash",
    "chain_hash",
)


def _rows() -> Iterable[tuple[Any, ...]]:
    """Yield every event as a tuple, in id order, a chunk per query (keyset, no OFFSET).

    Tuples, not model instances: instantiating a million models is most of the cost of a walk.
    Separate short queries rather than one server-side cursor: no transaction stays open for the
    whole walk, and events appended meanwhile are simply walked too.
    """
    last = 0
    # details as stored text: decoding JSON per row is the walk's biggest cost; the text is
    # decoded once per distinct value (`audit_verify`'s memo).
    events = (
        AuditEvent.objects.annotate(details_text=Cast("details", output_field=TextField()))
        .order_by("id")
        .values_list(*_FIELDS)
    )
    while True:
        chunk = list(events.filter(id__gt=last)[:VERIFY_CHUNK])
        yield from chunk
        if len(chunk) < VERIFY_CHUNK:
            return
        last = chunk[-1][0]


def audit_verify(checkpoints: Iterable[Checkpoint] = ()) -> ChainCheck:
    """Recompute every hash in order; compare the chain with its head and with each checkpoint.

    The head is read first: events appended while the walk runs come after it and are checked
    as links, so a concurrent append is not mistaken for tampering. Each checkpoint (already
    checked as signed by this install) says "after N events the chain hash was H": a chain
    shorter than N, or with another hash at N, was truncated or rewritten, even if the head row
    was rewritten with it.
    """
    head = AuditHead.objects.filter(pk=1).first()
    anchors: dict[int, list[Checkpoint]] = {}
    for checkpoint in checkpoints:
        anchors.setdefault(checkpoint.events, []).append(checkpoint)
    previous = GENESIS
    count = 0
    hash_at_head: str | None = None
    head_events = head.events if head is not None else -1
    sha256 = hashlib.sha256
    memo: dict[str, str] = {}
    for pk, at, label, action, target_type, target_id, details_text, prev, stored in _rows():
        count += 1
        details_json = memo.get(details_text)
        if details_json is None:
            if len(memo) >= _DETAILS_MEMO_LIMIT:
                memo.clear()
            # Always JSON: both databases refuse anything else in the column (a test shows it).
            details_json = memo[details_text] = _encode(json.loads(details_text))
        body = canonical_parts(
            at_iso=at.isoformat(),
            actor_label=label,
            action=action,
            target_type=target_type,
            target_id=target_id,
            details_json=details_json,
        )
        if prev != previous or sha256(previous.encode() + b"|" + body).hexdigest() != stored:
            return ChainCheck(
                ok=False,
                events=count,
                first_bad_id=pk,
                reason=f"event {pk} was altered or moved, or the event before it was deleted",
            )
        previous = stored
        if count == head_events:
            hash_at_head = previous
        if count in anchors:
            for checkpoint in anchors[count]:
                if checkpoint.head != previous:
                    return ChainCheck(
                        ok=False,
                        events=count,
                        first_bad_id=pk,
                        reason=(
                            f"event {pk} (number {count}) differs from the signed checkpoint "
                            f"of {checkpoint.at}: the chain was rewritten at or before it"
                        ),
                    )
    longest = max(anchors, default=0)
    if count < longest:
        return ChainCheck(
            ok=False,
            events=count,
            reason=(
                f"the newest {longest - count} events are missing: a signed checkpoint "
                f"recorded {longest} events, the chain has {count}"
            ),
            head=previous,
        )
    checked = sum(len(group) for group in anchors.values())
    if head is None:
        if count:
            return ChainCheck(
                ok=False, events=count, reason="the chain head is missing", head=previous
            )
        return ChainCheck(ok=True, events=0, checkpoints=checked)
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
    if head.events < longest:
        return ChainCheck(
            ok=False,
            events=count,
            reason=(
                f"the head row records {head.events} events but a signed checkpoint "
                f"recorded {longest}: the head was rewritten"
            ),
            head=previous,
        )
    return ChainCheck(ok=True, events=count, head=previous, checkpoints=checked)
