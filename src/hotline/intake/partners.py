"""Partner intake: partner tokens, batch submission with idempotency keys, partner-scoped reads.

Tokens are shown once and stored only as their SHA-256 digest: they are 256-bit random
strings, so a plain digest cannot be brute-forced and lookups stay one indexed query.

A batch is written in one transaction with bulk inserts, one encryption per report and one
background task for the whole batch: per-report round trips would cap the API far below what
a partner hotline forwarding its backlog needs.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from hotline.audit.services import audit_record
from hotline.intake.choices import CaseState, Source
from hotline.intake.models import EvidenceHash, IdempotentRequest, Partner, Report
from hotline.intake.services import ReportInput, _initial_priority
from hotline.vault import services as vault

TOKEN_PREFIX = "ohp_"  # noqa: S105 - a recognisable prefix, not a secret
IDEMPOTENCY_KEEP = timedelta(days=7)


class PartnerError(Exception):
    """A partner request that cannot be carried out; `errors` name the offending fields."""

    code = "invalid_request"
    status = 400

    def __init__(self, message: str, errors: Sequence[tuple[str, str]] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.errors = list(errors)


class IdempotencyKeyReused(PartnerError):
    """The idempotency key was already used for a different request."""

    code = "idempotency_key_reused"
    status = 422


class ReferenceConflict(PartnerError):
    """A partner_reference was already used by an earlier report of this partner."""

    code = "partner_reference_conflict"
    status = 409


class IdempotencyRetry(PartnerError):
    """The stored answer for a key vanished while we read it; the client should retry."""

    code = "idempotency_retry"
    status = 409


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
    # Every API request runs this: one plain statement, not an ORM query (a third of the
    # cost), loading only what requests use.
    table = connection.ops.quote_name(Partner._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id, name FROM {table} WHERE token_digest = %s AND active",  # noqa: S608
            [token_digest(token)],
        )
        row = cursor.fetchone()
    if row is None:
        return None
    return Partner.from_db(None, ["id", "name", "active"], [row[0], row[1], True])


def request_digest(*, method: str, path: str, body: bytes) -> str:
    """Return what identifies a request for idempotency: same key, same digest, same request."""
    hasher = hashlib.sha256(f"{method} {path}\n".encode())
    hasher.update(body)
    return hasher.hexdigest()


def _stored_answer(*, partner: Partner, key: str, digest: str) -> PartnerSubmission | None:
    row = (
        IdempotentRequest.objects.filter(partner=partner, key=key)
        .only("request_digest", "response", "status_code")
        .first()
    )
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
    Concurrent duplicates are settled by the unique (partner, key) index: the answer is
    claimed first in the transaction, so a concurrent retry waits there for the first to
    commit, finds the key taken, stores nothing and replays the stored answer.
    """
    _refuse_repeated_references(reports, path_prefix=path_prefix)

    now = timezone.now()
    rows: list[tuple[object, ...]] = []
    accepted: list[dict[str, object]] = []
    for item in reports:
        data = item.data
        public_id = uuid.uuid4()
        priority = _initial_priority(data)
        rows.append(
            (
                public_id,
                None,  # receipt_digest: no person to show a receipt code to
                now,
                now,
                Source.API.value,
                partner.pk,
                item.partner_reference,
                data.language,
                data.reporter_role,
                data.victim_age,
                data.victim_gender,
                data.province,
                data.categories,
                data.platforms,
                data.payment_methods,
                data.money,
                data.in_danger,
                data.help_wanted,
                data.consent_contact,
                False,  # keep_original_for_police: partners send hashes, never files
                # The same context as Report.details_context (report_details() decrypts it).
                vault.encrypt_json(
                    data.sensitive_details(), context=f"intake.report:{public_id}:details"
                ),
                CaseState.RECEIVED.value,
                priority,
                priority,  # base_priority
                [],  # priority_reasons: filled by the background pipeline
                False,  # pipeline_queued: the workers queue it (hotline.tasks.outbox)
                1,  # receipt_digest_version: no receipt digest; the column's default
            )
        )
        accepted.append({"id": str(public_id), "partner_reference": item.partner_reference})
    body: dict[str, object] = {"reports": accepted}

    try:
        with transaction.atomic():
            claimed = not idempotency_key or _idempotency_claim(
                partner=partner, key=idempotency_key, digest=digest, body=body, now=now
            )
            if claimed:
                ids = _reports_insert(rows)
                _hashes_insert(
                    [
                        (report_id, kind, value, quality, now)
                        for report_id, item in zip(ids, reports, strict=True)
                        for kind, value, quality in _distinct_hashes(item.data)
                    ]
                )
                # Every submission is audited, without its content: which reports, from whom.
                audit_record(
                    actor=None,
                    action="intake.submit",
                    target_type="partner",
                    target_id=partner.pk,
                    details={"source": Source.API.value, "reports": [a["id"] for a in accepted]},
                )
                # No task here: the rows are stored with pipeline_queued=False and the workers
                # queue their processing (hotline.intake.services.reports_pipeline_dispatch).
    except IntegrityError:
        _refuse_used_references(partner, reports, path_prefix=path_prefix)
        raise
    if claimed:
        return PartnerSubmission(body=body, status_code=201)
    assert idempotency_key
    earlier = _stored_answer(partner=partner, key=idempotency_key, digest=digest)
    if earlier is None:
        # The stored answer was purged between our claim and this read (7 days old).
        raise IdempotencyRetry("This request collided with its own expiry; please send it again.")
    return earlier


