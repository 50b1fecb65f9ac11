"""Create staff accounts."""

from __future__ import annotations

from django.contrib.auth.password_validation import validate_password
from django.db import transaction

from hotline.accounts.models import User
from hotline.accounts.permissions import Role
from hotline.audit.services import audit_record


@transaction.atomic
def staff_create(
    *,
    username: str,
    password: str,
    email: str = "",
    role: str = Role.ANALYST,
    superuser: bool = False,
) -> User:
    """Create a staff account; raise ValidationError for a weak password, a taken name or an
    unknown role.

    `superuser` (the Django admin's every right) is for administrators only, and makes the
    account one. The account must still enrol a TOTP authenticator at its first login.
    """
    if superuser:
        role = Role.ADMINISTRATOR
    user = User(username=username, email=email, is_staff=True, is_superuser=superuser, role=role)
    validate_password(password, user)
    user.set_password(password)
    user.full_clean()
    user.save()
    audit_record(
        actor=None,
        action="staff.create",
        target_type="user",
        target_id=user.pk,
        details={"role": str(role)},
    )
    return user
