"""The retention purge deletes a purged report's support case with everything it holds."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from victim_support import help_report, make_user

from hotline.directory.models import SupportService
from hotline.intake.models import Report
from hotline.retention.coverage import PURGED
from hotline.retention.services import retention_purge
from hotline.support import services
from hotline.support.models import (
    ClosureReason,
    Consent,
    FollowUp,
    Referral,
    SupportCase,
    SupportNote,
)

pytestmark = pytest.mark.django_db


def test_the_purge_removes_the_support_case_and_all_it_holds() -> None:
    caseworker = make_user("caseworker", "carla")
    service = SupportService.objects.create(name_en="S", kind="counselling", phone="1")
    report, other = help_report(), help_report()
    for r in (report, other):
        case = services.support_case_for_report(report_id=r.pk)
        assert case is not None
        services.consent_record(
            actor=caseworker,
            case=case,
            contact_by="phone",
            share_with_police=False,
            share_with_service=service,
        )
        services.referral_make(actor=caseworker, case=case, service=service)
        services.follow_up_add(
            actor=caseworker, case=case, due_on=timezone.localdate() + timedelta(days=1)
        )
        services.note_add(actor=caseworker, case=case, body="what she said")
    services.support_case_close(
        actor=caseworker,
        case=services.support_case_for_report(report_id=report.pk),  # type: ignore[arg-type]
        reason=ClosureReason.HELPED,
    )
    # Closed as not actionable 91 days ago: past the default keep time of such reports.
    Report.objects.filter(pk=report.pk).update(
        status="no_action", updated_at=timezone.now() - timedelta(days=91)
    )
    assert retention_purge().purged == [report.pk]
    assert not SupportCase.objects.filter(report=report).exists()
    for model in (Consent, Referral, FollowUp, SupportNote):
        assert not model.objects.filter(case__report=report).exists()
        assert model.objects.filter(case__report=other).count() == 1
    assert "support.supportcase" in PURGED
    assert SupportService.objects.filter(pk=service.pk).exists()  # the directory stays


def test_a_report_whose_support_case_is_still_open_is_kept_until_the_case_closes() -> None:
    caseworker = make_user("caseworker", "dara")
    report = help_report()
    case = services.support_case_for_report(report_id=report.pk)
    assert case is not None
    # The analysts closed the report long ago; the caseworker is still helping the victim.
    Report.objects.filter(pk=report.pk).update(
        status="no_action", updated_at=timezone.now() - timedelta(days=91)
    )

    assert retention_purge().purged == []
    assert SupportCase.objects.filter(report=report).exists()

    services.support_case_close(actor=caseworker, case=case, reason=ClosureReason.HELPED)
    assert retention_purge().purged == [report.pk]
