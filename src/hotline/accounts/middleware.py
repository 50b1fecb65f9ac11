"""Staff sessions: two-factor required, idle and absolute timeouts, disabled accounts logged out.

Only paths under /staff/ and /admin/ are looked at: public pages never touch the session (a
reporter gets no cookie from this).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import cache
from urllib.parse import urlencode

from allauth.account.authentication import get_authentication_records
from allauth.mfa.models import Authenticator
from django.conf import settings
from django.contrib import auth
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

from hotline.audit.services import audit_record

STAFF_PREFIXES = ("/staff/", "/admin/")
LOGIN_AT = "hotline_login_at"
SEEN_AT = "hotline_seen_at"
ENROLLED_HERE = "hotline_mfa_enrolled"
# The idle clock is written to the session at most this often (one write per minute, not per
# page); the idle timeout is therefore exact to within a minute.
SEEN_RESOLUTION_SECONDS = 60


@cache
def _enrolment_paths() -> frozenset[str]:
    """Pages a signed-in user without an authenticator may open: enrol, see codes, leave."""
    return frozenset(
        reverse(name)
        for name in (
            "account_logout",
            "staff:logout",
            "mfa_activate_totp",
            "mfa_view_recovery_codes",
            "mfa_download_recovery_codes",
            "account_reauthenticate",
        )
    )


def has_totp(user_id: int) -> bool:
    return bool(
        Authenticator.objects.filter(user_id=user_id, type=Authenticator.Type.TOTP).exists()
    )


def passed_second_factor(request: HttpRequest) -> bool:
    """Return whether this session's login went through TOTP or a recovery code.

    Enrolling counts: the user typed a code from the new authenticator in this session.
    """
    if request.session.get(ENROLLED_HERE):
        return True
    records = get_authentication_records(request, request.user)
    return any(record.get("method") == "mfa" for record in records)


def _to_login(request: HttpRequest, *, reason: str) -> HttpResponse:
    query = urlencode({"next": request.get_full_path(), "ended": reason})
    return HttpResponseRedirect(f"{settings.LOGIN_URL}?{query}")


class StaffSessionMiddleware:
    """End staff sessions that are idle, too old, of a disabled account, or without 2FA.

    Goes after AuthenticationMiddleware. A user whose account was disabled or deleted is
    already anonymous to Django; the leftover session is flushed here.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.path.startswith(STAFF_PREFIXES):
            return self.get_response(request)
        ended = self._check(request)
        return ended if ended is not None else self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> None:
        """Audit a refused staff action (Django then answers 403)."""
        if isinstance(exception, PermissionDenied) and request.path.startswith(STAFF_PREFIXES):
            user = request.user if request.user.is_authenticated else None
            audit_record(
                actor=user,
                action="staff.forbidden",
                target_type="path",
                target_id=request.path[:80],
                details={"method": request.method, "refused": str(exception)[:100]},
            )

    def _check(self, request: HttpRequest) -> HttpResponse | None:
        user = request.user
        if not user.is_authenticated:
            if auth.SESSION_KEY in request.session:
                # The account was disabled or deleted since the login.
                audit_record(
                    actor=None,
                    action="staff.session_end",
                    target_type="user",
                    target_id=str(request.session.get(auth.SESSION_KEY, "")),
                    details={"reason": "disabled"},
                )
                auth.logout(request)
            return None
        now = time.time()
        started = request.session.get(LOGIN_AT)
        seen = request.session.get(SEEN_AT, started)
        reason = ""
        if started is None or now - started > settings.HOTLINE_STAFF_SESSION_HOURS * 3600:
            reason = "expired"
        elif seen is None or now - seen > settings.HOTLINE_STAFF_IDLE_MINUTES * 60:
            reason = "idle"
        if reason:
            audit_record(
                actor=user,
                action="staff.session_end",
                target_type="user",
                target_id=user.pk,
                details={"reason": reason},
            )
            auth.logout(request)
            return _to_login(request, reason=reason)
        if now - seen >= SEEN_RESOLUTION_SECONDS:
            request.session[SEEN_AT] = now
        if not has_totp(user.pk):
            if request.path in _enrolment_paths():
                return None
            return HttpResponseRedirect(reverse("mfa_activate_totp"))
        if not passed_second_factor(request):
            # A session that did not pass the second step (made some other way): end it.
            auth.logout(request)
            return _to_login(request, reason="2fa")
        return None
