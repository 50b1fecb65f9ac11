"""Who is working on a report, and the history of its workflow state and assignment."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

from hotline.intake.choices import CaseState
from hotline.intake.models import Report


class Assignment(models.Model):
    """The one analyst a report is assigned to (no row: unassigned)."""

    report = models.OneToOneField(
        Report, primary_key=True, related_name="assignment", on_delete=models.CASCADE
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, related_name="assignments", on_delete=models.PROTECT
    )
    assigned_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"report {self.report_id} → {self.assignee_id}"


class CaseEvent(models.Model):
    """One change to a report's case: a state change or an assignment change.

    Written by hotline.cases.services only, in the transaction that made the change, next to
    the audit event that makes the record tamper-evident. The analyst's note is encrypted: it may
    repeat what the reporter said.
    """

    class Kind(models.TextChoices):
        STATE = "state", "state changed"
        ASSIGN = "assign", "assigned"
        RELEASE = "release", "released"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    report = models.ForeignKey(Report, related_name="case_events", on_delete=models.CASCADE)
    at = models.DateTimeField()
    # NULL: no member of staff, the system moved it (a reporter's reply reopened the case:
    # hotline.cases.services.report_reporter_replied).
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, related_name="+", on_delete=models.PROTECT
    )
    kind = models.CharField(max_length=8, choices=Kind.choices)
    from_state = models.CharField(max_length=16, choices=CaseState.choices, blank=True)
    to_state = models.CharField(max_length=16, choices=CaseState.choices, blank=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        related_name="+",
        on_delete=models.PROTECT,
    )
    note_ciphertext = models.BinaryField(null=True, blank=True)

    class Meta:
        ordering = ["at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(kind="state")
                | models.Q(
                    from_state__in=CaseState.values,
                    to_state__in=CaseState.values,
                )
                & ~models.Q(from_state=models.F("to_state")),
                name="cases_caseevent_state_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(kind__in=["state", "assign", "release"]),
                name="cases_caseevent_kind_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} on report {self.report_id}"

    @property
    def note_context(self) -> str:
        return f"cases.event:{self.public_id}:note"


class CaseNote(models.Model):
    """A staff-only note on a report: never shown to the reporter, encrypted (it may repeat
    what the reporter or the police said)."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    report = models.ForeignKey(Report, related_name="staff_notes", on_delete=models.CASCADE)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, related_name="+", on_delete=models.PROTECT)
    created_at = models.DateTimeField()
    body_ciphertext = models.BinaryField()

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"note {self.pk} on report {self.report_id}"

    @property
    def context(self) -> str:
        return f"cases.note:{self.public_id}"


class CaseAttachment(models.Model):
    """A staff-only file on a report (a letter from the police, a platform's answer...).

    The bytes are encrypted in the upload folder under `stored_name` (vault
    file_write_durably, before the row commits); the file name is encrypted too. Never shown
    to the reporter.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    report = models.ForeignKey(Report, related_name="staff_attachments", on_delete=models.CASCADE)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, related_name="+", on_delete=models.PROTECT)
    created_at = models.DateTimeField()
    stored_name = models.CharField(max_length=80, unique=True)
    filename_ciphertext = models.BinaryField()
    content_type = models.CharField(max_length=40)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(
                    content_type__in=["application/pdf", "image/png", "image/jpeg", "text/plain"]
                ),
                name="cases_caseattachment_type_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"attachment {self.pk} on report {self.report_id}"

    @property
    def context(self) -> str:
        return f"cases.attachment:{self.public_id}"


class SubStatus(models.Model):
    """A report's internal sub-status (no row: none), one of hotline.cases.substatus's list.

    Staff only: the reporter's page and the partner API never read this table.
    """

    report = models.OneToOneField(
        Report, primary_key=True, related_name="sub_status", on_delete=models.CASCADE
    )
    code = models.CharField(max_length=32)
    set_by = models.ForeignKey(settings.AUTH_USER_MODEL, related_name="+", on_delete=models.PROTECT)
    set_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.code} on report {self.report_id}"


class ReporterNotice(models.Model):
    """One e-mail telling a reporter that there is news, for one event (no content in it).

    `event_key` names the event (a state change or a staff message): unique, so an event
    queues at most one mail however often its code runs. `sent_at` is set by the worker after
    the SMTP server accepted the mail; a retry finds it set and sends nothing.
    """

    report = models.ForeignKey(Report, related_name="+", on_delete=models.CASCADE)
    event_key = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    # Why nothing was sent, when nothing will be ("no e-mail address"); never the address.
    skipped = models.CharField(max_length=40, blank=True)

    def __str__(self) -> str:
        return f"notice {self.event_key}"


class ReplyWaiting(models.Model):
    """A reporter wrote on this report and no member of staff has dealt with it yet.

    Set by hotline.cases.services.report_reporter_replied (any state: an open case, one acted
    on, one reopened from closed); the triage queue's default view shows such a report whatever
    its state, marked "the reporter wrote". Ended by a member of staff: "reply dealt with"
    (report_reply_handled), a message to the reporter, or a change of state. Holds no content.
    """

    report = models.OneToOneField(
        Report, primary_key=True, related_name="reply_waiting", on_delete=models.CASCADE
    )
    # The reporter's first reply not yet dealt with (later ones keep it: the wait counts
    # from the first).
    since = models.DateTimeField()

    def __str__(self) -> str:
        return f"reply waiting on report {self.report_id}"
