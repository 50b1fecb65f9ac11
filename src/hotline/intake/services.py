"""Accept reports and messages: the only place intake's rules live.

Durability: evidence files are encrypted and fsynced before the transaction that refers to
them commits, and the receipt code is returned only after that commit. A code that was shown
always belongs to a stored report.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from django.db import IntegrityError, connection, models, transaction
from django.utils import timezone

from hotline.accounts.models import User
from hotline.accounts.permissions import Action, require
from hotline.audit.models import AuditEvent
from hotline.audit.services import AuditEntry, audit_record, audit_record_many
from hotline.cases.notify import reporter_notice_queue
from hotline.cases.services import report_reply_answered, report_reporter_replied
from hotline.intake.choices import STAFF_CHANNELS, CaseState, MoneyStatus, Source
from hotline.intake.evidence import PreparedEvidence
from hotline.intake.models import (
    EvidenceFile,
    EvidenceHash,
    Message,
    Partner,
    ReplyOnce,
    Report,
)
from hotline.intake.receipts import code_digest, code_digest_version, code_generate
from hotline.tasks.queue import enqueue
from hotline.triage.scoring import answers_score
from hotline.vault import services as vault

REPLAY_WINDOW = timedelta(hours=1)


@dataclass
class ReportInput:
    """What a reporter (or partner) tells us, already validated for shape and size."""

    reporter_role: str
    categories: list[str]
    victim_age: str = ""
    # Coarse closed-list answers, stored in clear like the age (not in sensitive_details).
    victim_gender: str = ""
    province: str = ""
    platforms: list[str] = field(default_factory=list)
    links: list[str] = field(default_factory=list)
    usernames: list[str] = field(default_factory=list)
    phones: list[str] = field(default_factory=list)
    payment_accounts: list[str] = field(default_factory=list)
    started: str = ""
    money: str = MoneyStatus.NONE
    amount: str = ""
    payment_methods: list[str] = field(default_factory=list)
    narrative: str = ""
    contact: str = ""
    help_wanted: list[str] = field(default_factory=list)
    consent_contact: bool = False
    keep_original_for_police: bool = False
    in_danger: bool = False
    language: str = "km"
    hashes: list[tuple[str, str, int | None]] = field(default_factory=list)  # kind, value, quality

    def sensitive_details(self) -> dict[str, object]:
        return {
            "narrative": self.narrative,
            "links": self.links,
            "usernames": self.usernames,
            "phones": self.phones,
            "payment_accounts": self.payment_accounts,
            "started": self.started,
            "amount": self.amount,
            "contact": self.contact,
        }


@dataclass(frozen=True)
class SubmittedReport:
    """A stored report and the receipt code to show once."""

    report: Report
    receipt_code: str
    replayed: bool = False


def _replay_key(token: str) -> bytes:
    return hashlib.sha256(b"openhotline-receipt-replay|" + token.encode()).digest()


def _token_digest(token: str) -> str:
    return hashlib.sha256(b"openhotline-submission|" + token.encode()).hexdigest()


def submission_token_new() -> str:
    """Return a fresh one-time token to embed in a report form."""
    return secrets.token_urlsafe(24)


def _initial_priority(data: ReportInput) -> int:
    # The part of the priority known from the answers alone; the worker adds the rest
    # (hotline.triage.services.report_triage_refresh).
    return answers_score(
        in_danger=data.in_danger,
        categories=data.categories,
        victim_age=data.victim_age,
        money=data.money,
    )


def _replay(token: str) -> SubmittedReport | None:
    digest = _token_digest(token)
    report = Report.objects.filter(submission_digest=digest).first()
    if report is None or report.replay_ciphertext is None:
        return None
    blob = bytes(report.replay_ciphertext)
    code = vault.open_with_key(blob, key=_replay_key(token), context=digest).decode()
    return SubmittedReport(report=report, receipt_code=code, replayed=True)


def report_find_by_submission(*, submission_token: str) -> SubmittedReport | None:
    """Return the report a form's one-time token already made, with its code, or None."""
    if not submission_token:
        return None
    return _replay(submission_token)


