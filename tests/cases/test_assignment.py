"""Assign, claim and release a report: one assignee at a time, every change recorded."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied

from hotline.accounts.models import User
from hotline.audit.models import AuditEvent
from hotline.cases.models import Assignment, CaseEvent
from hotline.cases.selectors import report_history
from hotline.cases.services import (
    AlreadyAssigned,
    CaseError,
    report_assign,
    report_claim,
    report_release,
)
from hotline.intake.models import Report
from hotline.intake.services import ReportInput, report_submit
from staff_login import make_staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def ana() -> User:
    return make_staff("ana").user


@pytest.fixture
def ben() -> User:
    return make_staff("ben").user


@pytest.fixture
def senior() -> User:
    return make_staff("senior", role="senior_analyst").user


@pytest.fixture
def report() -> Report:
    return report_submit(
        data=ReportInput(reporter_role="myself", categories=["sextortion"]), evidence=[]
    ).report


def test_claim_assigns_to_the_actor_and_is_audited(ana: User, report: Report) -> None:
    report_claim(actor=ana, report_id=report.pk)
    assert Assignment.objects.get(report=report).assignee == ana
    event = AuditEvent.objects.get(action="report.assign")
    assert (event.actor, event.target_id) == (ana, str(report.public_id))
    assert event.details == {"assignee": ana.pk, "previous": None}


def test_claiming_a_report_someone_has_is_refused(ana: User, ben: User, report: Report) -> None:
    report_claim(actor=ana, report_id=report.pk)
    with pytest.raises(AlreadyAssigned, match="ana"):
        report_claim(actor=ben, report_id=report.pk)
    assert Assignment.objects.get(report=report).assignee == ana
    assert CaseEvent.objects.count() == 1


def test_release_then_claim_by_another_and_history(ana: User, ben: User, report: Report) -> None:
    report_claim(actor=ana, report_id=report.pk)
    report_release(actor=ana, report_id=report.pk)
    assert not Assignment.objects.filter(report=report).exists()
    report_claim(actor=ben, report_id=report.pk)
    texts = [row.text for row in report_history(report=report)]
    assert texts == ["assigned to ana", "released (was assigned to ana)", "assigned to ben"]
    actions = list(
        AuditEvent.objects.filter(action__startswith="report.").values_list("action", flat=True)
    )
    assert actions == ["report.assign", "report.release", "report.assign"]


def test_releasing_an_unassigned_report_is_refused(ana: User, report: Report) -> None:
    with pytest.raises(CaseError, match="not assigned"):
        report_release(actor=ana, report_id=report.pk)
    assert not AuditEvent.objects.filter(action__startswith="report.").exists()


def test_assign_to_another_replaces_the_assignee(
    ana: User, ben: User, senior: User, report: Report
) -> None:
    report_claim(actor=ana, report_id=report.pk)
    report_assign(actor=senior, report_id=report.pk, assignee=ben)
    assert Assignment.objects.get(report=report).assignee == ben
    assert AuditEvent.objects.filter(action="report.assign").last().details == {  # type: ignore[union-attr]
        "assignee": ben.pk,
        "previous": ana.pk,
    }


def test_reports_go_only_to_active_staff(senior: User, report: Report) -> None:
    visitor = User.objects.create_user(username="visitor", password="x" * 20)
    with pytest.raises(CaseError, match="active staff"):
        report_assign(actor=senior, report_id=report.pk, assignee=visitor)
    assert not Assignment.objects.exists()


def test_an_analyst_may_not_assign_a_report_to_someone_else(
    ana: User, ben: User, report: Report
) -> None:
    with pytest.raises(PermissionDenied, match="assign"):
        report_assign(actor=ana, report_id=report.pk, assignee=ben)
    assert not Assignment.objects.exists()
    assert not CaseEvent.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="report.").exists()


def test_releasing_someone_elses_report_needs_the_assign_right(
    ana: User, ben: User, senior: User, report: Report
) -> None:
    report_claim(actor=ana, report_id=report.pk)
    with pytest.raises(PermissionDenied, match="assign"):
        report_release(actor=ben, report_id=report.pk)
    assert Assignment.objects.get(report=report).assignee == ana
    report_release(actor=senior, report_id=report.pk)
    assert not Assignment.objects.exists()


@pytest.mark.parametrize("role", ["liaison", "administrator"])
def test_a_role_without_claim_may_not_claim_nor_release(role: str, report: Report) -> None:
    other = make_staff("other", role=role).user
    with pytest.raises(PermissionDenied, match="claim"):
        report_claim(actor=other, report_id=report.pk)
    assert not Assignment.objects.exists()
    with pytest.raises(PermissionDenied, match="claim"):
        report_release(actor=other, report_id=report.pk)
    assert not CaseEvent.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="report.").exists()
