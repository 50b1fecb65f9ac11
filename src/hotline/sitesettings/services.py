"""Change the site settings (administrators only; every change audited, caches cleared).

Audit events name the fields that changed. Values are written only for what the hotline
shows the public anyway (its name and numbers, category labels, emergency numbers); alert
recipients and who is on duty are personal: only their number is written.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F

from hotline.accounts.models import User
from hotline.accounts.permissions import Action, require
from hotline.audit.services import audit_record
from hotline.core.models import EmergencyContact
from hotline.intake.choices import Category
from hotline.sitesettings.models import CategorySetting, SiteSettings
from hotline.sitesettings.selectors import site_settings_cache_clear


def _row_for_update() -> SiteSettings:
    SiteSettings.objects.get_or_create(pk=1)
    return SiteSettings.objects.select_for_update().get(pk=1)


def _changed(actor: User) -> None:
    """Raise the version (other processes reload) and clear this process's cache."""
    _row_for_update()
    SiteSettings.objects.filter(pk=1).update(version=F("version") + 1)
    site_settings_cache_clear()  # this thread's next read within the transaction
    transaction.on_commit(site_settings_cache_clear)  # and every thread's after it


@transaction.atomic
def site_settings_update(
    *,
    actor: User,
    name_en: str,
    name_km: str,
    phone_numbers: Sequence[str],
    alert_emails: Sequence[str],
    alert_staff: Sequence[User],
    on_duty: Sequence[User],
) -> list[str]:
    """Store the hotline's name, numbers, alert recipients and on-duty staff; return the names
    of the fields that changed (nothing changed: nothing written, nothing audited)."""
    require(actor, Action.MANAGE_SETTINGS)
    row = _row_for_update()
    new: dict[str, Any] = {
        "name_en": name_en.strip(),
        "name_km": name_km.strip(),
        "phone_numbers": list(phone_numbers),
        "alert_emails": list(alert_emails),
    }
    changed = [name for name, value in new.items() if getattr(row, name) != value]
    staff_ids = {user.pk for user in alert_staff}
    duty_ids = {user.pk for user in on_duty}
    if set(row.alert_staff.values_list("pk", flat=True)) != staff_ids:
        changed.append("alert_staff")
        row.alert_staff.set(staff_ids)
    if set(row.on_duty.values_list("pk", flat=True)) != duty_ids:
        changed.append("on_duty")
        row.on_duty.set(duty_ids)
    if not changed:
        return []
    for name, value in new.items():
        setattr(row, name, value)
    row.save()
    _changed(actor)
    public = {
        name: new[name] for name in ("name_en", "name_km", "phone_numbers") if name in changed
    }
    audit_record(
        actor=actor,
        action="settings.change",
        target_type="sitesettings",
        target_id=1,
        details={
            "fields": changed,
            "values": public,
            "alert_emails": len(new["alert_emails"]),
            "alert_staff": len(staff_ids),
            "on_duty": len(duty_ids),
        },
    )
    return changed


@dataclass(frozen=True)
class CategoryInput:
    """An administrator's choice for one report category."""

    code: str
    enabled: bool
    label_en: str = ""
    label_km: str = ""


class SettingsInputError(ValueError):
    """A change that the settings cannot take (said in words for the administrator)."""


@transaction.atomic
def categories_update(*, actor: User, categories: Sequence[CategoryInput]) -> list[str]:
    """Offer, withdraw or relabel report categories on the public form; return changed codes.

    Stored codes never change (reports keep theirs); at least one category stays offered,
    or no report could be made.
    """
    require(actor, Action.MANAGE_SETTINGS)
    wanted = {c.code: c for c in categories}
    unknown = set(wanted) - set(Category.values)
    if unknown:
        raise SettingsInputError(f"Unknown categories: {', '.join(sorted(unknown))}.")
    current = {c.code: c for c in CategorySetting.objects.select_for_update()}

    def offered(code: str) -> bool:
        if code in wanted:
            return wanted[code].enabled
        row = current.get(code)
        return row is None or row.enabled

    enabled_after = [code for code in Category.values if offered(code)]
    if not enabled_after:
        raise SettingsInputError("Keep at least one category on the form.")
    changed = []
    for code, choice in wanted.items():
        row = current.get(code) or CategorySetting(code=code)
        values = (choice.enabled, choice.label_en.strip(), choice.label_km.strip())
        if row.pk is None and values == (True, "", ""):
            continue  # the standard, as having no row
        if (row.enabled, row.label_en, row.label_km) == values:
            continue
        row.enabled, row.label_en, row.label_km = values
        row.save()
        changed.append(code)
    if changed:
        _changed(actor)
        audit_record(
            actor=actor,
            action="settings.categories",
            target_type="sitesettings",
            target_id=1,
            details={
                "changed": changed,
                "offered": enabled_after,
            },
        )
    return changed


@dataclass(frozen=True)
class ContactInput:
    """One emergency contact as an administrator left it (pk None: a new one)."""

    pk: int | None
    name_en: str
    name_km: str
    phone: str
    description_en: str = ""
    description_km: str = ""
    position: int = 0
    active: bool = True
    delete: bool = False


_CONTACT_FIELDS = ("name_en", "name_km", "phone", "description_en", "description_km")


@transaction.atomic
def emergency_contacts_save(*, actor: User, contacts: Sequence[ContactInput]) -> list[int]:
    """Add, change or remove emergency contacts; return the ids that changed.

    These numbers are shown to someone in danger: the change is one transaction, and an id
    that is not an existing contact is refused (a tampered form), nothing saved.
    """
    require(actor, Action.MANAGE_SETTINGS)
    existing = {
        c.pk: c
        for c in EmergencyContact.objects.select_for_update().filter(
            pk__in=[c.pk for c in contacts if c.pk is not None]
        )
    }
    if any(c.pk is not None and c.pk not in existing for c in contacts):
        raise SettingsInputError("An emergency contact was changed meanwhile; reload the page.")
    changes: list[dict[str, Any]] = []
    for item in contacts:
        if item.delete:
            if item.pk is not None:
                existing[item.pk].delete()
                changes.append({"id": item.pk, "removed": True})
            continue
        row = existing.get(item.pk) if item.pk is not None else EmergencyContact()
        assert row is not None
        fields = [
            name
            for name in (*_CONTACT_FIELDS, "position", "active")
            if getattr(row, name) != getattr(item, name)
        ]
        if row.pk is not None and not fields:
            continue
        for name in (*_CONTACT_FIELDS, "position", "active"):
            setattr(row, name, getattr(item, name))
        try:
            row.full_clean()
        except ValidationError as exc:  # the form checks the same; a direct caller may not
            raise SettingsInputError("; ".join(exc.messages)) from exc
        row.save()
        changes.append({"id": row.pk, "fields": fields, "phone": row.phone})
    if changes:
        _changed(actor)
        audit_record(
            actor=actor,
            action="settings.emergency_contacts",
            target_type="sitesettings",
            target_id=1,
            details={"changes": changes},
        )
    return [int(change["id"]) for change in changes]
