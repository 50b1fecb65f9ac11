"""What the hotline asked hosts and partners to do about a report, and what became of it.

Three tables:
- `Target`: one reported identifier (a web URL, a Telegram group, a handle...) of one report
  that the hotline wants removed. Re-checks and removal times belong to the target, not to a
  notice: an escalation re-sends a notice about the same targets, and the time to removal runs
  from the first notice.
- `Notice`: one message to a platform's abuse desk (a takedown notice) or to a partner hotline
  (a forwarded report): e-mailed by the worker, or prepared for an analyst to paste into a web
  form. A notice is a record that stands later: when, to whom, by whom, the platform's ticket
  number and answer. Escalations link to the notice they follow (`follows`).
- `LivenessCheck`: one answer of the safe fetcher (hotline.takedown.fetcher) about a target:
  status and headers only, never the content.

The notice's text names the reported URLs, so it is stored encrypted (vault); it never names
the reporter. The identifiers themselves live once, encrypted, in hotline.entities.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

from hotline.directory.models import NoticeChannel, PartnerHotline, Platform
from hotline.entities.models import Entity
from hotline.intake.models import Report


class Target(models.Model):
    """One identifier of one report that should come down, followed until it does."""

    class State(models.TextChoices):
        ONLINE = "online", "Still online"
        REMOVED = "removed", "Removed"
        # Not a web address the fetcher can ask (a Telegram handle, a phone number): an analyst
        # records its removal by hand.
        UNCHECKABLE = "uncheckable", "Checked by hand"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    report = models.ForeignKey(Report, related_name="takedown_targets", on_delete=models.CASCADE)
    entity = models.ForeignKey(Entity, related_name="takedown_targets", on_delete=models.PROTECT)
    # NULL: no platform in the directory serves this host (the analyst's manual step).
    platform = models.ForeignKey(
        Platform, null=True, blank=True, related_name="targets", on_delete=models.PROTECT
    )
    state = models.CharField(max_length=12, choices=State.choices, default=State.ONLINE)
    created_at = models.DateTimeField()
    # When the first notice about it was sent: time to removal counts from here.
    first_noticed_at = models.DateTimeField(null=True, blank=True)
    removed_at = models.DateTimeField(null=True, blank=True)
    last_checked_at = models.DateTimeField(null=True, blank=True)
    # When the periodic re-check should next look at it (NULL: never again).
    next_check_at = models.DateTimeField(null=True, blank=True, db_index=True)
    # How many escalations have been sent (0: only the first notice).
    escalation_level = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["report", "entity"], name="takedown_target_once"),
            models.CheckConstraint(
                condition=models.Q(state="removed", removed_at__isnull=False)
                | (~models.Q(state="removed") & models.Q(removed_at__isnull=True)),
                name="takedown_target_removed_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"target {self.pk} of report {self.report_id} ({self.state})"


class Notice(models.Model):
    """One takedown notice to a platform, or one report forwarded to a partner hotline."""

    class Kind(models.TextChoices):
        TAKEDOWN = "takedown", "Takedown notice"
        FORWARD = "forward", "Forwarded to a partner hotline"

    class State(models.TextChoices):
        # Built for a web form: waiting for an analyst to paste it and say it was submitted.
        TO_SUBMIT = "to_submit", "To submit by hand"
        # Waiting for the worker to send it (or to retry after a failure).
        QUEUED = "queued", "Queued"
        SENT = "sent", "Sent"
        # The worker gave up after its retries; an analyst must look.
        FAILED = "failed", "Sending failed"
        CANCELLED = "cancelled", "Cancelled"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    report = models.ForeignKey(Report, related_name="notices", on_delete=models.CASCADE)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    platform = models.ForeignKey(
        Platform, null=True, blank=True, related_name="notices", on_delete=models.PROTECT
    )
    partner = models.ForeignKey(
        PartnerHotline, null=True, blank=True, related_name="notices", on_delete=models.PROTECT
    )
    channel = models.CharField(max_length=10, choices=NoticeChannel.choices)
    # The e-mail address, the web form's address or the API endpoint it went to.
    recipient = models.CharField(max_length=500)
    language = models.CharField(max_length=8, default="en")
    targets = models.ManyToManyField(Target, related_name="notices", blank=True)
    # An escalation names the notice it follows up.
    follows = models.ForeignKey(
        "self", null=True, blank=True, related_name="escalations", on_delete=models.PROTECT
    )
    escalation_level = models.PositiveSmallIntegerField(default=0)
    state = models.CharField(max_length=10, choices=State.choices)
    # The sender's idempotency key: a worker killed after the SMTP server accepted the message
    # but before the row said "sent" must not send it twice (the key is the Message-ID).
    idempotency_key = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    subject = models.CharField(max_length=300)
    body_ciphertext = models.BinaryField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, related_name="+", on_delete=models.PROTECT
    )  # NULL: the system (an automatic escalation)
    created_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    # Set (and committed) just before the worker starts the SMTP conversation, cleared when the
    # server refused it. Still set when a delivery of the send task finds it: an earlier worker
    # died mid-send and the server may have the mail, so it is not sent again
    # (docs/decisions/takedown-notices.md: at most once).
    send_started_at = models.DateTimeField(null=True, blank=True)
    # Who sent it: the analyst who said a web form was submitted; NULL for the worker's e-mail
    # (then `created_by` asked for it).
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, related_name="+", on_delete=models.PROTECT
    )
    last_error = models.CharField(max_length=300, blank=True)
    # What the platform or partner answered: their ticket number, their words (encrypted), when.
    ticket = models.CharField(max_length=120, blank=True)
    answer_ciphertext = models.BinaryField(null=True, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, related_name="+", on_delete=models.PROTECT
    )

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(kind="takedown") & models.Q(partner__isnull=True))
                | (models.Q(kind="forward") & models.Q(partner__isnull=False)),
                name="takedown_notice_recipient_kind",
            ),
            models.CheckConstraint(
                condition=models.Q(state="sent", sent_at__isnull=False) | ~models.Q(state="sent"),
                name="takedown_notice_sent_has_time",
            ),
        ]
        indexes = [models.Index(fields=["state", "created_at"], name="takedown_notice_state")]

    def __str__(self) -> str:
        return f"{self.kind} notice {self.pk} on report {self.report_id} ({self.state})"

    @property
    def body_context(self) -> str:
        return f"takedown.notice:{self.public_id}"

    @property
    def answer_context(self) -> str:
        return f"takedown.notice:{self.public_id}:answer"


class LivenessCheck(models.Model):
    """One safe status-and-headers check of a target (hotline.takedown.fetcher)."""

    target = models.ForeignKey(Target, related_name="checks", on_delete=models.CASCADE)
    at = models.DateTimeField()
    # hotline.takedown.fetcher's outcome name (online, gone, refused, unreachable...).
    outcome = models.CharField(max_length=20)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    # Why, in a few words (a refusal's reason, a timeout); never the page's content.
    detail = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["target", "at"], name="takedown_check_target_at")]

    def __str__(self) -> str:
        return f"check of target {self.target_id} at {self.at:%Y-%m-%d %H:%M}: {self.outcome}"


class UrlListExport(models.Model):
    """One issued version of the URL list for blocking (hotline.takedown.urllist).

    The version numbers only grow (unique, allocated as the highest plus one); the SHA-256 of
    the file as issued lets `hotline urllist verify` tell a file this hotline issued from one
    that only claims a version number.
    """

    class Format(models.TextChoices):
        CSV = "csv", "CSV"
        JSON = "json", "JSON"

    version = models.PositiveIntegerField(unique=True)
    generated_at = models.DateTimeField()
    format = models.CharField(max_length=4, choices=Format.choices)
    url_count = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    # NULL only if the account was deleted later; the audit event names who exported it.
    exported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, related_name="+", on_delete=models.SET_NULL
    )

    class Meta:
        ordering = ["-version"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(version__gte=1), name="takedown_urllist_version_positive"
            ),
            models.CheckConstraint(
                condition=models.Q(format__in=["csv", "json"]), name="takedown_urllist_format"
            ),
        ]

    def __str__(self) -> str:
        return f"URL list version {self.version} ({self.url_count} URLs)"
