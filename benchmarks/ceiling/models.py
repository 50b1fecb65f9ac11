"""One table for the ceiling: created by `migrate --run-syncdb` (no migrations on purpose)."""

from __future__ import annotations

from django.db import models


class CeilingReport(models.Model):
    """A report reduced to what the ceiling stores: a few clear fields, one ciphertext."""

    created_at = models.DateTimeField()
    reporter_role = models.CharField(max_length=20)
    categories = models.JSONField(default=list)
    platforms = models.JSONField(default=list)
    narrative_ciphertext = models.BinaryField()

    class Meta:
        app_label = "ceiling"

    def __str__(self) -> str:
        return f"CeilingReport {self.pk}"
