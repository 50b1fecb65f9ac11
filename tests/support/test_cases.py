"""Support cases: opened once when the reporter asked for help, moved, consented, referred,
followed up, noted and closed, each change audited without content."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from victim_support import NARRATIVE, help_report, make_user

from hotline.audit.models import AuditEvent
from hotline.directory.models import SupportService
from hotline.intake.pipeline import report_pipeline_run
from hotline.support import services
from hotline.support.models import FollowUp, SupportCase, SupportNote
from hotline.support.services import SupportError

pytestmark = pytest.mark.django_db


def test_a_report_asking_for_help_gets_one_case_however_often_the_pipeline_runs() -> None:
    report = help_report()
    assert report_pipeline_run(report_id=report.pk)
    assert report_pipeline_run(report_id=report.pk)
    (case,) = SupportCase.objects.filter(report=report)
    assert case.state == "open"
    assert case.opened_by is None
    assert AuditEvent.objects.filter(action="support.case_open").count() == 1


@pytest.mark.parametrize("asked", [(), ("report_only",)])
def test_a_report_not_asking_for_help_gets_no_case(asked: tuple[str, ...]) -> None:
    report = help_report(help_wanted=asked)
    report_pipeline_run(report_id=report.pk)
    assert not SupportCase.objects.filter(report=report).exists()


def test_legal_help_also_opens_a_case() -> None:
    report = help_report(help_wanted=("legal",), contact="", consent=False)
    report_pipeline_run(report_id=report.pk)
    assert SupportCase.objects.filter(report=report).exists()


def test_a_caseworker_opens_a_case_by_hand_once(caseworker: object) -> None:
    report = help_report(help_wanted=())
    first = services.support_case_open(actor=caseworker, report=report)  # type: ignore[arg-type]
    again = services.support_case_open(actor=caseworker, report=report)  # type: ignore[arg-type]
    assert first.pk == again.pk
    assert first.opened_by == caseworker


def test_the_whole_life_of_a_case(caseworker: object, service: SupportService) -> None:
    cw = caseworker
    case = services.support_case_for_report(report_id=help_report().pk)
    assert case is not None
    services.support_case_assign(actor=cw, case=case, assignee=cw)  # type: ignore[arg-type]
    services.support_case_move(actor=cw, case=case, to_state="contacted", expected="open")  # type: ignore[arg-type]
    services.consent_record(
        actor=cw,  # type: ignore[arg-type]
        case=case,
        contact_by="phone",
        share_with_police=False,
        share_with_service=service,
    )
    referral = services.referral_make(actor=cw, case=case, service=service)  # type: ignore[arg-type]
    services.referral_outcome_set(actor=cw, case=case, referral_id=referral.pk, outcome="accepted")  # type: ignore[arg-type]
    services.follow_up_add(actor=cw, case=case, due_on=timezone.localdate() + timedelta(days=7))  # type: ignore[arg-type]
    services.note_add(actor=cw, case=case, body="She is safe at her aunt's")  # type: ignore[arg-type]
    services.support_case_close(actor=cw, case=case, reason="referred")  # type: ignore[arg-type]
    case.refresh_from_db()
    assert (case.state, case.closure_reason) == ("closed", "referred")
    assert case.closed_at is not None
    (follow_up,) = FollowUp.objects.filter(case=case)
    assert follow_up.done_at is not None
    assert follow_up.reminder_state == "cancelled"
    actions = list(
        AuditEvent.objects.filter(action__startswith="support.").values_list("action", flat=True)
    )
    for expected in (
        "support.case_assign",
        "support.case_state",
        "support.consent",
        "support.referral",
        "support.referral_outcome",
        "support.follow_up_add",
        "support.note_add",
        "support.case_close",
    ):
        assert expected in actions
    # The audit holds ids and codes, never the words of the report or of the note.
    for event in AuditEvent.objects.filter(action__startswith="support."):
        text = str(event.details)
        assert "aunt" not in text
        assert "Quillfeather" not in text
    # Closed: no follow-up, referral or consent until reopened (a closing note is fine).
    with pytest.raises(SupportError, match="closed"):
        services.follow_up_add(actor=cw, case=case, due_on=timezone.localdate())  # type: ignore[arg-type]
    with pytest.raises(SupportError, match="closed"):
        services.referral_make(actor=cw, case=case, service=service)  # type: ignore[arg-type]
    services.note_add(actor=cw, case=case, body="closing word")  # type: ignore[arg-type]
    services.support_case_move(actor=cw, case=case, to_state="open", expected="closed")  # type: ignore[arg-type]
    case.refresh_from_db()
    assert (case.state, case.closure_reason, case.closed_at) == ("open", "", None)


def test_consent_changes_keep_their_history_with_who_and_when(
    caseworker: object, service: SupportService
) -> None:
    case = services.support_case_for_report(report_id=help_report().pk)
    assert case is not None
    services.consent_record(
        actor=caseworker,
        case=case,
        contact_by="email",
        share_with_police=True,
        share_with_service=service,  # type: ignore[arg-type]
    )
    services.consent_record(
        actor=caseworker,
        case=case,
        contact_by="none",
        share_with_police=False,
        share_with_service=None,  # type: ignore[arg-type]
    )
    first, second = case.consents.all()
    assert (first.contact_by, first.share_with_police, first.share_with_service) == (
        "email",
        True,
        service,
    )
    assert (second.contact_by, second.share_with_police, second.share_with_service) == (
        "none",
        False,
        None,
    )
    assert second.recorded_by == caseworker
    assert second.recorded_at >= first.recorded_at
    assert services.consent_in_force(case) == second
    assert AuditEvent.objects.filter(action="support.consent").count() == 2


def test_no_referral_without_consent_for_that_service(
    caseworker: object, service: SupportService
) -> None:
    other = SupportService.objects.create(name_en="Other", kind="legal_aid", phone="1")
    case = services.support_case_for_report(report_id=help_report().pk)
    assert case is not None
    with pytest.raises(SupportError, match="consent"):
        services.referral_make(actor=caseworker, case=case, service=service)  # type: ignore[arg-type]
    services.consent_record(
        actor=caseworker,
        case=case,
        contact_by="phone",
        share_with_police=False,
        share_with_service=other,  # type: ignore[arg-type]
    )
    with pytest.raises(SupportError, match="consent"):
        services.referral_make(actor=caseworker, case=case, service=service)  # type: ignore[arg-type]
    assert not case.referrals.exists()


def test_another_cases_referral_or_follow_up_cannot_be_touched(
    caseworker: object, service: SupportService
) -> None:
    mine = services.support_case_for_report(report_id=help_report().pk)
    theirs = services.support_case_for_report(report_id=help_report().pk)
    assert mine is not None
    assert theirs is not None
    services.consent_record(
        actor=caseworker,
        case=theirs,
        contact_by="phone",
        share_with_police=False,
        share_with_service=service,  # type: ignore[arg-type]
    )
    referral = services.referral_make(actor=caseworker, case=theirs, service=service)  # type: ignore[arg-type]
    follow_up = services.follow_up_add(actor=caseworker, case=theirs, due_on=timezone.localdate())  # type: ignore[arg-type]
    with pytest.raises(SupportError):
        services.referral_outcome_set(
            actor=caseworker, case=mine, referral_id=referral.pk, outcome="declined"
        )  # type: ignore[arg-type]
    with pytest.raises(SupportError):
        services.follow_up_done(actor=caseworker, case=mine, follow_up_id=str(follow_up.public_id))  # type: ignore[arg-type]
    referral.refresh_from_db()
    follow_up.refresh_from_db()
    assert referral.outcome == "pending"
    assert follow_up.done_at is None


@pytest.mark.parametrize("days", [-1, -400, 366, 10_000])
def test_follow_up_dates_in_the_past_or_far_ahead_are_refused(
    caseworker: object, days: int
) -> None:
    case = services.support_case_for_report(report_id=help_report().pk)
    assert case is not None
    with pytest.raises(SupportError):
        services.follow_up_add(
            actor=caseworker, case=case, due_on=timezone.localdate() + timedelta(days=days)
        )  # type: ignore[arg-type]
    assert not FollowUp.objects.exists()


def test_only_a_caseworker_may_hold_a_case(caseworker: object) -> None:
    case = services.support_case_for_report(report_id=help_report().pk)
    assert case is not None
    analyst = make_user("analyst")
    disabled = make_user("caseworker", "gone")
    disabled.is_active = False
    disabled.save()
    for person in (analyst, disabled):
        with pytest.raises(SupportError):
            services.support_case_assign(actor=caseworker, case=case, assignee=person)  # type: ignore[arg-type]
    case.refresh_from_db()
    assert case.assignee is None


def test_a_stale_page_cannot_move_a_case(caseworker: object) -> None:
    case = services.support_case_for_report(report_id=help_report().pk)
    assert case is not None
    services.support_case_move(actor=caseworker, case=case, to_state="contacted", expected="open")  # type: ignore[arg-type]
    with pytest.raises(SupportError, match="meanwhile"):
        services.support_case_move(
            actor=caseworker, case=case, to_state="referred", expected="open"
        )  # type: ignore[arg-type]
    with pytest.raises(SupportError):
        services.support_case_move(
            actor=caseworker, case=case, to_state="closed", expected="contacted"
        )  # type: ignore[arg-type]
    with pytest.raises(SupportError):
        services.support_case_close(actor=caseworker, case=case, reason="because")  # type: ignore[arg-type]


@pytest.mark.parametrize("body", ["", "   \n\t ", "\x00\x01", "x" * (services.MAX_NOTE_CHARS + 1)])
def test_empty_control_only_or_oversize_notes_are_refused(caseworker: object, body: str) -> None:
    case = services.support_case_for_report(report_id=help_report().pk)
    assert case is not None
    with pytest.raises(SupportError):
        services.note_add(actor=caseworker, case=case, body=body)  # type: ignore[arg-type]
    assert not SupportNote.objects.exists()


def test_notes_are_stored_encrypted(caseworker: object) -> None:
    case = services.support_case_for_report(report_id=help_report().pk)
    assert case is not None
    note = services.note_add(actor=caseworker, case=case, body="Pomegranatewhistle ខ្លាច")  # type: ignore[arg-type]
    raw = bytes(SupportNote.objects.get(pk=note.pk).body_ciphertext)
    assert b"Pomegranatewhistle" not in raw
    assert "ខ្លាច".encode() not in raw
    assert NARRATIVE  # the report's words stay in the report
