"""Reads for staff pages, with permission checks."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from hotline.accounts.models import User
from hotline.audit.services import audit_record
from hotline.intake.models import Report


def _require_staff(user: User) -> None:
    if not (user.is_authenticated and user.is_active and user.is_staff):
        raise PermissionDenied


def report_queue(user: User) -> QuerySet[Report]:
    """Return reports worst first (priority, then newest) for a staff member."""
    _require_staff(user)
    return Report.objects.order_by("-priority", "-created_at")


def access_report(user: User, public_id: str) -> Report:
    """Return one report for a staff member and record the access in the audit log."""
    _require_staff(user)
    report = get_object_or_404(Report, public_id=public_id)
    audit_record(
        actor=user, action="report.view", target_type="report", target_id=str(report.public_id)
    )
    return report
