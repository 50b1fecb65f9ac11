"""Entity writes: extraction from reports, analyst decisions, escrow.

Every function here is the one place its rule lives; views, tasks and the CLI call them.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone

from hotline.accounts.models import User
from hotline.accounts.permissions import Action, require
from hotline.audit.services import audit_record
from hotline.entities.extract import Entity as Found
from hotline.entities.extract import entity_flags, extract_entities
from hotline.entities.keys import (
    digest_current,
    entity_digest,
    entity_digests_all,
    escrow_digest,
    escrow_digests_all,
)
from hotline.entities.models import Entity, EscrowedIdentifier, ReportEntity
from hotline.intake.models import Report
from hotline.vault import services as vault

logger = logging.getLogger(__name__)

# Fields of a report's encrypted details that may name an offender. "contact" is left out on
# purpose: it is how to reach the reporter, not an identifier to link reports by.
EXTRACTED_FIELDS = ("narrative", "links", "usernames", "phones", "payment_accounts")


class EntityInputError(ValueError):
    """Text given as an identifier holds none (or more than one)."""


@dataclass(frozen=True)
class Mention:
    """A found identifier and where in the report it was found."""

    kind: str
    value: str
    platform: str
    field: str
    start: int | None
    end: int | None


def report_mentions(details: dict[str, object]) -> list[Mention]:
    """Return the identifiers named in a report's decrypted details (one per entity)."""
    seen: dict[tuple[str, str], Mention] = {}
    for field in EXTRACTED_FIELDS:
        raw = details.get(field)
        texts = [raw] if isinstance(raw, str) else list(raw) if isinstance(raw, list) else []
        for index, text in enumerate(texts):
            if not isinstance(text, str):
                continue
            name = field if isinstance(raw, str) else f"{field}[{index}]"
            for found in extract_entities(text):
                key = (str(found.type), found.value)
                if key not in seen:
                    seen[key] = Mention(
                        kind=key[0],
                        value=found.value,
                        platform=found.platform or "",
                        field=name,
                        start=found.start,
                        end=found.end,
                    )
    return list(seen.values())


def entity_get_or_create(*, kind: str, value: str, platform: str = "") -> Entity:
    """Return the entity for a canonical identifier, creating it (encrypted) if new."""
    digest = entity_digest(kind, value)
    # Every live digest version: during a digest rotation the entity may not be recomputed yet.
    # Locked (in the caller's transaction): the retention purge deletes an entity no report
    # names under the same lock, so it cannot delete this one between here and our link.
    with transaction.atomic():
        existing = (
            Entity.objects.select_for_update()
            .filter(digest__in=entity_digests_all(kind, value))
            .order_by("pk")
            .first()
        )
    if existing is not None:
        return existing
    entity = Entity(
        kind=kind,
        digest=digest,
        digest_version=digest_current(),
        platform=platform,
        flags=" ".join(entity_flags(kind, value)),
        created_at=timezone.now(),
    )
    entity.value_ciphertext = vault.encrypt_text(value, context=entity.value_context)
    try:
        with transaction.atomic():
            entity.save()
    except IntegrityError:
        # Another worker created it between our read and write.
        return Entity.objects.get(digest=digest)
    return entity


def entity_value(entity: Entity) -> str:
    """Decrypt an entity's canonical value (callers must have checked permission)."""
    return vault.decrypt_text(bytes(entity.value_ciphertext), context=entity.value_context)


@transaction.atomic
def report_entities_link(*, report: Report, mentions: Iterable[Mention]) -> list[ReportEntity]:
    """Link a report to the entities it names; idempotent; rejected links stay rejected.

    Returns the links created by this call (none when run again on the same report).
    """
    created: list[ReportEntity] = []
    now = timezone.now()
    for mention in mentions:
        entity = entity_get_or_create(
            kind=mention.kind, value=mention.value, platform=mention.platform
        )
        link, was_created = ReportEntity.objects.get_or_create(
            report=report,
            entity=entity,
            defaults={
                "field": mention.field,
                "start": mention.start,
                "end": mention.end,
                "created_at": now,
            },
        )
        if was_created:
            created.append(link)
        escrow_match(report=report, kind=mention.kind, value=mention.value)
    return created


