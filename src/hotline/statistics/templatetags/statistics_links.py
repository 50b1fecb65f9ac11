"""Whether the staff header shows the Statistics link (`may_view_statistics`) and the
Publish figures link (`may_publish_statistics`: the right `quarter_publish` requires)."""

from __future__ import annotations

from typing import Any

from django import template

from hotline.accounts.permissions import Action, can

register = template.Library()


@register.filter
def may_view_statistics(user: Any) -> bool:
    return can(user, Action.VIEW_STATISTICS)


@register.filter
def may_publish_statistics(user: Any) -> bool:
    return can(user, Action.MANAGE_SETTINGS)
