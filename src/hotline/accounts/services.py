"""Create staff accounts."""

from __future__ import annotations

from django.contrib.auth.password_validation import validate_password
from django.db import transaction

from hotline.accounts.models import User
from hotline.audit.services import audit_record


@transaction.atomic
def staff_create(*, username: str, password: str, email: str = "", superuser: bool = False) -> User:
    """Create a staff account; raise ValidationError for a weak password or a taken name."""
    user = User(username=username, email=email, is_staff=True, is_superuser=superuser)
    validate_password(password, user)
    user.set_password(password)
    user.full_clean()
    user.save()
    audit_record(actor=None, action="staff.create", target_type="user", target_id=user.pk)
    return user