def report_submit(
    *,
    data: ReportInput,
    evidence: list[PreparedEvidence],
    source: str = Source.WEB,
    partner: Partner | None = None,
    partner_reference: str = "",
    submission_token: str | None = None,
    taken_by: User | None = None,
) -> SubmittedReport:
    """Store a report with its evidence and return it with a new receipt code.

    `taken_by` is the member of staff entering it for a caller (use `report_take`, which
    checks their permission): recorded on the report and in the audit chain, in the same
    transaction.

    With a `submission_token` (one per rendered form) a repeated POST - a double click, a
    retry after a slow answer - returns the first report and its code instead of a second one.
    The unique token row settles every repeat; looking it up first only pays off when there
    are files to encrypt and fsync, so a report without files skips that query.
    """
    if submission_token and evidence:
        earlier = _replay(submission_token)
        if earlier is not None:
            return earlier
    written: list[str] = []
    try:
        return _report_store(
            data=data,
            evidence=evidence,
            source=source,
            partner=partner,
            partner_reference=partner_reference,
            submission_token=submission_token,
            taken_by=taken_by,
            written=written,
        )
    except IntegrityError:
        for name in written:
            vault.file_delete(name=name)
        if submission_token:
            # A concurrent POST with the same token won the race: show its report.
            earlier = _replay(submission_token)
            if earlier is not None:
                return earlier
        raise
    except BaseException:
        for name in written:
            vault.file_delete(name=name)
        raise


def _report_store(
    *,
    data: ReportInput,
    evidence: list[PreparedEvidence],
    source: str,
    partner: Partner | None,
    partner_reference: str,
    submission_token: str | None,
    taken_by: User | None,
    written: list[str],
) -> SubmittedReport:
    code = code_generate()
    now = timezone.now()
    priority = _initial_priority(data)
    # Everything is built and encrypted before the database is touched: on SQLite the write
    # lock is held from the first write to the commit, and every writer waits for it.
    report = Report(
        public_id=uuid.uuid4(),
        receipt_digest=code_digest(code),
        receipt_digest_version=code_digest_version(),
        created_at=now,
        updated_at=now,
        source=source,
        partner=partner,
        partner_reference=partner_reference,
        taken_by=taken_by,
        language=data.language,
        reporter_role=data.reporter_role,
        victim_age=data.victim_age,
        victim_gender=data.victim_gender,
        province=data.province,
        categories=data.categories,
        platforms=data.platforms,
        payment_methods=data.payment_methods,
        money=data.money,
        in_danger=data.in_danger,
        help_wanted=data.help_wanted,
        consent_contact=data.consent_contact,
        keep_original_for_police=data.keep_original_for_police,
        status=CaseState.RECEIVED,
        priority=priority,
        base_priority=priority,
    )
    report.details_ciphertext = vault.encrypt_json(
        data.sensitive_details(), context=report.details_context
    )
    if submission_token:
        report.submission_digest = _token_digest(submission_token)
        report.replay_ciphertext = vault.seal_with_key(
            code.encode(),
            key=_replay_key(submission_token),
            context=report.submission_digest,
        )
    hashes = {(kind, value.lower()): quality for kind, value, quality in data.hashes}
    if not evidence and not hashes and taken_by is None and not connection.in_atomic_block:
        # A report alone is one INSERT in its own transaction (autocommit): atomic and durable
        # when it returns, like the ceiling's single write. An explicit transaction here
        # (BEGIN IMMEDIATE, INSERT, COMMIT) held SQLite's write lock across two returns to the
        # interpreter, each waiting for the GIL behind other threads' requests, and the form
        # reached 0.73 of the same-stack ceiling (docs/decisions/intake-hot-path.md). Inside a
        # caller's transaction the savepoint below is kept, so a repeated form token's
        # IntegrityError leaves that transaction usable for the replay.
        _report_insert(report)
        return SubmittedReport(report=report, receipt_code=code)
    with transaction.atomic():
        _report_insert(report)
        for item in evidence:
            _evidence_store(report=report, item=item, now=now, written=written)
        EvidenceHash.objects.bulk_create(
            [
                EvidenceHash(report=report, kind=kind, value=value, quality=quality, created_at=now)
                for (kind, value), quality in hashes.items()
            ]
        )
        # Every submission is audited (source and file count, never content), but not here: the
        # workers append the event when they queue the report's processing
        # (reports_pipeline_dispatch), in batches. Taking the audit chain's lock in every public
        # submission made the form's requests queue behind one another (0.27 of the same-stack
        # ceiling on PostgreSQL; docs/decisions/intake-hot-path.md).
        if taken_by is not None:
            audit_record(
                actor=taken_by,
                action="report.take",
                target_type="report",
                target_id=str(report.public_id),
                details={"channel": source},
            )
        # No task here: the report is stored with pipeline_queued=False, and the workers queue
        # its processing (reports_pipeline_dispatch): it commits with the report or not at all.
    return SubmittedReport(report=report, receipt_code=code)


