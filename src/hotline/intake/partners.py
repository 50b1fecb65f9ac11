"""Partner intake: partner tokens, batch submission with idempotency keys, partner-scoped reads.

Tokens are shown once and stored only as their SHA-256 digest: they are 256-bit random
strings, so a plain digest cannot be brute-forced and lookups stay one indexed query.

A batch is written in one transaction with bulk inserts, one encryption per report and one
background task for the whole batch: per-report round trips would cap the API far below what
a partner hotline forwarding its backlog needs.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from hotline.audit.services import audit_record
from hotline.intake.choices import ReportStatus, Source
from hotline.intake.models import EvidenceHash, IdempotentRequest, Partner, Report
from hotline.intake.services import ReportInput, _initial_priority
from hotline.tasks.queue import enqueue
from hotline.vault import services as vault

TOKEN_PREFIX = "ohp_"  # noqa: S105 - a recognisable prefix, not a secret
IDEMPOTENCY_KEEP = timedelta(days=7)


class PartnerError(Exception):
    """A partner request that cannot be carried out; `errors` name the offending fields."""

    code = "invalid_request"

    def __init__(self, message: str, errors: Sequence[tuple[str, str]] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.errors = list(errors)


class IdempotencyKeyReused(PartnerError):
    """The idempotency key was already used for a different request."""

    code = "idempotency_key_reused"


class ReferenceConflict(PartnerError):
    """A partner_reference was already used by an earlier report of this partner."""

    code = "partner_reference_conflict"


@dataclass(frozen=True)
class PartnerReport:
    """One report to store for a partner, with the partner's own reference ("" for none)."""

    data: ReportInput
    partner_reference: str = ""


@dataclass(frozen=True)
class PartnerSubmission:
    """The answer to a submission: the response body and status, stored or replayed."""

    body: dict[str, object]
    status_code: int
    replayed: bool = False


def token_digest(token: str) -> str:
    """Return the stored form of a partner token."""
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def partner_create(*, name: str) -> tuple[Partner, str]:
    """Create a partner and return it with its bearer token (shown once, stored as a digest)."""
    name = name.strip()
    if not name or len(name) > 200:
        raise ValueError("A partner name needs 1 to 200 characters.")
    if Partner.objects.filter(name=name).exists():
        raise ValueError(f"A partner named {name!r} already exists.")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    partner = Partner.objects.create(name=name, token_digest=token_digest(token))
    audit_record(actor=None, action="partner.create", target_type="partner", target_id=partner.pk)
    return partner, token


