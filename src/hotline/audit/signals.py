"""Audit changes made outside the services: the Django admin, and staff permissions.

Connected in AuditConfig.ready. The admin writes a LogEntry for every add, change and delete
(staff accounts, emergency contacts, ...): each becomes an audit event naming the fields
changed, never their values. A change to an account's role or rights is recorded however it
is made (admin, shell, a future page), with the old and new role but no other account data.
"""

from __future__ import annotations

from typing import Any

from django.contrib.admin.models import ADDITION, CHANGE, DELETION, LogEntry

from hotline.accounts.models import User
from hotline.audit.services import audit_record

_ADMIN_VERBS = {ADDITION: "add", CHANGE: "change", DELETION: "delete"}
# What decides what an account may do (hotline.accounts.permissions.can).
RIGHTS = ("role", "is_active", "is_staff", "is_superuser")
_BEFORE = "_hotline_rights_before"


def on_admin_log(sender: Any, instance: LogEntry, created: bool, **kwargs: Any) -> None:
    if not created:
        return
    content_type = instance.content_type
    user = User.objects.filter(pk=instance.user_id).first()
    audit_record(
        actor=user,
        action=f"admin.{_ADMIN_VERBS.get(instance.action_flag, 'other')}",
        target_type=f"{content_type.app_label}.{content_type.model}" if content_type else "",
        target_id=str(instance.object_id or "")[:80],
        # The admin's change message lists field names only ("Changed role and email").
        details={"change": instance.get_change_message()[:300]},
    )


def on_user_pre_save(sender: Any, instance: User, **kwargs: Any) -> None:
    """Remember the account's rights as stored, to compare after the save."""
    update_fields = kwargs.get("update_fields")
    if instance.pk is None or kwargs.get("raw"):
        return
    if update_fields is not None and not set(update_fields) & set(RIGHTS):
        return  # a login's last_login, a password change: no rights involved
    stored = User.objects.filter(pk=instance.pk).values(*RIGHTS).first()
    setattr(instance, _BEFORE, stored)


def on_user_post_save(sender: Any, instance: User, created: bool, **kwargs: Any) -> None:
    """Record a change of role or rights (`staff.create` records new accounts)."""
    before = instance.__dict__.pop(_BEFORE, None)
    if created or before is None:
        return
    changed = {
        field: [before[field], getattr(instance, field)]
        for field in RIGHTS
        if before[field] != getattr(instance, field)
    }
    if changed:
        audit_record(
            actor=_acting_user(),
            action="staff.permission_change",
            target_type="user",
            target_id=instance.pk,
            details=changed,
        )


def _acting_user() -> User | None:
    """Return who is making the change: the logged-in user of the current request, if any."""
    from allauth.core import context

    request = context.request
    user = getattr(request, "user", None) if request is not None else None
    return user if isinstance(user, User) else None
