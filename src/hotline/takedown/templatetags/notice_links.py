"""Whether a staff page shows the Notices and Scorecards links."""

from __future__ import annotations

from typing import Any

from django import template

from hotline.accounts.permissions import Action, can

register = template.Library()


@register.filter
def may_send_notices(user: Any) -> bool:
    return can(user, Action.SEND_NOTICES)


@register.filter
def may_view_scorecards(user: Any) -> bool:
    return can(user, Action.VIEW_SCORECARDS)
