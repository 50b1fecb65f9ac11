"""Staff pages of alerts: acknowledge one (POST from the banner on every staff page)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from hotline.accounts.models import User
from hotline.alerts.services import alert_acknowledge


@login_required
@require_POST
def acknowledge(request: HttpRequest, alert_id: int) -> HttpResponse:
    """Acknowledge an alert, then go back to the page the banner was on."""
    user = request.user
    assert isinstance(user, User)
    alert_acknowledge(actor=user, alert_id=alert_id)
    back = request.POST.get("next", "")
    if not back.startswith("/staff/") or not url_has_allowed_host_and_scheme(
        back, allowed_hosts=None
    ):
        back = "/staff/"
    return redirect(back)
