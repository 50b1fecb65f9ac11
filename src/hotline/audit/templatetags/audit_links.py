"""Whether a staff page shows the audit log link (`may_view_audit`), the custody link
(`may_export`); an event's details as compact JSON (`as_json`)."""

from __future__ import annotations

import json
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


@register.filter
def as_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False)
