"""Support cases: a reporter who asked for help, followed up by a caseworker.

Written only by hotline.support.services (permission, audit, one transaction each). What the
reporter or the caseworker said lives only in encrypted notes; the other rows hold codes,
dates and ids, so the case list can be read without decrypting anything.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

from hotline.directory.models import SupportService
from hotline.intake.models import Report


class CaseState(models.TextChoices):
    OPEN = "open", "Open: not contacted yet"
    CONTACTED = "contacted", "Contacted"
    REFERRED = "referred", "Referred to a service"
    CLOSED = "closed", "Closed"


class ClosureReason(models.TextChoices):
    HELPED = "helped", "Helped: nothing more needed"
    REFERRED = "referred", "Taken on by the service we referred to"
    DECLINED = "declined", "The reporter declined help"
    UNREACHABLE = "unreachable", "Could not reach the reporter"
    OTHER = "other", "Other (see the notes)"


class ContactBy(models.TextChoices):
    PHONE = "phone", "By phone"
    EMAIL = "email", "By e-mail"
    NONE = "none", "Do not contact"


class ReferralOutcome(models.TextChoices):
    PENDING = "pending", "Waiting for the service"
    ACCEPTED = "accepted", "The service took it on"
    DECLINED = "declined", "The service declined"
    NO_ANSWER = "no_answer", "No answer from the service"


class SupportCase(models.Model):
    """One report's support case (at most one per report)."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    report = models.OneToOneField(Report, on_delete=models.CASCADE, related_name="support_case")
    state = models.CharField(max_length=12, choices=CaseState.choices, default=CaseState.OPEN)
    opened_at = models.DateTimeField()
    # NULL: opened automatically because the reporter asked for help.
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, related_name="+", on_delete=models.PROTECT
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        related_name="support_cases",
        on_delete=models.PROTECT,
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    closure_reason = models.CharField(max_length=12, choices=ClosureReason.choices, blank=True)

    class Meta:
        ordering = ["opened_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(state__in=CaseState.values), name="support_case_state_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(
                    state="closed", closed_at__isnull=False, closure_reason__in=ClosureReason.values
                )
                | (~models.Q(state="closed") & models.Q(closed_at__isnull=True, closure_reason="")),
                name="support_case_closed_with_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"support case {self.public_id}"


class Consent(models.Model):
    """What the reporter agreed to, as a caseworker recorded it. Append-only: the newest row
    is the consent in force, older rows are its history (each change is audited too)."""

    case = models.ForeignKey(SupportCase, on_delete=models.CASCADE, related_name="consents")
    recorded_at = models.DateTimeField()
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, related_name="+", on_delete=models.PROTECT
    )
    contact_by = models.CharField(max_length=8, choices=ContactBy.choices)
    share_with_police = models.BooleanField(default=False)
    # The one named service the reporter agreed we may tell about them (NULL: none).
    share_with_service = models.ForeignKey(
        SupportService, null=True, blank=True, related_name="+", on_delete=models.PROTECT
    )

    class Meta:
        ordering = ["recorded_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(contact_by__in=ContactBy.values),
                name="support_consent_contact_by_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"consent {self.pk} of {self.case_id}"


class Referral(models.Model):
    """The case passed to a support service of the directory, and what came of it."""

    case = models.ForeignKey(SupportCase, on_delete=models.CASCADE, related_name="referrals")
    service = models.ForeignKey(SupportService, related_name="+", on_delete=models.PROTECT)
    referred_at = models.DateTimeField()
    referred_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, related_name="+", on_delete=models.PROTECT
    )
    outcome = models.CharField(
        max_length=12, choices=ReferralOutcome.choices, default=ReferralOutcome.PENDING
    )
    outcome_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["referred_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(outcome__in=ReferralOutcome.values),
                name="support_referral_outcome_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(outcome="pending", outcome_at__isnull=True)
                | (~models.Q(outcome="pending") & models.Q(outcome_at__isnull=False)),
                name="support_referral_outcome_when",
            ),
        ]

    def __str__(self) -> str:
        return f"referral {self.pk} of {self.case_id}"


class FollowUp(models.Model):
    """A date by which the caseworker follows up; a reminder is sent when it comes.

    `reminder_state` makes the reminder once-only: the periodic task moves a due follow-up from
    `waiting` to `pending` with a conditional UPDATE and queues the mail in that transaction;
    the mail task sends only while `pending` and marks it `sent` after the SMTP server took it.
    """

    class Reminder(models.TextChoices):
        WAITING = "waiting", "not due yet"
        PENDING = "pending", "due: reminder to send"
        SENT = "sent", "reminder sent"
        NO_ADDRESS = "no_address", "due: the caseworker has no e-mail address (shown in page)"
        CANCELLED = "cancelled", "done before it was due"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    case = models.ForeignKey(SupportCase, on_delete=models.CASCADE, related_name="follow_ups")
    due_on = models.DateField()
    set_at = models.DateTimeField()
    set_by = models.ForeignKey(settings.AUTH_USER_MODEL, related_name="+", on_delete=models.PROTECT)
    done_at = models.DateTimeField(null=True, blank=True)
    reminder_state = models.CharField(
        max_length=12, choices=Reminder.choices, default=Reminder.WAITING
    )
    reminded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["due_on", "id"]
        indexes = [
            models.Index(
                fields=["due_on"],
                condition=models.Q(reminder_state="waiting"),
                name="support_followup_waiting",
            )
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(
                    reminder_state__in=["waiting", "pending", "sent", "no_address", "cancelled"]
                ),
                name="support_followup_reminder_valid",
            ),
            models.CheckConstraint(
                condition=~models.Q(reminder_state="sent") | models.Q(reminded_at__isnull=False),
                name="support_followup_sent_when",
            ),
        ]

    def __str__(self) -> str:
        return f"follow-up {self.public_id}"


class SupportNote(models.Model):
    """A caseworker's note: encrypted (it repeats what a frightened person said)."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    case = models.ForeignKey(SupportCase, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, related_name="+", on_delete=models.PROTECT)
    created_at = models.DateTimeField()
    body_ciphertext = models.BinaryField()

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"support note {self.public_id}"

    @property
    def context(self) -> str:
        return f"support.note:{self.public_id}"
