"""Reads for staff pages, with permission checks."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from hotline.accounts.models import User
from hotline.audit.services import audit_record
from hotline.intake.models import Report
from hotline.triage.selectors import queue_reports


def _require_staff(user: User) -> None:
    if not (user.is_authenticated and user.is_active and user.is_staff):
        raise PermissionDenied


def report_queue(user: User, filters: dict[str, Any]) -> QuerySet[Report]:
    """Return the triage queue for a staff member (hotline.triage.selectors.queue_reports)."""
    _require_staff(user)
    return queue_reports(filters)


def access_report(user: User, public_id: str) -> Report:
    """Return one report for a staff member and record the access in the audit log."""
    _require_staff(user)
    report = get_object_or_404(Report, public_id=public_id)
    audit_record(
        actor=user, action="report.view", target_type="report", target_id=str(report.public_id)
    )
    return report