def report_entities_extract(*, report_id: int) -> int:
    """Extract and link the identifiers of one report; return how many links were new.

    Safe to run any number of times (at-least-once task delivery).
    """
    from hotline.intake.selectors import report_details

    report = Report.objects.filter(pk=report_id).first()
    if report is None:
        logger.info("report %s no longer exists; no entities to extract", report_id)
        return 0
    mentions = report_mentions(report_details(report))
    created = report_entities_link(report=report, mentions=mentions)
    if created:
        audit_record(
            actor=None,
            action="entities.extracted",
            target_type="intake.report",
            target_id=report.pk,
            details={
                "new_links": len(created),
                "kinds": sorted({link.entity.kind for link in created}),
            },
        )
    return len(created)


def canonical_identifier(text: str) -> Found:
    """Return the one identifier in `text` (a pasted link, a phone number in any format...)."""
    found = extract_entities(text.strip())
    primary = [f for f in found if f.start == found[0].start] if found else []
    if not primary:
        raise EntityInputError(
            "No link, account, phone number, e-mail, wallet or account number found."
        )
    if len({(f.start, f.end) for f in found}) > 1:
        raise EntityInputError("Give one identifier at a time.")
    return primary[0]


@transaction.atomic
def report_entity_add(*, report: Report, text: str, actor: User) -> ReportEntity:
    """Link an identifier an analyst typed to a report (confirmed at once)."""
    require(actor, Action.MANAGE_IDENTIFIERS)
    found = canonical_identifier(text)
    entity = entity_get_or_create(
        kind=str(found.type), value=found.value, platform=found.platform or ""
    )
    now = timezone.now()
    link, _ = ReportEntity.objects.update_or_create(
        report=report,
        entity=entity,
        defaults={"state": ReportEntity.State.CONFIRMED, "decided_at": now, "decided_by": actor},
        create_defaults={
            "state": ReportEntity.State.CONFIRMED,
            "origin": ReportEntity.Origin.ANALYST,
            "created_at": now,
            "decided_at": now,
            "decided_by": actor,
        },
    )
    audit_record(
        actor=actor,
        action="entities.added",
        target_type="intake.report",
        target_id=report.pk,
        details={"link": link.pk, "kind": entity.kind},
    )
    escrow_match(report=report, kind=str(found.type), value=found.value)
    return link


@transaction.atomic
def report_entity_decide(*, link: ReportEntity, state: str, actor: User) -> ReportEntity:
    """Confirm or reject an extracted link (a rejected one is never re-added by extraction)."""
    require(actor, Action.MANAGE_IDENTIFIERS)
    if state not in (ReportEntity.State.CONFIRMED, ReportEntity.State.REJECTED):
        raise ValueError(f"unknown decision {state!r}")
    link = ReportEntity.objects.select_for_update().get(pk=link.pk)
    link.state = state
    link.decided_at = timezone.now()
    link.decided_by = actor
    link.save(update_fields=["state", "decided_at", "decided_by"])
    audit_record(
        actor=actor,
        action=f"entities.{state}",
        target_type="entities.reportentity",
        target_id=link.pk,
        details={"report": link.report_id, "entity": link.entity_id},
    )
    return link


# --- escrow ----------------------------------------------------------------------------------


