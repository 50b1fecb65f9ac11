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


def on_authenticator_saved(
    sender: Any, instance: Authenticator, created: bool, **kwargs: Any
) -> None:
    """On enrolment through the web page: the code typed may not serve again, and the
    session counts as having passed the second factor (it just typed a code).

    A post_save receiver, not allauth's `authenticator_added` (sent after the commit), so it
    runs inside the enrolment's transaction.
    """
    from allauth.core import context

    from hotline.accounts.mfa import totp_step_start

    if not created:
        return
    audit_record(
        actor=None,
        action="staff.authenticator_added",
        target_type="user",
        target_id=instance.user_id,
        details={"type": str(instance.type)},
    )
    request = context.request
    if instance.type != Authenticator.Type.TOTP or request is None:
        return  # made from the command line (`hotline demo`): no code was typed
    if getattr(request, "user", None) is not None and request.user.pk == instance.user_id:
        totp_step_start(authenticator=instance, request=request)
        request.session[ENROLLED_HERE] = time.time()
