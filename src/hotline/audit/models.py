"""Append-only, hash-chained log of who did what."""

from __future__ import annotations

from django.conf import settings
from django.db import models

# The hash before the first event.
GENESIS = "0" * 64


class AuditEvent(models.Model):
    """One event. `chain_hash` = SHA-256(previous chain_hash | this event's canonical JSON).

    Rows are never updated or deleted; altering or removing one breaks every later hash, and
    removing the newest ones leaves the chain shorter than its head (AuditHead) records.
    """

    at = models.DateTimeField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT
    )
    actor_label = models.CharField(max_length=150)
    action = models.CharField(max_length=80)
    target_type = models.CharField(max_length=80, blank=True)
    target_id = models.CharField(max_length=80, blank=True)
    details = models.JSONField(default=dict, blank=True)
    previous_hash = models.CharField(max_length=64)
    chain_hash = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["previous_hash"], name="audit_one_successor"),
        ]
        # The audit viewer filters, newest first, by these (keyset pages on id stay fast at
        # a million events); `at` turns a date into an id bound.
        indexes = [
            models.Index(fields=["actor_label", "id"], name="audit_actor_id"),
            models.Index(fields=["action", "id"], name="audit_action_id"),
            models.Index(fields=["target_type", "target_id", "id"], name="audit_target_id"),
            models.Index(fields=["at"], name="audit_at"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_label} {self.action}"


class AuditHead(models.Model):
    """The newest chain hash and the number of events, kept in one row apart from the events.

    Updated in the same transaction as every append. Deleting the newest events leaves no broken
    link behind them (nothing follows), so the chain alone cannot show it; this row can. It is no
    defence against someone who rewrites this row too: that needs a copy of the head kept outside
    the database (`audit_verify` returns it for that purpose).
    """

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    chain_hash = models.CharField(max_length=64)
    events = models.BigIntegerField()

    class Meta:
        constraints = [models.CheckConstraint(condition=models.Q(id=1), name="audit_head_one_row")]

    def __str__(self) -> str:
        return f"{self.events} events, head {self.chain_hash[:12]}"


class VerificationRun(models.Model):
    """The outcome of one walk of the whole chain (hourly task, `hotline audit verify`, staff).

    Kept so the audit viewer can show when the chain was last found whole. A run row proves
    nothing by itself (it sits in the same database); the signed checkpoints do.
    """

    at = models.DateTimeField()
    ok = models.BooleanField()
    events = models.BigIntegerField()
    checkpoints = models.IntegerField(default=0)
    first_bad_id = models.BigIntegerField(null=True, blank=True)
    reason = models.CharField(max_length=300, blank=True)
    seconds = models.FloatField()
    trigger = models.CharField(max_length=20)

    class Meta:
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {'ok' if self.ok else 'BROKEN'} ({self.events} events)"
