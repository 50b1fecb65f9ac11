"""The settings page for administrators (/staff/settings/): three forms, each its own POST."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.views.decorators.http import require_POST

from hotline.accounts.models import User
from hotline.accounts.permissions import Action, require
from hotline.core.models import EmergencyContact
from hotline.sitesettings.forms import CategoriesForm, ContactFormSet, SiteSettingsForm
from hotline.sitesettings.models import SiteSettings
from hotline.sitesettings.selectors import settings_missing, site_settings
from hotline.sitesettings.services import (
    CategoryInput,
    ContactInput,
    SettingsInputError,
    categories_update,
    emergency_contacts_save,
    site_settings_update,
)


def _in_english(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Render in English, form errors included (staff pages: docs/decisions/i18n.md)."""

    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        with translation.override("en"):
            return view(request, *args, **kwargs)

    return wrapped


def _admin(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    require(user, Action.MANAGE_SETTINGS)
    return user


def _general_initial() -> dict[str, Any]:
    snapshot = site_settings()
    row = SiteSettings.objects.filter(pk=1).first()
    return {
        "name_en": snapshot.name_en,
        "name_km": snapshot.name_km,
        "phone_numbers": "\n".join(snapshot.phone_numbers),
        "alert_emails": "\n".join(snapshot.alert_emails),
        "alert_staff": list(row.alert_staff.all()) if row else [],
        "on_duty": list(row.on_duty.all()) if row else [],
    }


def _categories_initial() -> dict[str, Any]:
    snapshot = site_settings()
    initial: dict[str, Any] = {}
    for code in CategoriesForm().rows():
        setting = snapshot.category(code[0])
        initial[f"{code[0]}-enabled"] = setting.enabled
        initial[f"{code[0]}-label_en"] = setting.label_en
        initial[f"{code[0]}-label_km"] = setting.label_km
    return initial


def _contacts_initial() -> list[dict[str, Any]]:
    return [
        {
            "contact_id": c.pk,
            "name_en": c.name_en,
            "name_km": c.name_km,
            "phone": c.phone,
            "description_en": c.description_en,
            "description_km": c.description_km,
            "position": c.position,
            "active": c.active,
        }
        for c in EmergencyContact.objects.all()
    ]


def _page(
    request: HttpRequest,
    *,
    general: SiteSettingsForm | None = None,
    categories: CategoriesForm | None = None,
    contacts: Any = None,
    contacts_error: str = "",
    status: int = 200,
) -> HttpResponse:
    context = {
        "general": general or SiteSettingsForm(initial=_general_initial()),
        "categories": categories or CategoriesForm(initial=_categories_initial()),
        "contacts": contacts or ContactFormSet(initial=_contacts_initial(), prefix="contact"),
        "contacts_error": contacts_error,
        "missing": settings_missing(),
        "saved": request.GET.get("saved", ""),
    }
    return render(request, "sitesettings/settings.html", context, status=status)


@login_required
@_in_english
def settings_page(request: HttpRequest) -> HttpResponse:
    """Show the settings (GET) or save the hotline's name, numbers and alert recipients."""
    user = _admin(request)
    if request.method != "POST":
        return _page(request)
    form = SiteSettingsForm(request.POST, initial=_general_initial())
    if not form.is_valid():
        return _page(request, general=form, status=400)
    data = form.cleaned_data
    site_settings_update(
        actor=user,
        name_en=data["name_en"],
        name_km=data["name_km"],
        phone_numbers=data["phone_numbers"],
        alert_emails=data["alert_emails"],
        alert_staff=list(data["alert_staff"]),
        on_duty=list(data["on_duty"]),
    )
    return redirect("/staff/settings/?saved=general#general")


@login_required
@require_POST
@_in_english
def categories_page(request: HttpRequest) -> HttpResponse:
    """Save which report categories the public form offers, and their labels."""
    user = _admin(request)
    form = CategoriesForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        rows = [
            CategoryInput(
                code=code,
                enabled=bool(data[f"{code}-enabled"]),
                label_en=data[f"{code}-label_en"],
                label_km=data[f"{code}-label_km"],
            )
            for code, _label, _fields in form.rows()
        ]
        try:
            categories_update(actor=user, categories=rows)
        except SettingsInputError as exc:
            form.add_error(None, str(exc))
        else:
            return redirect("/staff/settings/?saved=categories#categories")
    return _page(request, categories=form, status=400)


@login_required
@require_POST
@_in_english
def contacts_page(request: HttpRequest) -> HttpResponse:
    """Save the emergency contacts (add, change, remove) in one go."""
    user = _admin(request)
    formset = ContactFormSet(request.POST, prefix="contact")
    if formset.is_valid():
        items = [_contact_input(form.cleaned_data) for form in formset.forms if form.has_changed()]
        try:
            emergency_contacts_save(actor=user, contacts=items)
        except SettingsInputError as exc:
            return _page(request, contacts=formset, contacts_error=str(exc), status=400)
        else:
            return redirect("/staff/settings/?saved=contacts#contacts")
    return _page(request, contacts=formset, status=400)


def _contact_input(data: dict[str, Any]) -> ContactInput:
    if data.get("DELETE"):  # a removed row's other fields are not checked: only its id counts
        return ContactInput(
            pk=data.get("contact_id"), name_en="", name_km="", phone="", delete=True
        )
    return ContactInput(
        pk=data.get("contact_id"),
        name_en=data["name_en"],
        name_km=data["name_km"],
        phone=data["phone"],
        description_en=data.get("description_en", ""),
        description_km=data.get("description_km", ""),
        position=data["position"],
        active=bool(data.get("active")),
    )
