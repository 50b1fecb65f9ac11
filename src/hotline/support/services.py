"""Support cases: the only writers. Each one checks the permission matrix, runs in one
transaction with its audit event, and writes no words of the report or the notes to the audit.

Reminders are once-only (see FollowUp): `reminders_raise` claims due follow-ups with a
conditional UPDATE and queues their mail in the same transaction; `reminder_mail_send` sends
only while a reminder is `pending` and records `sent` after the SMTP server accepted it.
"""

from __future__ import annotations

import logging
from datetime import date, timedelta

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.utils import timezone

from hotline.accounts.models import User
from hotline.accounts.permissions import Action, Role, can, require
from hotline.audit.services import audit_record
from hotline.directory.models import SupportService
from hotline.intake.choices import HelpWanted
from hotline.intake.models import Report
from hotline.sitesettings.selectors import site_settings
from hotline.support.models import (
    CaseState,
    ClosureReason,
    Consent,
    ContactBy,
    FollowUp,
    Referral,
    ReferralOutcome,
    SupportCase,
    SupportNote,
)
from hotline.tasks.queue import enqueue
from hotline.vault import services as vault

logger = logging.getLogger(__name__)

MAX_NOTE_CHARS = 10_000
# A follow-up further away than this is a typo, not a plan.
FOLLOW_UP_MAX_DAYS = 365
REMINDER_TASK = "hotline.support.tasks.reminder_mail_send"
# What the reporter asked for that a caseworker follows up ("report_only" asks for nothing).
HELP_CODES: frozenset[str] = frozenset({HelpWanted.COUNSELLOR, HelpWanted.LEGAL})

# Moves a caseworker may make by hand; closing has its own service (it needs a reason).
TRANSITIONS: dict[str, frozenset[str]] = {
    CaseState.OPEN: frozenset({CaseState.CONTACTED, CaseState.REFERRED}),
    CaseState.CONTACTED: frozenset({CaseState.REFERRED, CaseState.OPEN}),
    CaseState.REFERRED: frozenset({CaseState.CONTACTED}),
    CaseState.CLOSED: frozenset({CaseState.OPEN}),  # reopen
}


class SupportError(Exception):
    """A support action refused for a reason the caseworker can fix (shown to them)."""


def asked_for_help(report: Report) -> bool:
    """Return whether the reporter asked for a counsellor or legal help."""
    return bool(HELP_CODES & set(report.help_wanted or []))


def _audit(actor: User | None, action: str, case: SupportCase, **details: object) -> None:
    audit_record(
        actor=actor,
        action=f"support.{action}",
        target_type="support_case",
        target_id=str(case.public_id),
        details={"report": str(case.report.public_id), **details},
    )


def _locked(case: SupportCase) -> SupportCase:
    # Re-read under lock: a stale page must not overwrite a colleague's change.
    return SupportCase.objects.select_for_update().select_related("report").get(pk=case.pk)


def _open(case: SupportCase) -> None:
    if case.state == CaseState.CLOSED:
        raise SupportError("This support case is closed. Reopen it first.")


def support_case_for_report(*, report_id: int) -> SupportCase | None:
    """Open the support case of a report whose reporter asked for help (pipeline step).

    Idempotent: a report has at most one case (unique), a rerun returns the same one, and a
    report without a request for help gets none.
    """
    with transaction.atomic():
        report = Report.objects.select_for_update().filter(pk=report_id).first()
        if report is None or not asked_for_help(report):
            return None
        case, created = SupportCase.objects.get_or_create(
            report=report, defaults={"opened_at": timezone.now()}
        )
        if created:
            _audit(None, "case_open", case, automatic=True)
    return case


def support_case_open(*, actor: User, report: Report) -> SupportCase:
    """Open a support case by hand (a caller asked for help); return the existing one if any."""
    require(actor, Action.MANAGE_SUPPORT_CASES)
    with transaction.atomic():
        report = Report.objects.select_for_update().get(pk=report.pk)
        case, created = SupportCase.objects.get_or_create(
            report=report, defaults={"opened_at": timezone.now(), "opened_by": actor}
        )
        if created:
            _audit(actor, "case_open", case, automatic=False)
    return case


