"""Template filters of the takedown includes."""

from __future__ import annotations

from datetime import timedelta

from django import template

from hotline.takedown.removal import duration_text

register = template.Library()


@register.filter
def duration(value: timedelta | None) -> str:
    """A time span in days, hours and minutes ("2 d 5 h")."""
    return duration_text(value)
