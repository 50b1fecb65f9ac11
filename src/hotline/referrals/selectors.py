"""Reads for the referral page, with permission checks."""

from __future__ import annotations

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from hotline.accounts.models import User
from hotline.accounts.permissions import Action, require
from hotline.audit.services import audit_record
from hotline.intake.models import Report
from hotline.referrals.models import ReferralPackage


def access_report_for_referral(user: User, public_id: str) -> Report:
    """Return the report a liaison opens the referral page of; the access is audited."""
    require(user, Action.REFERRAL_PACKAGE)
    report = get_object_or_404(Report, public_id=public_id)
    audit_record(actor=user, action="referral.page_view", target_type="report", target_id=public_id)
    return report


def report_packages(user: User, report: Report) -> QuerySet[ReferralPackage]:
    """The packages produced for `report`, newest first."""
    require(user, Action.REFERRAL_PACKAGE)
    return ReferralPackage.objects.filter(report=report).select_related("created_by")