def support_case_assign(*, actor: User, case: SupportCase, assignee: User | None) -> None:
    """Give the case to an active caseworker (oneself or another), or to nobody."""
    require(actor, Action.MANAGE_SUPPORT_CASES)
    if assignee is not None and not (
        can(assignee, Action.MANAGE_SUPPORT_CASES) and assignee.role == Role.CASEWORKER
    ):
        raise SupportError("Only an active caseworker can hold a support case.")
    with transaction.atomic():
        case = _locked(case)
        previous = case.assignee_id
        new = assignee.pk if assignee is not None else None
        if previous == new:
            return
        SupportCase.objects.filter(pk=case.pk).update(assignee_id=new)
        _audit(actor, "case_assign", case, **{"from": previous, "to": new})


def support_case_move(*, actor: User, case: SupportCase, to_state: str, expected: str) -> None:
    """Move a case to `to_state` (not closing: see support_case_close) if it is still `expected`."""
    require(actor, Action.MANAGE_SUPPORT_CASES)
    with transaction.atomic():
        case = _locked(case)
        if case.state != expected:
            raise SupportError("Someone changed this case meanwhile; look at it again.")
        if to_state not in TRANSITIONS.get(case.state, frozenset()):
            raise SupportError("That move is not possible from here.")
        SupportCase.objects.filter(pk=case.pk).update(
            state=to_state, closed_at=None, closure_reason=""
        )
        _audit(actor, "case_state", case, **{"from": case.state, "to": to_state})


def support_case_close(*, actor: User, case: SupportCase, reason: str) -> None:
    """Close a case with one of the closure reasons; its open follow-ups are cancelled."""
    require(actor, Action.MANAGE_SUPPORT_CASES)
    if reason not in ClosureReason.values:
        raise SupportError("Choose why the case is closed.")
    with transaction.atomic():
        case = _locked(case)
        _open(case)
        now = timezone.now()
        SupportCase.objects.filter(pk=case.pk).update(
            state=CaseState.CLOSED, closed_at=now, closure_reason=reason
        )
        FollowUp.objects.filter(
            case=case, done_at__isnull=True, reminder_state=FollowUp.Reminder.WAITING
        ).update(reminder_state=FollowUp.Reminder.CANCELLED)
        FollowUp.objects.filter(case=case, done_at__isnull=True).update(done_at=now)
        _audit(actor, "case_close", case, **{"from": case.state, "reason": reason})


def consent_record(
    *,
    actor: User,
    case: SupportCase,
    contact_by: str,
    share_with_police: bool,
    share_with_service: SupportService | None,
) -> Consent:
    """Record what the reporter agreed to now (a new row; the previous ones stay as history)."""
    require(actor, Action.MANAGE_SUPPORT_CASES)
    if contact_by not in ContactBy.values:
        raise SupportError("Choose how the reporter agreed to be contacted.")
    if share_with_service is not None and not share_with_service.active:
        raise SupportError("That service is no longer in the directory.")
    with transaction.atomic():
        case = _locked(case)
        _open(case)
        consent = Consent.objects.create(
            case=case,
            recorded_at=timezone.now(),
            recorded_by=actor,
            contact_by=contact_by,
            share_with_police=share_with_police,
            share_with_service=share_with_service,
        )
        _audit(
            actor,
            "consent",
            case,
            contact_by=contact_by,
            police=share_with_police,
            service=share_with_service.pk if share_with_service is not None else None,
        )
    return consent


def consent_in_force(case: SupportCase) -> Consent | None:
    """Return the newest consent recorded for a case (None: nothing recorded yet)."""
    return case.consents.order_by("-recorded_at", "-id").first()


