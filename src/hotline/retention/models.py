"""How long a closed report keeps its personal data, and which reports have been purged."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from hotline.intake.choices import CaseState

# A report is never purged while open: rules exist only for the closed states.
CLOSED_STATES = (
    CaseState.CLOSED,
    CaseState.NO_ACTION,
    CaseState.OUT_OF_SCOPE,
    CaseState.DUPLICATE,
)
MAX_KEEP_DAYS = 36_500  # a hundred years: "keep" without pretending "forever"


class RetentionRule(models.Model):
    """Keep the personal data of reports in `state` (and `category`, or any) for `keep_days`.

    Counted from the report's last change (its state change, a message, new evidence). Where
    several rules match a report (several categories), the longest wins. Changed by
    administrators on /staff/retention/ (hotline.retention.services), each change audited.
    """

    state = models.CharField(max_length=16, choices=[(s.value, s.label) for s in CLOSED_STATES])
    category = models.CharField(max_length=40, blank=True)  # "": any category
    keep_days = models.PositiveIntegerField()
    updated_at = models.DateTimeField()
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["state", "category"]
        constraints = [
            models.UniqueConstraint(fields=["state", "category"], name="retention_rule_unique"),
            models.CheckConstraint(
                condition=models.Q(state__in=[s.value for s in CLOSED_STATES]),
                name="retention_rule_closed_states_only",
            ),
            models.CheckConstraint(
                condition=models.Q(keep_days__gte=1, keep_days__lte=MAX_KEEP_DAYS),
                name="retention_rule_keep_days_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.state}/{self.category or '*'}: {self.keep_days} days"


class PurgedReport(models.Model):
    """A report whose personal data was deleted; its anonymous statistics fields remain.

    `files_pending` lists the encrypted files still to remove from disk: they are removed after
    the purge's transaction commits, and a purge run first finishes any a killed run left.
    """

    report = models.OneToOneField(
        "intake.Report", primary_key=True, on_delete=models.CASCADE, related_name="purge"
    )
    purged_at = models.DateTimeField(db_index=True)
    rule_state = models.CharField(max_length=16)
    rule_category = models.CharField(max_length=40, blank=True)
    keep_days = models.PositiveIntegerField()
    files_pending = models.JSONField(default=list, blank=True)

    def __str__(self) -> str:
        return f"report {self.report_id} purged {self.purged_at:%Y-%m-%d}"
