"""Published statistics: one frozen snapshot per quarter an administrator published.

The snapshot holds only what the public sees (suppressed cells already withheld: a hidden
count is never stored here), so the public page and downloads never change after publication
and never depend on later work on the reports (docs/decisions/public-statistics.md).
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
