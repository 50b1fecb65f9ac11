"""Alerts: a report that needs attention now, shown to on-duty staff and sent by e-mail."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from hotline.intake.models import Report


class Alert(models.Model):
    """One report that needs attention now (someone in danger, signs of self-harm).

    One per report, whatever the number of times the worker scores it. `signals` holds the
    triage signal codes that raised it, never words of the report. `mail_state` is the record
    that makes the e-mail at-least-once but not twice: the task sends only while it is
    `pending` and marks it `sent` after the SMTP server accepted the message.
    """

    class MailState(models.TextChoices):
        PENDING = "pending", "to send"
        SENT = "sent", "sent"
        NO_RECIPIENTS = "no_recipients", "not sent: no alert recipient was set"

    report = models.OneToOneField(Report, on_delete=models.CASCADE, related_name="alert")
    signals = models.JSONField(default=list)
    raised_at = models.DateTimeField()
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    mail_state = models.CharField(
        max_length=16, choices=MailState.choices, default=MailState.PENDING
    )
    mail_sent_at = models.DateTimeField(null=True, blank=True)
    mail_recipients = models.PositiveSmallIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["acknowledged_at", "-raised_at"], name="alerts_open")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(acknowledged_at__isnull=True, acknowledged_by__isnull=True)
                | models.Q(acknowledged_at__isnull=False, acknowledged_by__isnull=False),
                name="alerts_acknowledged_by_whom",
            ),
            models.CheckConstraint(
                condition=models.Q(mail_state__in=["pending", "sent", "no_recipients"]),
                name="alerts_mail_state_valid",
            ),
            models.CheckConstraint(
                condition=~models.Q(mail_state="sent") | models.Q(mail_sent_at__isnull=False),
                name="alerts_sent_when",
            ),
        ]

    def __str__(self) -> str:
        return f"alert for report {self.report_id}"