def report_take(
    *,
    actor: User,
    data: ReportInput,
    evidence: list[PreparedEvidence],
    channel: str,
    submission_token: str | None = None,
) -> SubmittedReport:
    """Store a report a member of staff entered for a caller, through `report_submit`.

    Needs take_phone_report. The channel (phone, walk-in, e-mail, partner organisation) and
    the member of staff are recorded; the one-time token of the staff form makes a resent form
    return the first report and its code, as on the public form.
    """
    require(actor, Action.TAKE_PHONE_REPORT)
    if channel not in STAFF_CHANNELS:
        raise ValueError(f"not a staff channel: {channel!r}")
    return report_submit(
        data=data,
        evidence=evidence,
        source=channel,
        submission_token=submission_token,
        taken_by=actor,
    )


@lru_cache(maxsize=4)
def _report_insert_sql(vendor: str) -> tuple[str, tuple[models.Field[Any, Any], ...]]:
    fields = tuple(f for f in Report._meta.concrete_fields if not f.primary_key)
    quote = connection.ops.quote_name
    columns = ", ".join(quote(str(f.column)) for f in fields)
    placeholders = ", ".join(["%s"] * len(fields))
    table = quote(Report._meta.db_table)
    # Names come from the model and are quoted; every value is a parameter.
    sql = f"INSERT INTO {table} ({columns}) VALUES ({placeholders})"  # noqa: S608
    if vendor != "sqlite":
        sql += f" RETURNING {quote(str(Report._meta.pk.column))}"
    # SQLite gives the new id as the cursor's lastrowid instead: with RETURNING the statement
    # would finish (and an autocommit insert commit) only when the row is fetched, after the
    # thread has taken the GIL back, so the write lock would be held across that wait.
    return sql, fields


def _report_insert(report: Report) -> None:
    """INSERT one new report, as `report.save()` would, in half its CPU time.

    Every public submission stores one report, and the ORM spent about 0.5 ms building the same
    27-column statement each time: here it is built once per database vendor. Values still go
    through each field's own conversion for this database (`pre_save`, `get_db_prep_save`), so
    what is stored is what the ORM would store (a test compares every column on SQLite and
    PostgreSQL). Report has no save() override and no signal receivers that this would skip.
    """
    sql, fields = _report_insert_sql(connection.vendor)
    values = [
        model_field.get_db_prep_save(model_field.pre_save(report, add=True), connection)
        for model_field in fields
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, values)
        report.pk = cursor.lastrowid if connection.vendor == "sqlite" else cursor.fetchone()[0]
    report._state.adding = False
    report._state.db = connection.alias


def _evidence_store(
    *, report: Report, item: PreparedEvidence, now: datetime, written: list[str]
) -> EvidenceFile:
    working_name = f"{uuid.uuid4().hex}.bin"
    record = EvidenceFile(
        report=report,
        working_name=working_name,
        content_type=item.content_type,
        size=len(item.original),
        md5=item.md5,
        sha256=item.sha256,
        pdq=item.pdq,
        pdq_quality=item.pdq_quality,
        created_at=now,
    )
    written.append(working_name)
    vault.file_write_durably(data=item.working, name=working_name, context=record.context)
    if report.keep_original_for_police:
        record.original_name = f"{uuid.uuid4().hex}.bin"
        written.append(record.original_name)
        vault.file_write_durably(
            data=item.original, name=record.original_name, context=record.context + ":original"
        )
    record.filename_ciphertext = vault.encrypt_text(item.filename, context=record.context + ":name")
    record.save()
    return record


def report_find_by_code(*, code_text: str) -> Report | None:
    """Return the report a receipt code opens, or None (same cost for any input)."""
    from hotline.intake.receipts import digests_for_lookup

    return Report.objects.filter(receipt_digest__in=digests_for_lookup(code_text)).first()


@transaction.atomic
def message_add(*, report: Report, author: str, body: str) -> Message:
    """Store an encrypted message on a report (from the reporter or staff)."""
    message = Message(report=report, author=author, created_at=timezone.now())
    message.body_ciphertext = vault.encrypt_text(body, context=message.context)
    message.save()
    Report.objects.filter(pk=report.pk).update(updated_at=message.created_at)
    return message


@transaction.atomic
def staff_message_send(*, actor: User, report: Report, body: str) -> Message:
    """Send a message from staff to the reporter (permission checked, audited)."""
    require(actor, Action.MESSAGE_REPORTER)
    message = message_add(report=report, author=Message.Author.STAFF, body=body)
    audit_record(
        actor=actor,
        action="report.message",
        target_type="report",
        target_id=str(report.public_id),
    )
    # The reporter, if they agreed, hears that there is news (never what it is).
    reporter_notice_queue(report=report, event_key=f"message:{message.public_id}")
    # An answer deals with a reply that was waiting (hotline.cases.ReplyWaiting).
    report_reply_answered(actor=actor, report_id=report.pk)
    return message


