"""Assessments of reports (classification history) and links between reports (duplicates, cases).

Written by hotline.assessment.services only, each change with its audit event. Values are codes
of the scheme in force (hotline.assessment.scheme), never free text: nothing of what the reporter
said is stored here, so no encryption is needed.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

from hotline.intake.models import Report


class Assessment(models.Model):
    """One classification of a report; a reassessment adds a row, the history stays.

    `version` counts the report's assessments from 1; the analyst's form names the version they
    saw (optimistic locking), and (report, version) is unique, so two analysts saving at once
    cannot both become version n+1. At most one row per report is `current`.
    A carried-forward row (`carried_from` set) was copied by the pipeline from an assessed report
    with the same picture or link; it has no `assessed_by`. An analyst who finds it is not the
    same image sets `rejected_at`/`rejected_by` and the row stops being current.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    report = models.ForeignKey(Report, related_name="assessments", on_delete=models.CASCADE)
    version = models.PositiveIntegerField()
    current = models.BooleanField(default=True)
    values = models.JSONField()
    assessed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        related_name="+",
        on_delete=models.PROTECT,
    )
    assessed_at = models.DateTimeField()
    carried_from = models.ForeignKey(
        "self", null=True, blank=True, related_name="carried_to", on_delete=models.PROTECT
    )
    # Why it was carried: "md5", "sha256", "pdq" (with distance) or "url"; empty if by an analyst.
    carried_because = models.CharField(max_length=40, blank=True)
    rejected_at = models.DateTimeField(null=True, blank=True)
    rejected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        related_name="+",
        on_delete=models.PROTECT,
    )
    # The scheme version in force when it was made (0: the shipped file): its codes are shown
    # with that version's labels, whatever the scheme says later (hotline.assessment.scheme).
    scheme_version = models.PositiveIntegerField(default=0, db_default=0)

    class Meta:
        ordering = ["report", "version"]
        constraints = [
            models.UniqueConstraint(
                fields=["report", "version"], name="assessment_assessment_version_unique"
            ),
            models.UniqueConstraint(
                fields=["report"],
                condition=models.Q(current=True),
                name="assessment_assessment_one_current",
            ),
            # Either an analyst assessed it, or it was carried from another assessment.
            models.CheckConstraint(
                condition=models.Q(assessed_by__isnull=False, carried_from__isnull=True)
                | models.Q(assessed_by__isnull=True, carried_from__isnull=False),
                name="assessment_assessment_by_analyst_or_carried",
            ),
            # Only a carried row can be rejected, and a rejected row is never current.
            models.CheckConstraint(
                condition=models.Q(rejected_at__isnull=True)
                | models.Q(carried_from__isnull=False, current=False),
                name="assessment_assessment_rejected_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(version__gte=1), name="assessment_assessment_version_positive"
            ),
        ]
        indexes = [
            models.Index(
                fields=["report"],
                condition=models.Q(current=True, carried_from__isnull=False),
                name="assessment_carried_current",
            )
        ]

    def __str__(self) -> str:
        return f"assessment {self.version} of report {self.report_id}"


class ReportLink(models.Model):
    """A report joined to a primary report: as its duplicate, or as a member of its case.

    A report has at most one link (it is a duplicate of, or grouped under, one primary), and a
    primary is never itself linked (no chains: the queue shows a case by its primary).
    """

    class Kind(models.TextChoices):
        DUPLICATE = "duplicate", "duplicate of"
        MERGED = "merged", "grouped into the case of"

    report = models.OneToOneField(
        Report, primary_key=True, related_name="group_link", on_delete=models.CASCADE
    )
    primary = models.ForeignKey(Report, related_name="group_members", on_delete=models.CASCADE)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    linked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, related_name="+", on_delete=models.PROTECT
    )
    linked_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(report=models.F("primary")),
                name="assessment_reportlink_not_self",
            ),
            models.CheckConstraint(
                condition=models.Q(kind__in=["duplicate", "merged"]),
                name="assessment_reportlink_kind_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"report {self.report_id} {self.kind} {self.primary_id}"


class SchemeVersion(models.Model):
    """One version of the classification scheme an administrator saved (the file is version 0).

    `text` is the scheme's TOML, checked (hotline.assessment.scheme.scheme_parse) and compared
    with the codes stored assessments use before it was saved (services.scheme_version_save).
    Rows are never changed or deleted: an assessment names the version it was made under.
    Labels and codes only: nothing of any report.
    """

    version = models.PositiveIntegerField(unique=True)
    text = models.TextField()
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, related_name="+", on_delete=models.PROTECT
    )

    class Meta:
        ordering = ["version"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(version__gte=1), name="assessment_schemeversion_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"scheme version {self.version}"
