"""Reports, their evidence, messages with the reporter, and partner intake.

What could identify a reporter or victim (narrative, links, handles, phone numbers, payment
accounts, contact details, messages, evidence files) is stored only as vault ciphertext.
Closed-list answers (categories, platforms, age range, gender, province) stay in clear for
triage and statistics.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

from hotline.intake.choices import (
    STAFF_CHANNELS,
    AgeRange,
    CaseState,
    MoneyStatus,
    Province,
    ReporterRole,
    Source,
    VictimGender,
)


class Partner(models.Model):
    """An organisation that submits reports through the API with a bearer token."""

    name = models.CharField(max_length=200, unique=True)
    token_digest = models.CharField(max_length=64, unique=True)  # SHA-256 of the token
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.name


class Report(models.Model):
    """One report, from the public form or a partner."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # Keyed hash (HMAC-SHA256 with a pepper from the key file) of the receipt code: the
    # database alone can neither reveal a code nor test a guess.
    receipt_digest = models.BinaryField(max_length=32, unique=True, null=True)
    # Which version of that pepper made the digest (`hotline keys rotate --digests`): codes are
    # not stored, so old digests stay and lookups try every version.
    receipt_digest_version = models.PositiveSmallIntegerField(default=1, db_default=1)
    created_at = models.DateTimeField(db_index=True)
    updated_at = models.DateTimeField()
    source = models.CharField(max_length=8, choices=Source.choices, default=Source.WEB)
    partner = models.ForeignKey(Partner, null=True, blank=True, on_delete=models.PROTECT)
    partner_reference = models.CharField(max_length=200, blank=True)
    # The member of staff who entered the report for a caller (phone, walk-in, e-mail, partner
    # organisation); NULL for the public form and the partner API (constraint below).
    taken_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        related_name="+",
        on_delete=models.PROTECT,
    )
    language = models.CharField(max_length=8, default="km")

    reporter_role = models.CharField(max_length=20, choices=ReporterRole.choices)
    victim_age = models.CharField(max_length=10, choices=AgeRange.choices, blank=True)
    # Optional, like the age: "" when the reporter did not say. Coarse enough to keep in clear
    # for triage and the staff dashboard; never published (docs/decisions/public-statistics.md).
    victim_gender = models.CharField(
        max_length=8, choices=VictimGender.choices, blank=True, default="", db_default=""
    )
    province = models.CharField(
        max_length=16, choices=Province.choices, blank=True, default="", db_default=""
    )
    categories = models.JSONField(default=list)
    platforms = models.JSONField(default=list)
    payment_methods = models.JSONField(default=list)
    money = models.CharField(max_length=10, choices=MoneyStatus.choices, default=MoneyStatus.NONE)
    in_danger = models.BooleanField(default=False)
    help_wanted = models.JSONField(default=list)
    consent_contact = models.BooleanField(default=False)
    keep_original_for_police = models.BooleanField(default=False)

    # Encrypted JSON: narrative, links, usernames, phones, payment_accounts, amount,
    # started, contact.
    details_ciphertext = models.BinaryField()

    # The workflow state analysts set, only through hotline.cases.services.report_state_change
    # (allowed moves, history, audit); the constraint below refuses any other value.
    status = models.CharField(
        max_length=16, choices=CaseState.choices, default=CaseState.RECEIVED, db_index=True
    )
    # priority = base_priority (from what the reporter said) + bonuses found in the background
    # (hash-list matches, links to earlier reports); priority_reasons explains them to analysts.
    priority = models.IntegerField(default=0, db_index=True)
    base_priority = models.IntegerField(default=0)
    priority_reasons = models.JSONField(default=list, blank=True)

    # Digest of the one-time token in the rendered form (web reports only): a double click or a
    # retried POST with the same token shows this report's receipt page, not a second report.
    # Unique where set (see Meta). NULL, not "", for partner reports: they stay out of that
    # index, one index entry fewer per report of a batch.
    submission_digest = models.CharField(max_length=64, null=True, blank=True)  # noqa: DJ001
    # The receipt code encrypted under a key derived from that token (which only the submitting
    # browser holds), so the repeated POST can show the same code; forgotten after an hour by a
    # background task. Kept on the report row: one INSERT per submission, not two.
    replay_ciphertext = models.BinaryField(null=True, blank=True)
    # False until the post-intake pipeline (entities, hash matching, priority) is queued for
    # this report: the row is its own outbox entry, queued by the workers (hotline.tasks.outbox)
    # instead of by the request that stored it. Set False again to have it processed again.
    pipeline_queued = models.BooleanField(default=False)

    class Meta:
        ordering = ["-priority", "-created_at"]
        indexes = [
            # The hourly purge finds the few rows still holding a replayable code.
            models.Index(
                fields=["created_at"],
                condition=models.Q(replay_ciphertext__isnull=False),
                name="intake_report_replay_pending",
            ),
            # The triage queue's order (hotline.triage.selectors.queue_reports): worst first,
            # then the longest waiting, read in index order for its first page.
            models.Index(fields=["-priority", "created_at", "id"], name="intake_report_queue"),
            # The workers look for reports to queue at every poll: keep that lookup tiny.
            models.Index(
                fields=["id"],
                condition=models.Q(pipeline_queued=False),
                name="intake_report_pipeline_due",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["submission_digest"],
                condition=models.Q(submission_digest__isnull=False),
                name="intake_report_submission_digest_unique",
            ),
            models.UniqueConstraint(
                fields=["partner", "partner_reference"],
                condition=~models.Q(partner_reference=""),
                name="intake_report_partner_reference_unique",
            ),
            models.CheckConstraint(
                condition=models.Q(source="web", partner__isnull=True, taken_by__isnull=True)
                | models.Q(source="api", partner__isnull=False, taken_by__isnull=True)
                | models.Q(
                    source__in=[c.value for c in STAFF_CHANNELS],
                    partner__isnull=True,
                    taken_by__isnull=False,
                ),
                name="intake_report_source_matches_taker",
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=CaseState.values),
                name="intake_report_status_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(victim_gender__in=VictimGender.values),
                name="intake_report_victim_gender_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(province__in=Province.values),
                name="intake_report_province_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"Report {self.public_id}"

    @property
    def details_context(self) -> str:
        return f"intake.report:{self.public_id}:details"


class EvidenceFile(models.Model):
    """A file a reporter uploaded, kept encrypted in the upload folder.

    `working_name` holds the copy staff see (images re-encoded without metadata).
    `original_name` holds the untouched bytes, kept only when the reporter chose to keep
    them as evidence for police. Hashes are of the original bytes, computed at intake.
    """

    report = models.ForeignKey(Report, related_name="files", on_delete=models.CASCADE)
    working_name = models.CharField(max_length=80, unique=True)
    original_name = models.CharField(max_length=80, unique=True, null=True, blank=True)
    filename_ciphertext = models.BinaryField()
    content_type = models.CharField(max_length=80)
    size = models.PositiveIntegerField()
    md5 = models.CharField(max_length=32)
    sha256 = models.CharField(max_length=64, db_index=True)
    pdq = models.CharField(max_length=64, blank=True)
    pdq_quality = models.SmallIntegerField(null=True, blank=True)
    created_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"Evidence {self.pk} of report {self.report_id}"

    @property
    def context(self) -> str:
        return f"intake.evidence:{self.report.public_id}:{self.working_name}"


class EvidenceHash(models.Model):
    """A hash sent instead of a file (computed on the reporter's device or by a partner)."""

    class Kind(models.TextChoices):
        PDQ = "pdq", "PDQ"
        MD5 = "md5", "MD5"
        SHA256 = "sha256", "SHA-256"

    report = models.ForeignKey(Report, related_name="hashes", on_delete=models.CASCADE)
    kind = models.CharField(max_length=8, choices=Kind.choices)
    value = models.CharField(max_length=64, db_index=True)
    quality = models.SmallIntegerField(null=True, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["report", "kind", "value"], name="intake_evidencehash_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(kind="md5", value__regex=r"^[0-9a-f]{32}$")
                | models.Q(kind__in=["pdq", "sha256"], value__regex=r"^[0-9a-f]{64}$"),
                name="intake_evidencehash_value_format",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind}:{self.value}"


class Message(models.Model):
    """A message between the hotline and the reporter, shown on the status page."""

    class Author(models.TextChoices):
        REPORTER = "reporter", "reporter"
        STAFF = "staff", "staff"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    report = models.ForeignKey(Report, related_name="messages", on_delete=models.CASCADE)
    author = models.CharField(max_length=10, choices=Author.choices)
    body_ciphertext = models.BinaryField()
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"Message {self.pk} ({self.author})"

    @property
    def context(self) -> str:
        return f"intake.message:{self.public_id}"


class IdempotentRequest(models.Model):
    """The answer given to a partner request, replayed when the same key comes again."""

    partner = models.ForeignKey(Partner, on_delete=models.CASCADE)
    key = models.CharField(max_length=200)
    request_digest = models.CharField(max_length=64)
    response = models.JSONField()
    status_code = models.PositiveSmallIntegerField()
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["partner", "key"], name="intake_idempotency_unique")
        ]

    def __str__(self) -> str:
        return f"{self.partner_id}:{self.key}"


class ReplyOnce(models.Model):
    """The one-time token of a status-page reply already stored (a resend adds nothing).

    Only a digest of the token is kept; rows older than a day are purged (replies_once_purge).
    """

    report = models.ForeignKey(Report, on_delete=models.CASCADE)
    token_digest = models.CharField(max_length=64)
    created_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["report", "token_digest"], name="intake_reply_once_unique"
            )
        ]

    def __str__(self) -> str:
        return f"reply token of report {self.report_id}"


class FormDraft(models.Model):
    """What a reporter typed into a public form, kept for a short time across a redirect.

    Made when a form comes back with errors or the language is switched mid-form. The answers
    are sealed under a key derived from a random id that only the reporter's browser holds (a
    session cookie): neither the database nor the key file can open a draft without it. Files
    are never kept. Deleted when the form is sent, on read once expired, and by drafts_purge.
    """

    key_digest = models.CharField(max_length=64, unique=True)
    ciphertext = models.BinaryField()
    expires_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"draft until {self.expires_at:%Y-%m-%d %H:%M}"
