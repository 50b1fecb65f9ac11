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
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, related_name="+", on_delete=models.PROTECT)
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