def _idempotency_claim(
    *, partner: Partner, key: str, digest: str, body: dict[str, object], now: datetime
) -> bool:
    """Store `body` as the answer for `key`; return False if the key is taken already.

    INSERT ... ON CONFLICT DO NOTHING (PostgreSQL, SQLite) instead of a lookup first: one
    statement on the common path, and no failed transaction when two retries race.
    """
    ops = connection.ops
    table = ops.quote_name(IdempotentRequest._meta.db_table)
    names = ["partner_id", "key", "request_digest", "response", "status_code", "created_at"]
    columns = ", ".join(ops.quote_name(name) for name in names)
    marks = ", ".join(["%s"] * len(names))
    conflict = f"{ops.quote_name('partner_id')}, {ops.quote_name('key')}"
    # Built from constant names only; every value goes as a parameter.
    sql = f"INSERT INTO {table} ({columns}) VALUES ({marks}) ON CONFLICT ({conflict}) DO NOTHING"  # noqa: S608
    sql += f" RETURNING {ops.quote_name('id')}"
    params: list[Any] = [
        partner.pk,
        key,
        digest,
        ops.adapt_json_value(body, None),
        201,
        ops.adapt_datetimefield_value(now),
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone() is not None


# The columns a partner report fills, in row order (a test checks they are all of Report's).
REPORT_COLUMNS = (
    "public_id",
    "receipt_digest",
    "created_at",
    "updated_at",
    "source",
    "partner_id",
    "partner_reference",
    "language",
    "reporter_role",
    "victim_age",
    "victim_gender",
    "province",
    "categories",
    "platforms",
    "payment_methods",
    "money",
    "in_danger",
    "help_wanted",
    "consent_contact",
    "keep_original_for_police",
    "details_ciphertext",
    "status",
    "priority",
    "base_priority",
    "priority_reasons",
    "pipeline_queued",
    "receipt_digest_version",
)
# Columns the batch path leaves NULL: they hold the public form's double-submit token.
# Columns a partner batch leaves NULL: set by the web form, or by staff (taken_by).
WEB_FORM_ONLY_COLUMNS = ("submission_digest", "replay_ciphertext", "taken_by_id")
JSON_COLUMNS = frozenset(
    {"categories", "platforms", "payment_methods", "help_wanted", "priority_reasons"}
)
HASH_COLUMNS = ("report_id", "kind", "value", "quality", "created_at")


def _reports_insert(rows: list[tuple[object, ...]]) -> list[int]:
    """Insert report rows (in REPORT_COLUMNS order) and return their ids, in order.

    On PostgreSQL with COPY: the ORM's bulk_create spends about 0.1 ms of Python per report
    building and quoting one huge INSERT, which alone would cap a 2-core server near the
    batch target; COPY streams the same rows for a tenth of that. Ids are drawn from the
    table's sequence first, since COPY cannot return them.
    """
    if not rows:
        return []
    if connection.vendor != "postgresql":
        created = Report.objects.bulk_create(
            [Report(**dict(zip(REPORT_COLUMNS, row, strict=True))) for row in rows]
        )
        return [report.pk for report in created]
    table = Report._meta.db_table
    json_at = [i for i, name in enumerate(REPORT_COLUMNS) if name in JSON_COLUMNS]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
            [table, len(rows)],
        )
        ids = [int(row[0]) for row in cursor.fetchall()]
        columns = ", ".join(("id", *REPORT_COLUMNS))
        copy_sql = f"COPY {table} ({columns}) FROM STDIN"
        # Raw psycopg errors (a reused partner_reference) become Django's IntegrityError.
        with connection.wrap_database_errors, cursor.cursor.copy(copy_sql) as copy:
            for report_id, row in zip(ids, rows, strict=True):
                values = list(row)
                for i in json_at:
                    values[i] = _json_list(tuple(values[i]))  # type: ignore[arg-type]
                copy.write_row((report_id, *values))
    return ids


@lru_cache(maxsize=4096)
def _json_list(values: tuple[str, ...]) -> str:
    # Closed-list codes repeat from report to report: encode each combination once.
    return json.dumps(list(values))


def _hashes_insert(rows: list[tuple[object, ...]]) -> None:
    """Insert evidence hash rows (in HASH_COLUMNS order)."""
    if not rows:
        return
    if connection.vendor != "postgresql":
        EvidenceHash.objects.bulk_create(
            [EvidenceHash(**dict(zip(HASH_COLUMNS, row, strict=True))) for row in rows]
        )
        return
    copy_sql = f"COPY {EvidenceHash._meta.db_table} ({', '.join(HASH_COLUMNS)}) FROM STDIN"
    with (
        connection.cursor() as cursor,
        connection.wrap_database_errors,
        cursor.cursor.copy(copy_sql) as copy,
    ):
        for row in rows:
            copy.write_row(row)


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
