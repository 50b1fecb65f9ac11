"""Numbers and dates in the digits of the page's language: Khmer digits on Khmer pages.

`{{ n|digits }}`, `{{ when|local_date }}`, `{{ when|local_datetime }}`. Receipt codes, phone
numbers to dial and hashes never go through these: they are typed or dialled exactly as shown,
and phones dial Latin digits (docs/decisions/i18n.md).
"""

from __future__ import annotations

import datetime
from typing import Final

from django import template
from django.utils import formats, timezone, translation
from django.utils.safestring import SafeData, SafeString, mark_safe

register = template.Library()

KHMER_DIGITS: Final = str.maketrans("0123456789", "០១២៣៤៥៦៧៨៩")


def digits_localize(text: str, language: str | None = None) -> str:
    """Return `text` with Latin digits written as the language's digits (Khmer: ០-៩)."""
    language = language or translation.get_language() or ""
    if language.split("-")[0] == "km":
        return text.translate(KHMER_DIGITS)
    return text


@register.filter
def digits(value: object) -> str | SafeString:
    """Write `value`'s digits as the current language does (safe stays safe)."""
    converted = digits_localize(str(value))
    # Digits in, digits out: no character that HTML escaping cares about is added.
    return mark_safe(converted) if isinstance(value, SafeData) else converted  # noqa: S308


def _date(value: object, format_name: str) -> str:
    if not isinstance(value, datetime.date):
        return ""
    if isinstance(value, datetime.datetime) and timezone.is_aware(value):
        value = timezone.localtime(value)
    return digits_localize(formats.date_format(value, format_name))


@register.filter
def local_date(value: object) -> str:
    """Return the day in the page's language: "3 December 2026", "៣ ខែធ្នូ ឆ្នាំ២០២៦"."""
    return _date(value, "DATE_FORMAT")


@register.filter
def local_datetime(value: object) -> str:
    """Return the day and time (local time zone) in the page's language and digits."""
    return _date(value, "DATETIME_FORMAT")
