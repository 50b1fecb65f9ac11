"""The staff member behind a request, for staff views (one helper instead of one per app)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest

from hotline.accounts.models import User


def staff_user(request: HttpRequest) -> User:
    """Return the logged-in staff member; anyone else is refused (403, audited by the
    middleware). Views still check the permission matrix through the services."""
    user = request.user
    if not isinstance(user, User):
        raise PermissionDenied
    return user
