"""Site-wide directory data (emergency contacts)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import get_language


class EmergencyContact(models.Model):
    """A number shown to anyone who says someone is in danger right now.

    Kept in the database, not in templates, so the hotline can change it without a release.
    """

    name_en = models.CharField(max_length=120)
    name_km = models.CharField(max_length=120)
    phone = models.CharField(max_length=40)
    description_en = models.CharField(max_length=240, blank=True)
    description_km = models.CharField(max_length=240, blank=True)
    position = models.PositiveSmallIntegerField(default=0)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return f"{self.name_en} ({self.phone})"

    @property
    def name(self) -> str:
        return self.name_km if get_language() == "km" and self.name_km else self.name_en

    @property
    def description(self) -> str:
        if get_language() == "km" and self.description_km:
            return self.description_km
        return self.description_en
