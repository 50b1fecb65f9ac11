"""Whether a staff page shows the audit log link (`may_view_audit`), the custody link
(`may_export`)."""

from __future__ import annotations

from typing import Any

from django import template

from hotline.accounts.permissions import Action, can

register = template.Library()


@register.filter
def may_view_audit(user: Any) -> bool:
    return can(user, Action.VIEW_AUDIT)


@register.filter
def may_export(user: Any) -> bool:
    return can(user, Action.EXPORT)