@transaction.atomic
def escrow_deposit(*, report: Report, text: str) -> EscrowedIdentifier:
    """Leave one identifier in escrow for a reporter (identified by their report).

    Stores only a keyed digest. If another report already names the identifier, the escrow is
    matched at once; the reporter is told nothing either way (no oracle).
    """
    found = canonical_identifier(text)
    digest = escrow_digest(found.type, found.value)
    escrow = EscrowedIdentifier.objects.filter(
        report=report, digest__in=escrow_digests_all(found.type, found.value)
    ).first()
    if escrow is None:
        escrow, _ = EscrowedIdentifier.objects.get_or_create(
            report=report,
            digest=digest,
            defaults={"created_at": timezone.now(), "digest_version": digest_current()},
        )
    audit_record(
        actor=None,
        action="entities.escrow_deposited",
        target_type="intake.report",
        target_id=report.pk,
        details={"escrow": escrow.pk},
    )
    entity = Entity.objects.filter(digest__in=entity_digests_all(found.type, found.value)).first()
    if entity is not None and escrow.state == EscrowedIdentifier.State.WAITING:
        other = (
            ReportEntity.objects.filter(entity=entity)
            .exclude(report=report)
            .exclude(state=ReportEntity.State.REJECTED)
            .order_by("created_at")
            .first()
        )
        if other is not None:
            _escrow_mark_matched(escrow, other.report)
    return escrow


def escrow_match(*, report: Report, kind: str, value: str) -> int:
    """Mark escrows of other reports that name this identifier as matched; return how many."""
    matched = 0
    waiting = EscrowedIdentifier.objects.select_for_update().filter(
        digest__in=escrow_digests_all(kind, value), state=EscrowedIdentifier.State.WAITING
    )
    for escrow in waiting.exclude(report=report):
        _escrow_mark_matched(escrow, report)
        matched += 1
    return matched


def _escrow_mark_matched(escrow: EscrowedIdentifier, report: Report) -> None:
    escrow.state = EscrowedIdentifier.State.MATCHED
    escrow.matched_report = report
    escrow.matched_at = timezone.now()
    escrow.save(update_fields=["state", "matched_report", "matched_at"])
    audit_record(
        actor=None,
        action="entities.escrow_matched",
        target_type="entities.escrowedidentifier",
        target_id=escrow.pk,
        details={"report": escrow.report_id, "matched_report": report.pk},
    )


@transaction.atomic
def escrow_ask_consent(*, escrow: EscrowedIdentifier, actor: User) -> EscrowedIdentifier:
    """Let an analyst ask the earlier reporter whether they agree to be contacted.

    Only an analyst's decision shows the question on the reporter's status page: an offender who
    escrowed their own handle must not learn, automatically, that someone reported them.
    """
    require(actor, Action.MANAGE_ESCROWS)
    escrow = EscrowedIdentifier.objects.select_for_update().get(pk=escrow.pk)
    if escrow.state != EscrowedIdentifier.State.MATCHED:
        raise ValueError("Only a matched escrow can lead to a consent question.")
    escrow.state = EscrowedIdentifier.State.CONSENT_ASKED
    escrow.save(update_fields=["state"])
    audit_record(
        actor=actor,
        action="entities.escrow_consent_asked",
        target_type="entities.escrowedidentifier",
        target_id=escrow.pk,
    )
    return escrow


@transaction.atomic
def escrow_answer(*, escrow: EscrowedIdentifier, agree: bool) -> EscrowedIdentifier:
    """Record the earlier reporter's answer (from their status page)."""
    escrow = EscrowedIdentifier.objects.select_for_update().get(pk=escrow.pk)
    if escrow.state != EscrowedIdentifier.State.CONSENT_ASKED:
        raise ValueError("There is no open question for this identifier.")
    escrow.state = (
        EscrowedIdentifier.State.CONSENTED if agree else EscrowedIdentifier.State.DECLINED
    )
    escrow.save(update_fields=["state"])
    audit_record(
        actor=None,
        action="entities.escrow_answered",
        target_type="entities.escrowedidentifier",
        target_id=escrow.pk,
        details={"agreed": agree},
    )
    return escrow
