"""Reveals of evidence: who saw which clear image, when, and until when its URL works."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from hotline.intake.models import EvidenceFile


class EvidenceReveal(models.Model):
    """One analyst's reveal of one evidence image, for a limited time.

    The clear image is served only at a URL holding a random token, only to `user`, only until
    `expires_at`; just the token's SHA-256 is stored. The rows are also each analyst's exposure
    count (how many clear images they saw today), which welfare policies read.
    """

    token_digest = models.CharField(max_length=64, unique=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, related_name="evidence_reveals", on_delete=models.PROTECT
    )
    evidence = models.ForeignKey(EvidenceFile, related_name="reveals", on_delete=models.CASCADE)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["user", "created_at"], name="viewing_reveal_user_day")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(expires_at__gt=models.F("created_at")),
                name="viewing_reveal_expires_after_creation",
            )
        ]

    def __str__(self) -> str:
        return f"reveal of evidence {self.evidence_id} by {self.user_id}"
