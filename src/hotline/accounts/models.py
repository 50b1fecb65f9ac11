"""Staff accounts (custom user model from the first migration, as Django advises)."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models

from hotline.accounts.permissions import Role


class User(AbstractUser):
    """A member of staff: analyst, caseworker, liaison or administrator.

    What they may do is their role's row of the matrix (hotline.accounts.permissions).
    """

    role = models.CharField(max_length=20, choices=Role.choices, default=Role.ANALYST)


class TotpStep(models.Model):
    """The newest TOTP time step accepted for one authenticator (RFC 6238, section 5.2).

    A code is accepted only for a step later than this one, checked and raised in one UPDATE,
    so the same code cannot be used twice, even on two web processes at once.
    """

    authenticator = models.OneToOneField(
        "mfa.Authenticator", on_delete=models.CASCADE, related_name="+"
    )
    last_step = models.BigIntegerField(default=-1)

    def __str__(self) -> str:
        return f"TOTP step {self.last_step} of authenticator {self.authenticator_id}"
