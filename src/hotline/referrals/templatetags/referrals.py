"""Whether the staff report page shows the "Referral package" link (`may_make_referral`)."""

from __future__ import annotations

from typing import Any

from django import template

from hotline.accounts.permissions import Action, can

register = template.Library()


@register.filter
def may_make_referral(user: Any) -> bool:
    return can(user, Action.REFERRAL_PACKAGE)
