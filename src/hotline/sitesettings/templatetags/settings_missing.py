"""`{% settings_missing_notice %}`: tell administrators on the staff home what is not set."""

from __future__ import annotations

from typing import Any

from django import template

from hotline.accounts.models import User
from hotline.accounts.permissions import Action, can
from hotline.sitesettings.selectors import settings_missing

register = template.Library()


@register.inclusion_tag("sitesettings/_missing.html", takes_context=True)
def settings_missing_notice(context: template.Context) -> dict[str, Any]:
    """Return what is missing, for a user who may change the settings (others: nothing)."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if not isinstance(user, User) or not can(user, Action.MANAGE_SETTINGS):
        return {"missing": []}
    return {"missing": settings_missing(), "link": True}
