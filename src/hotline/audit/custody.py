"""The chain-of-custody record of one report: every audit event about it, with its hashes.

Each event carries its previous and chain hash, so whoever receives the record (a court, a
partner) can recompute each hash from the event's own fields and, with the operator's help,
check the hashes against the whole chain and a signed checkpoint.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from django.db.models import Q, TextField
from django.db.models.functions import Cast
from django.template.loader import render_to_string
from django.utils import timezone

from hotline.accounts.models import User
from hotline.accounts.permissions import Action, require
from hotline.audit.checkpoints import CheckpointError, checkpoint_document, checkpoint_newest
from hotline.audit.checkpoints import public_key_pem as _public_key_pem
from hotline.audit.models import AuditEvent, AuditHead
from hotline.audit.services import audit_record
from hotline.intake.models import Report

FORMAT = "openhotline-custody-record-1"

HOW_TO_VERIFY = [
    "Each event's chain_hash is SHA-256 of: its previous_hash, the byte '|', then the UTF-8 "
    "JSON of the object {at, actor, action, target_type, target_id, details} with keys sorted, "
    "no spaces (separators ',' and ':') and non-ASCII characters written as they are. "
    "Recompute it for every event listed: a difference means the record was altered.",
    "In Python: hashlib.sha256((e['previous_hash'] + '|').encode() + json.dumps({k: e[k] for k "
    "in ('at','actor','action','target_type','target_id','details')}, sort_keys=True, "
    "ensure_ascii=False, separators=(',',':')).encode()).hexdigest() == e['chain_hash'].",
    "The events listed are the ones about this report; the events between them belong to the "
    "same chain. The operator shows that every chain_hash listed is in the verified chain with "
    "`hotline audit verify` (it checks the whole chain against signed checkpoints) and can list "
    "the events around any of them.",
    "The checkpoint included is signed with the hotline's Ed25519 key (public_key_pem): check "
    "its signature over the sorted compact JSON of {format, events, head, at}. A chain that "
    "later has a different hash at that position, or fewer events, was rewritten.",
]


def report_by_reference(reference: str) -> Report | None:
    """Return the report named by its public id (UUID) or its number, or None."""
    reference = reference.strip()
    try:
        return Report.objects.filter(public_id=uuid.UUID(reference)).first()
    except ValueError:
        pass  # not a public id: perhaps a report number
    if reference.isdigit() and len(reference) < 19:
        return Report.objects.filter(pk=int(reference)).first()
    return None


def custody_events(report: Report) -> list[AuditEvent]:
    """Return every event about `report` in chain order: targeting it, or naming it in details."""
    public_id = str(report.public_id)
    about = (
        Q(target_type="report", target_id=public_id)
        | Q(target_type="intake.report", target_id=str(report.pk))
        | Q(target_id__contains=public_id)
        | Q(details__report=report.pk)
        | Q(details__matched_report=report.pk)
        | Q(details_text__contains=public_id)
    )
    return list(
        AuditEvent.objects.annotate(details_text=Cast("details", output_field=TextField()))
        .filter(about)
        .order_by("id")
    )


def custody_record(*, report: Report, actor: User | None) -> dict[str, Any]:
    """Build the chain-of-custody record of `report`; the export itself is audited first.

    Staff need Action.EXPORT; the operator's command line (`actor=None`) is trusted.
    """
    if actor is not None:
        require(actor, Action.EXPORT)
    audit_record(
        actor=actor,
        action="report.custody_export",
        target_type="report",
        target_id=str(report.public_id),
    )
    head = AuditHead.objects.filter(pk=1).first()
    try:
        newest = checkpoint_newest()
        checkpoint = checkpoint_document(newest) if newest is not None else None
        public_key_pem = _public_key_pem()
    except CheckpointError as exc:
        checkpoint, public_key_pem = {"error": str(exc)}, ""
    return {
        "format": FORMAT,
        "report": str(report.public_id),
        "generated_at": timezone.now().isoformat(),
        "chain_at_export": {
            "events": head.events if head else 0,
            "head": head.chain_hash if head else "",
        },
        "newest_checkpoint": checkpoint,
        "public_key_pem": public_key_pem,
        "events": [
            {
                "id": event.pk,
                "at": event.at.isoformat(),
                "actor": event.actor_label,
                "action": event.action,
                "target_type": event.target_type,
                "target_id": event.target_id,
                "details": event.details,
                "previous_hash": event.previous_hash,
                "chain_hash": event.chain_hash,
            }
            for event in custody_events(report)
        ],
        "how_to_verify": HOW_TO_VERIFY,
    }


def custody_html(record: dict[str, Any]) -> str:
    """Render the record as one self-contained HTML page (no scripts, no outside resources)."""
    events = [
        {**event, "details": json.dumps(event["details"], sort_keys=True, ensure_ascii=False)}
        for event in record["events"]
    ]
    return render_to_string("audit/custody.html", {"record": {**record, "events": events}})
