"""`{% report_hosting report %}`: the hosting trace box of the staff report page."""

from __future__ import annotations

from typing import Any

from django import template

from hotline.accounts.models import User
from hotline.accounts.permissions import Action, can
from hotline.hosting.reports import partner_for_report, report_hosting_for
from hotline.intake.models import Report

register = template.Library()


@register.inclusion_tag("hosting/_report_hosting.html", takes_context=True)
def report_hosting(context: dict[str, Any], report: Report) -> dict[str, Any]:
    request = context.get("request")
    user = getattr(request, "user", None)
    if not isinstance(user, User) or not can(user, Action.VIEW_NARRATIVE):
        return {"shown": False}
    return {
        "shown": True,
        "hosts": report_hosting_for(actor=user, report=report),
        "partner": partner_for_report(report),
    }
