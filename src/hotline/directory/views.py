"""Directory pages: everyone on staff reads; administrators add and edit (audited)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import models
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from hotline.accounts.permissions import Action, can
from hotline.accounts.requests import staff_user as _staff
from hotline.directory.forms import PartnerHotlineForm, PlatformForm, SupportServiceForm
from hotline.directory.models import PartnerHotline, Platform, SupportService
from hotline.directory.selectors import directory_lists
from hotline.directory.services import directory_entry_save

KINDS: dict[str, tuple[type[models.Model], Any, str]] = {
    "platforms": (Platform, PlatformForm, "platform or host"),
    "partners": (PartnerHotline, PartnerHotlineForm, "partner hotline"),
    "services": (SupportService, SupportServiceForm, "support service"),
}


@login_required
def directory_home(request: HttpRequest) -> HttpResponse:
    platforms, partners, services = directory_lists(actor=_staff(request))
    return render(
        request,
        "directory/home.html",
        {
            "platforms": platforms,
            "partners": partners,
            "services": services,
            "may_edit": can(_staff(request), Action.MANAGE_SETTINGS),
        },
    )


@login_required
def directory_edit(request: HttpRequest, kind: str, pk: int | None = None) -> HttpResponse:
    if kind not in KINDS:
        raise Http404
    actor = _staff(request)
    if not can(actor, Action.MANAGE_SETTINGS):
        raise PermissionDenied
    model, form_class, label = KINDS[kind]
    instance = get_object_or_404(model, pk=pk) if pk is not None else None
    form = form_class(request.POST or None, instance=instance)
    if request.method == "POST" and form.is_valid():
        entry = form.save(commit=False)
        directory_entry_save(
            actor=actor, entry=entry, changed=form.changed_data, created=instance is None
        )
        return redirect("directory:home")
    return render(
        request,
        "directory/edit.html",
        {"form": form, "label": label, "creating": instance is None},
        status=400 if request.method == "POST" else 200,
    )
