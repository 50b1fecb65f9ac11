"""The registry of referral packages this hotline produced (ids and digests, no content)."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

from hotline.intake.models import Report


class ReferralPackage(models.Model):
    """One package handed to the police: which case, when, by whom, and its manifest's digest.

    The package itself is not kept (it holds decrypted evidence). This row is what lets
    `hotline verify-package` tell a package this hotline made from one relabelled or made
    elsewhere: the manifest's id, case and date must match a row here, and its SHA-256 too.
    """

    package_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    report = models.ForeignKey(Report, related_name="referral_packages", on_delete=models.PROTECT)
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, related_name="+", on_delete=models.PROTECT
    )
    manifest_sha256 = models.CharField(max_length=64, unique=True)
    language = models.CharField(max_length=2)
    evidence_included = models.BooleanField()
    files = models.PositiveIntegerField()
    size = models.PositiveBigIntegerField()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(language__in=["en", "km"]), name="referrals_language_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(manifest_sha256__regex=r"^[0-9a-f]{64}$"),
                name="referrals_manifest_sha256_hex",
            ),
        ]

    def __str__(self) -> str:
        return f"referral package {self.package_id} of report {self.report_id}"
