"""Template context shared by every page."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest


def site(request: HttpRequest) -> dict[str, object]:
    """Return the hotline's name for page titles."""
    return {"hotline_name": settings.HOTLINE_NAME}
