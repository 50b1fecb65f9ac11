"""Statistics tables: published quarters (public figures) and the staff dashboard's rollup.

A published quarter is one frozen snapshot an administrator published. It holds only what the
public sees (suppressed cells already withheld: a hidden count is never stored here), so the
public page and downloads never change after publication and never depend on later work on the
reports (docs/decisions/public-statistics.md). The daily rollup holds counts, waits and cluster
growth per day, never a report id (DailyCluster's label names a cluster as the dashboard shows
it), rebuilt by the workers (docs/decisions/statistics-dashboard.md).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class PublishedQuarter(models.Model):
    year = models.PositiveSmallIntegerField()
    quarter = models.PositiveSmallIntegerField()
    threshold = models.PositiveSmallIntegerField()
    # {"total": cell, "tables": {name: [cell, ...]} or null}; a cell is
    # {"code", "value" (null when hidden), "shown", "text"}: hotline.statistics.public.
    figures = models.JSONField()
    published_at = models.DateTimeField()
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, related_name="+", on_delete=models.PROTECT
    )

    class Meta:
        ordering = ["-year", "-quarter"]
        constraints = [
            models.UniqueConstraint(fields=["year", "quarter"], name="statistics_quarter_once"),
            models.CheckConstraint(
                condition=models.Q(quarter__gte=1, quarter__lte=4),
                name="statistics_quarter_1_to_4",
            ),
            models.CheckConstraint(
                condition=models.Q(threshold__gte=3), name="statistics_threshold_3_or_more"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.year}-Q{self.quarter}"


class DailyCount(models.Model):
    """How many reports received on one local day have one value of one dimension, among the
    reports of one category ("" : every report). Rebuilt by the workers (rollup.py); never
    edited. Holds counts only, no report id: nothing here points to a report or a person."""

    day = models.DateField()
    category = models.CharField(max_length=20, blank=True)
    # total (value ""), category, platform, age, gender, province, language, channel, outcome;
    # hash_match (value: the hash list's category; rollup_figures.py)
    dimension = models.CharField(max_length=12)
    value = models.CharField(max_length=40, blank=True)
    reports = models.PositiveIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["category", "day", "dimension", "value"],
                name="statistics_dailycount_once",
            )
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.category or 'all'} {self.dimension}={self.value}: {self.reports}"


class RollupBuild(models.Model):
    """When the rollup was last rebuilt (one row), and how long that took."""

    built_at = models.DateTimeField()
    seconds = models.FloatField()

    def __str__(self) -> str:
        return f"rollup built {self.built_at:%Y-%m-%d %H:%M}"


class DailyWait(models.Model):
    """One report's wait from receipt to its first move into an assessed or an action state,
    under the local day it was received, for every report ("" category) and again for each
    category it has. Rebuilt by the workers (rollup_figures.py); never edited. No report id:
    the rows give percentiles of any range of days, and point to no report or person."""

    class Kind(models.TextChoices):
        ASSESSMENT = "assessment", "receipt to assessment"
        ACTION = "action", "receipt to action"

    day = models.DateField()
    category = models.CharField(max_length=20, blank=True)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    wait = models.DurationField()

    class Meta:
        indexes = [
            # The dashboard reads one kind of one category over a range of days.
            models.Index(fields=["kind", "category", "day"], name="statistics_dailywait_read")
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.category or 'all'} {self.kind}: {self.wait}"


class DailyCluster(models.Model):
    """How many reports received on one local day joined one linked cluster (two reports or
    more, hotline.entities.models.ReportCluster), among the reports of one category (""
    every report). Rebuilt by the workers (rollup_figures.py); never edited. The label is the
    cluster's name as the dashboard shows it (the smallest report id of the cluster); it goes
    at the next rebuild after that report or the cluster does."""

    day = models.DateField()
    category = models.CharField(max_length=20, blank=True)
    label = models.BigIntegerField()
    reports = models.PositiveIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["category", "day", "label"], name="statistics_dailycluster_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.category or 'all'} cluster {self.label}: {self.reports}"
