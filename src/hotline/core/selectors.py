"""Reads of site-wide directory data."""

from __future__ import annotations

from hotline.core.models import EmergencyContact


def emergency_contacts() -> list[EmergencyContact]:
    """Return the active emergency contacts in display order."""
    return list(EmergencyContact.objects.filter(active=True))
