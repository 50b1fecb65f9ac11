"""`{% alerts_banner %}`: the open alerts at the top of every staff page, for on-duty staff."""

from __future__ import annotations

from typing import Any

from django import template

from hotline.accounts.models import User
from hotline.alerts.selectors import open_alerts_for
from hotline.sitesettings.selectors import site_settings

register = template.Library()


@register.inclusion_tag("alerts/_banner.html", takes_context=True)
def alerts_banner(context: template.Context) -> dict[str, Any]:
    """Return the open alerts the page's user should see (none: the banner shows nothing)."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if not isinstance(user, User):
        return {"alerts": []}
    snapshot = site_settings()
    return {
        "alerts": open_alerts_for(user),
        "no_recipients": not (snapshot.alert_emails or snapshot.alert_staff_ids),
        "next": request.get_full_path() if request is not None else "/staff/",
        "csrf_token": context.get("csrf_token"),
    }
