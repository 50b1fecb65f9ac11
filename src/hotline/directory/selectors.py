"""Reads of the directory for staff pages."""

from __future__ import annotations

from django.db.models import QuerySet

from hotline.accounts.models import User
from hotline.accounts.permissions import Action, require
from hotline.directory.models import PartnerHotline, Platform, SupportService


def directory_lists(
    *, actor: User
) -> tuple[QuerySet[Platform], QuerySet[PartnerHotline], QuerySet[SupportService]]:
    require(actor, Action.VIEW_QUEUE)
    return Platform.objects.all(), PartnerHotline.objects.all(), SupportService.objects.all()
