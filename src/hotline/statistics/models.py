"""The staff dashboard's daily rollup (hotline.statistics.rollup): derived, rebuilt wholesale."""

from __future__ import annotations

from django.db import models


class DailyCount(models.Model):
    """How many reports received on one local day have one value of one dimension, among the
    reports of one category ("" : every report). Rebuilt by the workers (rollup.py); never
    edited. Holds counts only, no report id: nothing here points to a report or a person."""

    day = models.DateField()
    category = models.CharField(max_length=20, blank=True)
    # total (value ""), category, platform, age, language, channel, outcome
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
