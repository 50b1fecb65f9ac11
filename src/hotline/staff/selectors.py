"""Reads for staff pages, with permission checks (hotline.accounts.permissions)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from hotline.accounts.models import User
from hotline.accounts.permissions import Action, can, require
from hotline.audit.services import audit_record
from hotline.intake.models import EvidenceFile, Report
from hotline.intake.selectors import report_details
from hotline.search.selectors import reports_search
from hotline.triage.selectors import queue_reports


def report_queue(user: User, filters: dict[str, Any]) -> QuerySet[Report]:
    """Return the triage queue (hotline.triage.selectors.queue_reports) for a staff member.

    With a search (`q`), only the reports matching it, best match first: that needs the right
    to read narratives, since it tells what reports say (hotline.search.selectors).
    """
    require(user, Action.VIEW_QUEUE)
    reports = queue_reports(filters)
    if filters.get("q"):
        reports = reports_search(user, reports, filters["q"])
    return reports


def access_report(user: User, public_id: str) -> Report:
    """Return one report for a staff member and record the access in the audit log."""
    require(user, Action.VIEW_NARRATIVE)
    report = get_object_or_404(Report, public_id=public_id)
    audit_record(
        actor=user, action="report.view", target_type="report", target_id=str(report.public_id)
    )
    return report


def report_details_for(user: User, report: Report) -> dict[str, object]:
    """Decrypt a report's details for `user`, without the reporter's contact details unless
    their role may see them."""
    require(user, Action.VIEW_NARRATIVE)
    details = report_details(report)
    if not can(user, Action.VIEW_CONTACT_DETAILS):
        details.pop("contact", None)
    return details


def report_files_for(user: User, report: Report) -> QuerySet[EvidenceFile]:
    """Return the report's evidence files, or none if `user`'s role may not see evidence."""
    if not can(user, Action.VIEW_EVIDENCE):
        return EvidenceFile.objects.none()
    return report.files.all()
