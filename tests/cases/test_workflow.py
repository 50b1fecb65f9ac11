"""The case workflow: every allowed move succeeds and is recorded, every other one is refused."""

from __future__ import annotations

import itertools

import pytest
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, connection, transaction

from hotline.accounts.models import User
from hotline.audit.models import AuditEvent
from hotline.audit.services import audit_verify
from hotline.cases.models import CaseEvent
from hotline.cases.selectors import report_history
from hotline.cases.services import StaleState, TransitionRefused, report_state_change
from hotline.cases.workflow import TRANSITIONS, public_status, transition_allowed
from hotline.intake.choices import CaseState, ReportStatus
from hotline.intake.models import Report
from hotline.intake.services import ReportInput, report_submit
from staff_login import make_staff

pytestmark = pytest.mark.django_db

ALL_PAIRS = list(itertools.product(CaseState, CaseState))
ALLOWED = [(a, b) for a, b in ALL_PAIRS if b in TRANSITIONS[a]]
REFUSED = [(a, b) for a, b in ALL_PAIRS if b not in TRANSITIONS[a]]


@pytest.fixture
def analyst() -> User:
    return make_staff("analyst").user


def _report(state: CaseState = CaseState.RECEIVED) -> Report:
    report = report_submit(
        data=ReportInput(reporter_role="myself", categories=["sextortion"]), evidence=[]
    ).report
    # Put the report in the starting state directly: the move under test is the next one.
    Report.objects.filter(pk=report.pk).update(status=state)
    return report


def test_the_workflow_names_every_state_and_the_expected_path() -> None:
    assert set(TRANSITIONS) == set(CaseState)
    path = ["received", "in_review", "assessed", "notice_sent", "closed"]
    assert all(transition_allowed(a, b) for a, b in itertools.pairwise(path))
    for state in CaseState:
        assert not transition_allowed(state, state)
    for exit_state in ["no_action", "out_of_scope", "duplicate"]:
        assert transition_allowed("received", exit_state)
        assert transition_allowed("in_review", exit_state)
    assert not transition_allowed("received", "nonsense")
    assert not transition_allowed("nonsense", "received")


@pytest.mark.parametrize(("from_state", "to_state"), ALLOWED, ids=lambda s: str(s))
def test_allowed_transition_changes_state_records_history_and_audits(
    analyst: User, from_state: CaseState, to_state: CaseState
) -> None:
    report = _report(from_state)
    event = report_state_change(
        actor=analyst,
        report_id=report.pk,
        expected_state=from_state,
        to_state=to_state,
        note="checked the link",
    )
    report.refresh_from_db()
    assert report.status == to_state
    assert (event.actor, event.from_state, event.to_state) == (analyst, from_state, to_state)
    assert report_history(report=report)[-1].note == "checked the link"
    audit = AuditEvent.objects.filter(action="report.state_change").get()
    assert audit.actor == analyst
    assert audit.target_id == str(report.public_id)
    assert audit.details == {"from": from_state.value, "to": to_state.value, "note": True}
    assert "checked the link" not in str(audit.details)
    assert audit_verify().ok


@pytest.mark.parametrize(("from_state", "to_state"), REFUSED, ids=lambda s: str(s))
def test_refused_transition_changes_nothing(
    analyst: User, from_state: CaseState, to_state: CaseState
) -> None:
    report = _report(from_state)
    with pytest.raises(TransitionRefused, match="cannot go from"):
        report_state_change(
            actor=analyst, report_id=report.pk, expected_state=from_state, to_state=to_state
        )
    report.refresh_from_db()
    assert report.status == from_state
    assert not CaseEvent.objects.exists()
    assert not AuditEvent.objects.filter(action="report.state_change").exists()


def test_unknown_target_state_is_refused(analyst: User) -> None:
    report = _report()
    with pytest.raises(TransitionRefused):
        report_state_change(
            actor=analyst, report_id=report.pk, expected_state="received", to_state="deleted"
        )


def test_a_stale_page_cannot_overwrite_another_analysts_change(analyst: User) -> None:
    other = make_staff("other").user
    report = _report()
    # Both loaded the page while the report was "received"; the other analyst saves first.
    report_state_change(
        actor=other, report_id=report.pk, expected_state="received", to_state="in_review"
    )
    with pytest.raises(StaleState, match="In assessment"):
        report_state_change(
            actor=analyst, report_id=report.pk, expected_state="received", to_state="duplicate"
        )
    report.refresh_from_db()
    assert report.status == "in_review"
    assert CaseEvent.objects.count() == 1


@pytest.mark.parametrize("role", ["liaison", "administrator"])
def test_a_role_without_change_status_is_refused_and_nothing_changes(role: str) -> None:
    actor = make_staff("other", role=role).user
    report = _report()
    with pytest.raises(PermissionDenied, match="change_status"):
        report_state_change(
            actor=actor, report_id=report.pk, expected_state="received", to_state="in_review"
        )
    report.refresh_from_db()
    assert report.status == "received"
    assert not CaseEvent.objects.exists()
    assert not AuditEvent.objects.filter(action="report.state_change").exists()


def test_a_disabled_account_may_not_change_a_state(analyst: User) -> None:
    User.objects.filter(pk=analyst.pk).update(is_active=False)
    analyst.refresh_from_db()
    report = _report()
    with pytest.raises(PermissionDenied):
        report_state_change(
            actor=analyst, report_id=report.pk, expected_state="received", to_state="in_review"
        )
    report.refresh_from_db()
    assert report.status == "received"


def test_database_refuses_a_state_outside_the_workflow() -> None:
    report = _report()
    with pytest.raises(IntegrityError), transaction.atomic():
        Report.objects.filter(pk=report.pk).update(status="action_taken")
    table = connection.ops.quote_name(Report._meta.db_table)
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET status = %s WHERE id = %s", ["bogus", report.pk])
    report.refresh_from_db()
    assert report.status == "received"


def test_database_refuses_a_history_row_that_goes_nowhere(analyst: User) -> None:
    report = _report()
    with pytest.raises(IntegrityError), transaction.atomic():
        CaseEvent.objects.create(
            report=report,
            at=report.created_at,
            actor=analyst,
            kind="state",
            from_state="received",
            to_state="received",
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        CaseEvent.objects.create(
            report=report,
            at=report.created_at,
            actor=analyst,
            kind="state",
            from_state="received",
            to_state="bogus",
        )


@pytest.mark.parametrize(
    ("state", "public"),
    [
        ("received", ReportStatus.RECEIVED),
        ("in_review", ReportStatus.IN_REVIEW),
        ("assessed", ReportStatus.IN_REVIEW),
        ("referred_police", ReportStatus.ACTION_TAKEN),
        ("duplicate", ReportStatus.CLOSED),
    ],
)
def test_partners_see_only_the_coarse_status(state: str, public: ReportStatus) -> None:
    assert public_status(state) == public
