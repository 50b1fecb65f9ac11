"""Staff accounts (custom user model from the first migration, as Django advises)."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser


class User(AbstractUser):
    """A member of staff: analyst, caseworker, liaison or administrator."""