@transaction.atomic
def report_add_information(
    *,
    report: Report,
    text: str,
    evidence: list[PreparedEvidence],
    hashes: list[tuple[str, str, int | None]],
    once_token: str = "",
) -> bool:
    """Add a reporter's later message, files and hashes to an existing report.

    With a `once_token` (one per rendered reply form) the same reply sent again adds nothing
    and returns False. The token's row is inserted first, in this transaction: a concurrent
    resend waits for it (PostgreSQL's unique index; SQLite has one writer) and then fails it.
    """
    written: list[str] = []
    now = timezone.now()
    if once_token:
        digest = hashlib.sha256(b"openhotline-reply-once|" + once_token.encode()).hexdigest()
        try:
            with transaction.atomic():
                ReplyOnce.objects.create(report=report, token_digest=digest, created_at=now)
        except IntegrityError:
            return False
    try:
        if text:
            message_add(report=report, author=Message.Author.REPORTER, body=text)
        for item in evidence:
            _evidence_store(report=report, item=item, now=now, written=written)
        for kind, value, quality in hashes:
            EvidenceHash.objects.get_or_create(
                report=report,
                kind=kind,
                value=value.lower(),
                defaults={"quality": quality, "created_at": now},
            )
        if text or evidence or hashes:
            # Processed again: new files and hashes are matched, a new message is searchable.
            Report.objects.filter(pk=report.pk).update(pipeline_queued=False, updated_at=now)
        if text or evidence or hashes:
            # A closed case goes back to the analysts (docs/decisions/staff-reports-and-notes.md).
            report_reporter_replied(report_id=report.pk)
    except BaseException:
        for name in written:
            vault.file_delete(name=name)
        raise
    return True


REPLY_ONCE_KEEP = timedelta(days=1)


def replies_once_purge() -> int:
    """Forget reply tokens older than REPLY_ONCE_KEEP (a resend comes within minutes)."""
    cutoff = timezone.now() - REPLY_ONCE_KEEP
    deleted, _ = ReplyOnce.objects.filter(created_at__lt=cutoff).delete()
    return deleted


PIPELINE_CHUNK = 100


def reports_pipeline_dispatch(*, limit: int = 1000) -> int:
    """Queue the post-intake pipeline for reports stored or changed since; return how many.

    Called by the workers at every poll (hotline.tasks.outbox). Tasks of up to PIPELINE_CHUNK
    reports each; the marks are cleared in the same transaction as the tasks are queued. On
    PostgreSQL, rows another worker is dispatching are skipped; on SQLite writers take turns.
    """
    with transaction.atomic():
        ids = list(
            Report.objects.filter(pipeline_queued=False)
            .order_by("pk")
            .select_for_update(skip_locked=True)
            .values_list("pk", flat=True)[:limit]
        )
        if not ids:
            return 0
        _submissions_audit(ids)
        for start in range(0, len(ids), PIPELINE_CHUNK):
            enqueue(
                "hotline.intake.tasks.report_process_many", *ids[start : start + PIPELINE_CHUNK]
            )
        Report.objects.filter(pk__in=ids).update(pipeline_queued=True)
    return len(ids)


def _submissions_audit(ids: list[int]) -> None:
    """Append the "intake.submit" event of each of these reports that has none yet.

    Runs in the dispatcher's transaction, so a report's event commits with the mark that says
    it was dispatched: exactly one event per report, however many workers dispatch and whether
    a report comes back for processing after a reply (it already has its event then).
    """
    reports = list(
        Report.objects.filter(pk__in=ids)
        .order_by("pk")
        .annotate(file_count=models.Count("files"))
        .values_list("public_id", "source", "file_count")
    )
    public_ids = [str(public_id) for public_id, _, _ in reports]
    audited = set(
        AuditEvent.objects.filter(
            action="intake.submit", target_type="report", target_id__in=public_ids
        ).values_list("target_id", flat=True)
    )
    audit_record_many(
        [
            AuditEntry(
                action="intake.submit",
                target_type="report",
                target_id=str(public_id),
                details={"source": str(source), "files": files},
            )
            for public_id, source, files in reports
            if str(public_id) not in audited
        ]
    )


def submission_tokens_purge() -> int:
    """Forget replayable receipt codes older than the replay window; return how many."""
    cutoff = timezone.now() - REPLAY_WINDOW
    return Report.objects.filter(created_at__lt=cutoff, replay_ciphertext__isnull=False).update(
        replay_ciphertext=None
    )
