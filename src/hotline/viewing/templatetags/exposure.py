"""`{% exposure_today %}`: the signed-in analyst's count of evidence revealed today."""

from __future__ import annotations

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString

from hotline.accounts.models import User
from hotline.accounts.permissions import Action, can
from hotline.viewing.selectors import exposure_today as _count

register = template.Library()


@register.simple_tag(takes_context=True)
def exposure_today(context: template.Context) -> SafeString:
    """Return "N revealed today" for staff who may see evidence, else nothing."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if not isinstance(user, User) or not can(user, Action.VIEW_EVIDENCE):
        return SafeString()
    return format_html(
        '<span class="small" id="exposure-today">{} picture{} revealed today</span>',
        n := _count(user=user),
        "" if n == 1 else "s",
    )
