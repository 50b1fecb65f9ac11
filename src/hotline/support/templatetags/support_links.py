"""Whether the staff navigation shows the support cases link (the matrix decides)."""

from __future__ import annotations

from typing import Any

from django import template

from hotline.accounts.permissions import Action, can

register = template.Library()


@register.filter
def may_view_support(user: Any) -> bool:
    return can(user, Action.VIEW_SUPPORT_CASES)
