"""The settings an administrator changes in the app: one row, and one row per report category.

Read through `hotline.sitesettings.selectors.site_settings` (a per-process cache checked
against `version`); written only by `hotline.sitesettings.services` (audited). The emergency
contact directory stays core's `EmergencyContact`, edited from the same settings page.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from hotline.intake.choices import Category


class SiteSettings(models.Model):
    """The hotline's own name and numbers, and who is told when a report needs attention now.

    One row (pk 1, a database constraint). A fresh install has no row: every reader then sees
    empty settings, and the first save creates it.
    """

    name_en = models.CharField(max_length=80, blank=True)
    name_km = models.CharField(max_length=80, blank=True)
    # The hotline's own numbers for the public, as shown and dialled ("012 345 678").
    phone_numbers = models.JSONField(default=list, blank=True)
    # E-mail addresses told of an urgent report, besides the staff accounts below.
    alert_emails = models.JSONField(default=list, blank=True)
    alert_staff = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="+", blank=True)
    # Staff who see urgent-report alerts in the staff pages (nobody set: every member of staff
    # who may respond to alerts sees them; a missed alert is worse than a shared one).
    on_duty = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="+", blank=True)
    # Raised by every change (settings or emergency contacts), in the change's transaction:
    # other processes compare it with the one they cached.
    version = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "site settings"
        constraints = [
            models.CheckConstraint(condition=models.Q(pk=1), name="sitesettings_one_row"),
        ]

    def __str__(self) -> str:
        return f"site settings (version {self.version})"


class CategorySetting(models.Model):
    """Whether a report category is offered on the public form, and its label there.

    The stored code is intake's (`Category`), never changed here; no row means offered with
    its standard, translated label. A blank label keeps the standard label in that language.
    """

    code = models.CharField(max_length=40, choices=Category.choices, unique=True)
    enabled = models.BooleanField(default=True)
    label_en = models.CharField(max_length=200, blank=True)
    label_km = models.CharField(max_length=200, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(code__in=Category.values), name="sitesettings_category_known"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} ({'on' if self.enabled else 'off'})"