def referral_make(*, actor: User, case: SupportCase, service: SupportService) -> Referral:
    """Refer the case to a directory service the reporter agreed we may tell about them."""
    require(actor, Action.MANAGE_SUPPORT_CASES)
    if not service.active:
        raise SupportError("That service is no longer in the directory.")
    with transaction.atomic():
        case = _locked(case)
        _open(case)
        consent = consent_in_force(case)
        if consent is None or consent.share_with_service_id != service.pk:
            raise SupportError(
                "Record the reporter's consent to share with this service before referring."
            )
        referral = Referral.objects.create(
            case=case, service=service, referred_at=timezone.now(), referred_by=actor
        )
        if case.state != CaseState.REFERRED:
            SupportCase.objects.filter(pk=case.pk).update(state=CaseState.REFERRED)
        _audit(actor, "referral", case, service=service.pk, referral=referral.pk)
    return referral


def referral_outcome_set(*, actor: User, case: SupportCase, referral_id: int, outcome: str) -> None:
    """Record what came of a referral of this case (only this case's referrals)."""
    require(actor, Action.MANAGE_SUPPORT_CASES)
    if outcome not in ReferralOutcome.values or outcome == ReferralOutcome.PENDING:
        raise SupportError("Choose what the service answered.")
    with transaction.atomic():
        case = _locked(case)
        referral = Referral.objects.select_for_update().filter(pk=referral_id, case=case).first()
        if referral is None:
            raise SupportError("That referral is not one of this case's.")
        if referral.outcome == outcome:
            return
        Referral.objects.filter(pk=referral.pk).update(outcome=outcome, outcome_at=timezone.now())
        _audit(actor, "referral_outcome", case, referral=referral.pk, outcome=outcome)


def follow_up_validate(due_on: date) -> None:
    """Refuse a date in the past or further than FOLLOW_UP_MAX_DAYS ahead."""
    today = timezone.localdate()
    if due_on < today:
        raise SupportError("Choose a date from today on.")
    if due_on > today + timedelta(days=FOLLOW_UP_MAX_DAYS):
        raise SupportError(f"Choose a date within {FOLLOW_UP_MAX_DAYS} days.")


def follow_up_add(*, actor: User, case: SupportCase, due_on: date) -> FollowUp:
    """Plan a follow-up; its reminder goes to the case's caseworker on that day."""
    require(actor, Action.MANAGE_SUPPORT_CASES)
    follow_up_validate(due_on)
    with transaction.atomic():
        case = _locked(case)
        _open(case)
        follow_up = FollowUp.objects.create(
            case=case, due_on=due_on, set_at=timezone.now(), set_by=actor
        )
        _audit(actor, "follow_up_add", case, due_on=due_on.isoformat())
    return follow_up


def follow_up_done(*, actor: User, case: SupportCase, follow_up_id: str) -> None:
    """Mark one of this case's follow-ups done (a reminder not sent yet is cancelled)."""
    require(actor, Action.MANAGE_SUPPORT_CASES)
    with transaction.atomic():
        case = _locked(case)
        follow_up = (
            FollowUp.objects.select_for_update()
            .filter(public_id=follow_up_id, case=case, done_at__isnull=True)
            .first()
        )
        if follow_up is None:
            raise SupportError("That follow-up is not an open one of this case.")
        follow_up.done_at = timezone.now()
        fields = ["done_at"]
        if follow_up.reminder_state == FollowUp.Reminder.WAITING:
            follow_up.reminder_state = FollowUp.Reminder.CANCELLED
            fields.append("reminder_state")
        follow_up.save(update_fields=fields)
        _audit(actor, "follow_up_done", case, follow_up=str(follow_up.public_id))


def _clean(text: str) -> str:
    # Control characters (but line breaks and tabs) have no place in a note; PostgreSQL
    # refuses NUL in text.
    return "".join(ch for ch in text if ch in "\n\t" or (ch >= " " and ch != "\x7f")).strip()


