"""Audit staff logins and start the session clocks (connected in AccountsConfig.ready)."""

from __future__ import annotations

import time
from typing import Any

from allauth.mfa.models import Authenticator
from django.contrib.auth import get_user_model
from django.http import HttpRequest

from hotline.accounts.middleware import ENROLLED_HERE, LOGIN_AT, SEEN_AT
from hotline.audit.services import audit_record


def on_login(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    """Start the absolute and idle clocks of a new session (Django has rotated its key)."""
    if request is not None and hasattr(request, "session"):
        now = time.time()
        request.session[LOGIN_AT] = now
        request.session[SEEN_AT] = now
    audit_record(actor=user, action="staff.login", target_type="user", target_id=user.pk)


def on_logout(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    if user is not None:
        audit_record(actor=user, action="staff.logout", target_type="user", target_id=user.pk)


def on_login_failed(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any
) -> None:
    """Record a failed login without what was typed (a password may land in the name field)."""
    username = str(credentials.get("username") or credentials.get("login") or "")
    user_id = (
        get_user_model().objects.filter(username=username).values_list("pk", flat=True).first()
    )
    audit_record(
        actor=None,
        action="staff.login_failed",
        target_type="user" if user_id else "",
        target_id=user_id or "",
    )


def on_authenticator_added(
    sender: Any, request: HttpRequest, user: Any, authenticator: Authenticator, **kwargs: Any
) -> None:
    """Count enrolment as this session's second factor; its code may not serve again."""
    from hotline.accounts.mfa import totp_step_start

    if authenticator.type == Authenticator.Type.TOTP:
        totp_step_start(authenticator=authenticator)
        request.session[ENROLLED_HERE] = True
    audit_record(
        actor=user,
        action="staff.authenticator_added",
        target_type="user",
        target_id=user.pk,
        details={"type": str(authenticator.type)},
    )
