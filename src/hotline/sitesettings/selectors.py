"""Read the site settings through a small per-process cache.

Public pages read the settings on every request (the hotline's name in the header, its number
in the footer), so each process keeps one immutable snapshot and asks the database only for
the row's `version`, at most every `CHECK_SECONDS`: a change made in another process shows
within that time, one made in this process at once (the services clear the cache).
When the database does not answer (the outage page), the last snapshot is used, else empty
settings: a page must render without them.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field

from django.conf import settings
from django.db import DatabaseError
from django.utils.translation import get_language

from hotline.core.models import EmergencyContact
from hotline.intake.choices import Category
from hotline.sitesettings.models import CategorySetting, SiteSettings

logger = logging.getLogger(__name__)

CHECK_SECONDS = 2.0


@dataclass(frozen=True)
class CategoryLabel:
    """How one report category is offered on the public form."""

    code: str
    enabled: bool = True
    label_en: str = ""
    label_km: str = ""


@dataclass(frozen=True)
class SiteSnapshot:
    """The settings as read at one moment (never mutated: shared by threads)."""

    version: int = -1
    name_en: str = ""
    name_km: str = ""
    phone_numbers: tuple[str, ...] = ()
    alert_emails: tuple[str, ...] = ()
    alert_staff_ids: frozenset[int] = frozenset()
    on_duty_ids: frozenset[int] = frozenset()
    categories: dict[str, CategoryLabel] = field(default_factory=dict)

    def name(self, language: str | None = None) -> str:
        """Return the hotline's name in `language` (default: the page's), else the other one,
        else the name the server was started with (HOTLINE_NAME)."""
        language = (language or get_language() or "").split("-")[0]
        first, second = (
            (self.name_km, self.name_en) if language == "km" else (self.name_en, self.name_km)
        )
        return first or second or str(settings.HOTLINE_NAME)

    def category(self, code: str) -> CategoryLabel:
        return self.categories.get(code) or CategoryLabel(code=code)


_lock = threading.Lock()
_cached: SiteSnapshot | None = None
_checked_at = -float("inf")


def site_settings_cache_clear() -> None:
    """Forget this process's snapshot (after a change, and between tests)."""
    global _cached, _checked_at
    with _lock:
        _cached = None
        _checked_at = -float("inf")


def _load() -> SiteSnapshot:
    row = SiteSettings.objects.filter(pk=1).first()
    categories = {
        c.code: CategoryLabel(
            code=c.code, enabled=c.enabled, label_en=c.label_en, label_km=c.label_km
        )
        for c in CategorySetting.objects.all()
    }
    if row is None:
        return SiteSnapshot(version=0, categories=categories)
    return SiteSnapshot(
        version=row.version,
        name_en=row.name_en,
        name_km=row.name_km,
        phone_numbers=tuple(str(n) for n in row.phone_numbers or ()),
        alert_emails=tuple(str(e) for e in row.alert_emails or ()),
        alert_staff_ids=frozenset(row.alert_staff.values_list("pk", flat=True)),
        on_duty_ids=frozenset(row.on_duty.values_list("pk", flat=True)),
        categories=categories,
    )


def site_settings() -> SiteSnapshot:
    """Return the current settings (cached; at most one small query every CHECK_SECONDS)."""
    global _cached, _checked_at
    cached, now = _cached, time.monotonic()
    if cached is not None and now - _checked_at < CHECK_SECONDS:
        return cached
    try:
        version = SiteSettings.objects.filter(pk=1).values_list("version", flat=True).first()
        if cached is None or (version or 0) != cached.version:
            cached = _load()
    except DatabaseError as exc:
        logger.warning("site settings not read (%s); using the last known", type(exc).__name__)
        return cached or SiteSnapshot()
    with _lock:
        _cached, _checked_at = cached, now
    return cached


def site_settings_shown() -> str:
    """Return what public pages show of the settings (name, numbers), for keys of pages
    rendered once and reused: a change renders them again."""
    snapshot = site_settings()
    return repr((snapshot.name_en, snapshot.name_km, snapshot.phone_numbers))


def category_choices() -> list[tuple[str, str]]:
    """Return the categories offered on the public form, labelled in the page's language."""
    snapshot = site_settings()
    km = (get_language() or "").split("-")[0] == "km"
    choices: list[tuple[str, str]] = []
    for code, standard in Category.choices:
        setting = snapshot.category(code)
        if not setting.enabled:
            continue
        custom = setting.label_km if km else setting.label_en
        choices.append((code, custom or str(standard)))
    return choices


@dataclass(frozen=True)
class Missing:
    """One setting an administrator still has to set, said as what to do."""

    key: str
    text: str


def settings_missing() -> list[Missing]:
    """Return what is not set yet that the hotline needs (for the administrators' staff home)."""
    snapshot = site_settings()
    missing = []
    if not (snapshot.name_en or snapshot.name_km):
        missing.append(Missing("name", "Set the hotline's name (Khmer and English)."))
    if not snapshot.phone_numbers:
        missing.append(
            Missing(
                "phone",
                "Set the hotline's phone number: until then the public pages show no number "
                "for the hotline.",
            )
        )
    if not (snapshot.alert_emails or snapshot.alert_staff_ids):
        missing.append(
            Missing(
                "alert_recipients",
                "No alert recipient is set: urgent reports are shown in the staff pages but "
                "no e-mail is sent.",
            )
        )
    if not EmergencyContact.objects.filter(active=True).exists():
        missing.append(Missing("contacts", "Add at least one emergency contact."))
    return missing