@transaction.atomic
def partner_token_rotate(*, partner: Partner) -> str:
    """Give a partner a new token; the old one stops working at once."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    partner.token_digest = token_digest(token)
    partner.save(update_fields=["token_digest"])
    audit_record(
        actor=None, action="partner.token_rotate", target_type="partner", target_id=partner.pk
    )
    return token


def partner_authenticate(*, token: str) -> Partner | None:
    """Return the active partner holding `token`, or None."""
    if not token or len(token) > 200:
        return None
    return Partner.objects.filter(token_digest=token_digest(token), active=True).first()


def request_digest(*, method: str, path: str, body: bytes) -> str:
    """Return what identifies a request for idempotency: same key, same digest, same request."""
    hasher = hashlib.sha256(f"{method} {path}\n".encode())
    hasher.update(body)
    return hasher.hexdigest()


def _stored_answer(*, partner: Partner, key: str, digest: str) -> PartnerSubmission | None:
    row = IdempotentRequest.objects.filter(partner=partner, key=key).first()
    if row is None:
        return None
    if row.request_digest != digest:
        raise IdempotencyKeyReused(
            "This Idempotency-Key was already used for a different request; "
            "use a new key for a new request.",
            [("header.Idempotency-Key", "already used with another body or endpoint")],
        )
    return PartnerSubmission(body=row.response, status_code=row.status_code, replayed=True)


def partner_reports_submit(
    *,
    partner: Partner,
    reports: Sequence[PartnerReport],
    idempotency_key: str | None = None,
    digest: str = "",
    path_prefix: str = "body.reports",
) -> PartnerSubmission:
    """Store `reports` for `partner` all together or not at all.

    With an idempotency key, a request seen before (same key, same `digest`) gets the stored
    answer and creates nothing; a key reused for another request raises IdempotencyKeyReused.
    Concurrent duplicates are settled by the unique (partner, key) constraint: the loser's
    transaction rolls back and it replays the winner's answer.
    """
    if idempotency_key:
        earlier = _stored_answer(partner=partner, key=idempotency_key, digest=digest)
        if earlier is not None:
            return earlier
    _refuse_repeated_references(reports, path_prefix=path_prefix)

    now = timezone.now()
    rows: list[Report] = []
    accepted: list[dict[str, object]] = []
    for item in reports:
        data = item.data
        report = Report(
            public_id=uuid.uuid4(),
            created_at=now,
            updated_at=now,
            source=Source.API,
            partner=partner,
            partner_reference=item.partner_reference,
            language=data.language,
            reporter_role=data.reporter_role,
            victim_age=data.victim_age,
            categories=data.categories,
            platforms=data.platforms,
            payment_methods=data.payment_methods,
            money=data.money,
            in_danger=data.in_danger,
            help_wanted=data.help_wanted,
            consent_contact=data.consent_contact,
            status=ReportStatus.RECEIVED,
            priority=_initial_priority(data),
        )
        report.details_ciphertext = vault.encrypt_json(
            data.sensitive_details(), context=report.details_context
        )
        rows.append(report)
        accepted.append({"id": str(report.public_id), "partner_reference": item.partner_reference})
    body: dict[str, object] = {"reports": accepted}

    try:
        with transaction.atomic():
            if idempotency_key:
                # First, so a concurrent retry blocks here (unique index) before doing any work.
                IdempotentRequest.objects.create(
                    partner=partner,
                    key=idempotency_key,
                    request_digest=digest,
                    response=body,
                    status_code=201,
                    created_at=now,
                )
            Report.objects.bulk_create(rows)
            EvidenceHash.objects.bulk_create(
                [
                    EvidenceHash(
                        report_id=row.pk, kind=kind, value=value, quality=quality, created_at=now
                    )
                    for row, item in zip(rows, reports, strict=True)
                    for kind, value, quality in _distinct_hashes(item.data)
                ]
            )
            # One task per batch; the queue shares the database, so it commits with the rows.
            enqueue("hotline.intake.tasks.report_process_many", *[row.pk for row in rows])
    except IntegrityError:
        if idempotency_key:
            earlier = _stored_answer(partner=partner, key=idempotency_key, digest=digest)
            if earlier is not None:
                return earlier
        _refuse_used_references(partner, reports, path_prefix=path_prefix)
        raise
    return PartnerSubmission(body=body, status_code=201)


def _distinct_hashes(data: ReportInput) -> list[tuple[str, str, int | None]]:
    distinct = {(kind, value.lower()): quality for kind, value, quality in data.hashes}
    return [(kind, value, quality) for (kind, value), quality in distinct.items()]


def _refuse_repeated_references(reports: Sequence[PartnerReport], *, path_prefix: str) -> None:
    seen: set[str] = set()
    errors = []
    for index, item in enumerate(reports):
        reference = item.partner_reference
        if reference and reference in seen:
            errors.append(
                (f"{path_prefix}.{index}.partner_reference", "repeated within this request")
            )
        seen.add(reference)
    if errors:
        raise PartnerError("Each report in a request needs its own partner_reference.", errors)


def _refuse_used_references(
    partner: Partner, reports: Sequence[PartnerReport], *, path_prefix: str
) -> None:
    wanted = [item.partner_reference for item in reports if item.partner_reference]
    used = set(
        Report.objects.filter(partner=partner, partner_reference__in=wanted).values_list(
            "partner_reference", flat=True
        )
    )
    if used:
        raise ReferenceConflict(
            "A partner_reference was already used by an earlier report; nothing was stored.",
            [
                (f"{path_prefix}.{index}.partner_reference", "already used by an earlier report")
                for index, item in enumerate(reports)
                if item.partner_reference in used
            ],
        )


def partner_report_find(*, partner: Partner, public_id: uuid.UUID) -> Report | None:
    """Return one of `partner`'s own reports, or None (others' reports look unknown)."""
    return Report.objects.filter(partner=partner, public_id=public_id).first()


def partner_reports_list(
    *, partner: Partner, reference: str | None, limit: int, offset: int
) -> list[Report]:
    """Return `partner`'s reports, newest first, optionally only the one with `reference`."""
    rows = Report.objects.filter(partner=partner)
    if reference is not None:
        rows = rows.filter(partner_reference=reference)
    return list(
        rows.order_by("-created_at", "-id").only(
            "public_id", "partner_reference", "status", "created_at", "updated_at"
        )[offset : offset + limit]
    )


def idempotent_requests_purge() -> int:
    """Forget stored answers older than IDEMPOTENCY_KEEP; return how many."""
    cutoff = timezone.now() - IDEMPOTENCY_KEEP
    deleted, _ = IdempotentRequest.objects.filter(created_at__lt=cutoff).delete()
    return deleted
