"""Assessing a report moves its case on, through hotline.cases, in the same transaction."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied

from assessment_support import VALUES
from hotline.accounts.permissions import Action, Role, can
from hotline.assessment.models import Assessment
from hotline.assessment.services import assess_report
from hotline.audit.models import AuditEvent
from hotline.cases.models import CaseEvent
from hotline.cases.services import report_state_change
from hotline.intake.choices import CaseState
from hotline.intake.models import Report
from hotline.intake.services import ReportInput, report_submit
from staff_login import make_staff

pytestmark = pytest.mark.django_db
NOT_ACTIONABLE = {**VALUES, "report_type": "not_actionable", "legal_status": "not_illegal"}


@pytest.fixture
def report() -> Report:
    return report_submit(
        data=ReportInput(reporter_role="myself", categories=["sextortion"]), evidence=[]
    ).report


def _states(report: Report) -> list[tuple[str, str]]:
    return [
        (e.from_state, e.to_state)
        for e in CaseEvent.objects.filter(report=report, kind="state").order_by("at", "id")
    ]


def test_assessing_a_received_report_moves_it_to_assessed_in_two_recorded_steps(
    report: Report,
) -> None:
    analyst = make_staff("analyst").user
    assess_report(actor=analyst, report=report, values=VALUES, expected_version=0)
    report.refresh_from_db()
    assert report.status == CaseState.ASSESSED
    assert _states(report) == [("received", "in_review"), ("in_review", "assessed")]
    assert all(e.actor == analyst for e in CaseEvent.objects.filter(report=report))
    changes = AuditEvent.objects.filter(
        action="report.state_change", target_id=str(report.public_id)
    )
    assert [e.details["to"] for e in changes.order_by("pk")] == ["in_review", "assessed"]


def test_assessing_a_report_in_review_moves_it_to_assessed(report: Report) -> None:
    analyst = make_staff("analyst").user
    report_state_change(
        actor=analyst, report_id=report.pk, expected_state="received", to_state="in_review"
    )
    assess_report(actor=analyst, report=report, values=VALUES, expected_version=0)
    report.refresh_from_db()
    assert report.status == CaseState.ASSESSED
    assert _states(report)[-1] == ("in_review", "assessed")


def test_a_not_actionable_assessment_closes_the_case_as_not_actionable(report: Report) -> None:
    analyst = make_staff("analyst").user
    assess_report(actor=analyst, report=report, values=NOT_ACTIONABLE, expected_version=0)
    report.refresh_from_db()
    assert report.status == CaseState.NO_ACTION
    assert _states(report) == [("received", "no_action")]


def test_a_reassessment_as_not_actionable_closes_an_assessed_case(report: Report) -> None:
    analyst = make_staff("analyst").user
    assess_report(actor=analyst, report=report, values=VALUES, expected_version=0)
    assess_report(actor=analyst, report=report, values=NOT_ACTIONABLE, expected_version=1)
    report.refresh_from_db()
    assert report.status == CaseState.NO_ACTION
    assert _states(report)[-1] == ("assessed", "no_action")


def test_reassessing_an_assessed_case_adds_no_state_event(report: Report) -> None:
    analyst = make_staff("analyst").user
    assess_report(actor=analyst, report=report, values=VALUES, expected_version=0)
    before = _states(report)
    assess_report(
        actor=analyst, report=report, values={**VALUES, "severity": "b"}, expected_version=1
    )
    assert _states(report) == before


def test_a_case_already_acted_on_stays_where_it_is(report: Report) -> None:
    analyst = make_staff("analyst").user
    assess_report(actor=analyst, report=report, values=VALUES, expected_version=0)
    report_state_change(
        actor=analyst, report_id=report.pk, expected_state="assessed", to_state="notice_sent"
    )
    assess_report(actor=analyst, report=report, values=NOT_ACTIONABLE, expected_version=1)
    report.refresh_from_db()
    assert report.status == CaseState.NOTICE_SENT


def test_a_closed_by_scheme_value_is_data_out_of_scope(
    report: Report, tmp_path: object, settings: object
) -> None:
    from pathlib import Path

    from hotline.assessment.scheme import DATA, scheme

    text = (
        (DATA / "scheme.toml")
        .read_text(encoding="utf-8")
        .replace(
            '{ code = "not_illegal", en = "Not illegal", km = "មិនខុសច្បាប់" }',
            '{ code = "not_illegal", en = "Not illegal", km = "មិនខុសច្បាប់", '
            'closes = "out_of_scope" }',
        )
    )
    assert 'closes = "out_of_scope"' in text
    path = Path(str(tmp_path)) / "scheme.toml"
    path.write_text(text, encoding="utf-8")
    settings.HOTLINE_ASSESSMENT_SCHEME_FILE = str(path)  # type: ignore[attr-defined]
    scheme.cache_clear()
    try:
        analyst = make_staff("analyst").user
        values = {**VALUES, "legal_status": "not_illegal"}
        assess_report(actor=analyst, report=report, values=values, expected_version=0)
        report.refresh_from_db()
        assert report.status == CaseState.OUT_OF_SCOPE
    finally:
        scheme.cache_clear()


def test_a_failing_state_change_saves_no_assessment_either(
    report: Report, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One transaction: a role that may classify but not change the state saves nothing."""
    from hotline.accounts import permissions

    analyst = make_staff("analyst").user
    assert can(analyst, Action.CLASSIFY)
    real = permissions.require

    def no_status(user: object, action: Action) -> None:
        if action == Action.CHANGE_STATUS:
            raise PermissionDenied(action)
        real(user, action)  # type: ignore[arg-type]

    monkeypatch.setattr("hotline.cases.services.require", no_status)
    with pytest.raises(PermissionDenied):
        assess_report(actor=analyst, report=report, values=VALUES, expected_version=0)
    report.refresh_from_db()
    assert report.status == CaseState.RECEIVED
    assert not Assessment.objects.filter(report=report).exists()
    assert not AuditEvent.objects.filter(action="report.assess").exists()


def test_every_role_that_may_classify_may_change_the_state() -> None:
    """The automatic move cannot refuse an analyst whom the matrix lets classify."""
    for role in Role:
        staff = make_staff(f"r-{role.value}", role=role).user
        if can(staff, Action.CLASSIFY):
            assert can(staff, Action.CHANGE_STATUS), role


def test_a_consenting_reporter_gets_one_news_mail_for_the_two_steps() -> None:
    from hotline.cases.models import ReporterNotice

    report = report_submit(
        data=ReportInput(
            reporter_role="myself",
            categories=["sextortion"],
            contact="reporter@example.org",
            consent_contact=True,
        ),
        evidence=[],
    ).report
    assess_report(
        actor=make_staff("analyst").user, report=report, values=VALUES, expected_version=0
    )
    report.refresh_from_db()
    assert report.status == CaseState.ASSESSED
    assert ReporterNotice.objects.filter(report=report).count() == 1
