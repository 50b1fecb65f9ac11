"""Who to write to: platforms and hosts (abuse contacts), partner hotlines, support services.

Edited by administrators in the app; a fresh install starts with the platforms offenders use
most in the region (data/platforms.toml), each marked unchecked until an administrator has
confirmed its contact.
"""

from __future__ import annotations

from django.db import models


class NoticeChannel(models.TextChoices):
    EMAIL = "email", "E-mail"
    WEB_FORM = "web_form", "Web form (filled in by hand)"
    API = "api", "API"
    NONE = "none", "No channel known yet"


class Platform(models.Model):
    """A platform or host that receives takedown notices.

    `code` is the platform name the entities app gives canonical identifiers (telegram,
    google_drive, ...); `hostnames` lets a plain web link find its host by name.
    """

    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=100)
    channel = models.CharField(max_length=10, choices=NoticeChannel.choices)
    abuse_email = models.EmailField(blank=True)
    # A second address some platforms keep for child abuse only (Telegram's stopCA).
    child_abuse_email = models.EmailField(blank=True)
    web_form_url = models.URLField(blank=True, max_length=500)
    hostnames = models.JSONField(default=list, blank=True)
    notes = models.TextField(blank=True, max_length=2000)
    contact_checked = models.BooleanField(
        default=False, help_text="An administrator confirmed the contact works."
    )
    active = models.BooleanField(default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(channel__in=NoticeChannel.values),
                name="directory_platform_channel_valid",
            ),
            models.CheckConstraint(
                condition=~models.Q(channel="email") | ~models.Q(abuse_email=""),
                name="directory_platform_email_channel_has_address",
            ),
            models.CheckConstraint(
                condition=~models.Q(channel="web_form") | ~models.Q(web_form_url=""),
                name="directory_platform_form_channel_has_address",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class PartnerHotline(models.Model):
    """A hotline abroad that receives what is hosted in its country (INHOPE member or not)."""

    name = models.CharField(max_length=150)
    country = models.CharField(max_length=2)  # ISO 3166-1 alpha-2, upper case
    email = models.EmailField(blank=True)
    website = models.URLField(blank=True, max_length=300)
    inhope_member = models.BooleanField(default=False)
    notes = models.TextField(blank=True, max_length=2000)
    active = models.BooleanField(default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["country", "name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(country__regex=r"^[A-Z]{2}$"),
                name="directory_partner_country_code",
            ),
            models.UniqueConstraint(fields=["country", "name"], name="directory_partner_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.country})"


class ServiceKind(models.TextChoices):
    HELPLINE = "helpline", "Helpline"
    COUNSELLING = "counselling", "Counselling"
    LEGAL_AID = "legal_aid", "Legal aid"
    SHELTER = "shelter", "Shelter"
    MEDICAL = "medical", "Medical care"
    POLICE = "police", "Police unit"
    OTHER = "other", "Other"


class SupportService(models.Model):
    """Help a caseworker can offer a victim: counselling, legal aid, shelter, a helpline."""

    name_en = models.CharField(max_length=150)
    name_km = models.CharField(max_length=150, blank=True)
    kind = models.CharField(max_length=12, choices=ServiceKind.choices)
    languages = models.JSONField(default=list, blank=True)  # e.g. ["km", "en"]
    areas = models.CharField(max_length=300, blank=True, help_text="Provinces or 'nationwide'.")
    phone = models.CharField(max_length=40, blank=True)
    email = models.EmailField(blank=True)
    website = models.URLField(blank=True, max_length=300)
    hours = models.CharField(max_length=100, blank=True)
    notes = models.TextField(blank=True, max_length=2000)
    active = models.BooleanField(default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["kind", "name_en"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind__in=ServiceKind.values),
                name="directory_service_kind_valid",
            ),
            models.CheckConstraint(
                condition=~models.Q(phone="") | ~models.Q(email="") | ~models.Q(website=""),
                name="directory_service_has_a_contact",
            ),
        ]

    def __str__(self) -> str:
        return self.name_en