def note_add(*, actor: User, case: SupportCase, body: str) -> SupportNote:
    """Add an encrypted note to a case (the audit records only that one exists)."""
    require(actor, Action.MANAGE_SUPPORT_CASES)
    body = _clean(body)
    if not body:
        raise SupportError("Write something in the note first.")
    if len(body) > MAX_NOTE_CHARS:
        raise SupportError(f"The note is too long (at most {MAX_NOTE_CHARS} characters).")
    with transaction.atomic():
        case = _locked(case)
        note = SupportNote(case=case, author=actor, created_at=timezone.now())
        note.body_ciphertext = vault.encrypt_text(body, context=note.context)
        note.save()
        _audit(actor, "note_add", case, note=str(note.public_id))
    return note


def reminders_raise(*, today: date | None = None) -> int:
    """Queue the reminder of every follow-up due by `today` (periodic task); return how many.

    Each follow-up is claimed with a conditional UPDATE (waiting -> pending) in the transaction
    that queues its mail: two runs at once, or a run after a killed one, queue it once.
    """
    today = today or timezone.localdate()
    due = list(
        FollowUp.objects.filter(
            reminder_state=FollowUp.Reminder.WAITING, done_at__isnull=True, due_on__lte=today
        ).values_list("pk", flat=True)[:1000]
    )
    raised = 0
    for pk in due:
        with transaction.atomic():
            claimed = FollowUp.objects.filter(
                pk=pk, reminder_state=FollowUp.Reminder.WAITING
            ).update(reminder_state=FollowUp.Reminder.PENDING)
            if claimed:
                enqueue(REMINDER_TASK, pk)
                raised += 1
    return raised


def reminder_mail_message(recipient: str) -> EmailMessage:
    """Return the reminder e-mail: a follow-up is due, and where to look. Nothing else."""
    name = site_settings().name("en")
    link = f"{settings.HOTLINE_STAFF_URL.rstrip('/')}/staff/support/"
    body = (
        "A support follow-up of yours is due today.\n"
        f"Open the support cases to see it: {link}\n"
        "\n"
        "ការតាមដានមួយរបស់អ្នកដល់ថ្ងៃកំណត់ហើយ។\n"
        f"{link}\n"
        "\n"
        "This e-mail holds nothing of the case, on purpose.\n"
    )
    return EmailMessage(
        subject=f"{name}: a support follow-up is due",
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[recipient],
    )


def reminder_mail_send(*, follow_up_id: int) -> str:
    """Send a follow-up's reminder unless sent; return its reminder state afterwards.

    At least once, not twice after success: the state leaves `pending` only after the SMTP
    server took the message (a worker killed mid-send sends again on redelivery; a run after
    success sends nothing). An SMTP failure raises and the task is retried with backoff.
    """
    follow_up = FollowUp.objects.select_related("case__assignee").filter(pk=follow_up_id).first()
    if follow_up is None or follow_up.reminder_state != FollowUp.Reminder.PENDING:
        return follow_up.reminder_state if follow_up is not None else "gone"
    assignee = follow_up.case.assignee
    if assignee is None or not assignee.is_active or not assignee.email:
        # The list page shows it as due anyway (in-page reminder); nobody to write to.
        FollowUp.objects.filter(pk=follow_up_id, reminder_state=FollowUp.Reminder.PENDING).update(
            reminder_state=FollowUp.Reminder.NO_ADDRESS
        )
        return FollowUp.Reminder.NO_ADDRESS
    reminder_mail_message(assignee.email).send()
    with transaction.atomic():
        FollowUp.objects.filter(pk=follow_up_id, reminder_state=FollowUp.Reminder.PENDING).update(
            reminder_state=FollowUp.Reminder.SENT, reminded_at=timezone.now()
        )
        _audit(None, "reminder_mail", follow_up.case, follow_up=str(follow_up.public_id))
    return FollowUp.Reminder.SENT
