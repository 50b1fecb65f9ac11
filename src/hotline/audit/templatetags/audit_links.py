"""`user|may_view_audit`: whether the staff header shows the audit log link."""

from __future__ import annotations

from typing import Any

from django import template

from hotline.accounts.permissions import Action, can

register = template.Library()


@register.filter
def may_view_audit(user: Any) -> bool:
    return can(user, Action.VIEW_AUDIT)
