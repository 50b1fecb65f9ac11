"""Change a report's workflow state and assignment: the only writers of both.

Every function takes the acting staff member as `actor` and first checks the permission
matrix (hotline.accounts.permissions: change_status, claim, assign); a refusal raises
PermissionDenied before anything is read or written (the staff middleware audits it as
`staff.forbidden` and answers 403). Each change is made under a row lock on
the report, recorded as a CaseEvent and written to the audit chain in the same transaction:
either all three happen or none.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from hotline.accounts.models import User
from hotline.accounts.permissions import Action, require
from hotline.audit.services import audit_record
from hotline.cases.models import Assignment, CaseEvent
from hotline.cases.notify import reporter_notice_queue
from hotline.cases.workflow import CLOSED_STATES, transition_allowed
from hotline.intake.choices import CaseState
from hotline.intake.models import Report
from hotline.vault import services as vault

MAX_NOTE_CHARS = 4000


class CaseError(Exception):
    """A case change that was refused; the message is meant for the analyst."""


class TransitionRefused(CaseError):
    """The workflow does not allow this move from the report's current state."""


class StaleState(CaseError):
    """Someone changed the report's state since the analyst loaded the page."""


class AlreadyAssigned(CaseError):
    """The report is assigned to someone else."""


def _locked(report_id: int) -> Report:
    # FOR UPDATE: two analysts acting on one report at once take turns, and the second one
    # sees the first one's change (and is told so) instead of overwriting it.
    return Report.objects.select_for_update().get(pk=report_id)


def _label(state: str) -> str:
    return str(CaseState(state).label)


def report_state_change(
    *,
    actor: User,
    report_id: int,
    expected_state: str,
    to_state: str,
    note: str = "",
) -> CaseEvent:
    """Move a report from `expected_state` to `to_state` and record who, when and why.

    `expected_state` is the state the analyst saw (optimistic locking): if the report has
    moved on since, StaleState is raised and nothing changes. A move the workflow does not
    allow raises TransitionRefused.
    """
    require(actor, Action.CHANGE_STATUS)
    note = note.strip()
    if len(note) > MAX_NOTE_CHARS:
        raise CaseError(f"The note is too long (at most {MAX_NOTE_CHARS} characters).")
    with transaction.atomic():
        report = _locked(report_id)
        current = report.status
        if current != expected_state:
            raise StaleState(
                f"Someone else changed this report to “{_label(current)}” meanwhile; "
                "nothing was changed. Check it and try again."
            )
        if not transition_allowed(current, to_state):
            to_label = _label(to_state) if to_state in CaseState.values else repr(to_state)
            raise TransitionRefused(f"A report cannot go from “{_label(current)}” to {to_label}.")
        now = timezone.now()
        Report.objects.filter(pk=report_id).update(status=to_state, updated_at=now)
        event = CaseEvent(
            report_id=report_id,
            at=now,
            actor=actor,
            kind=CaseEvent.Kind.STATE,
            from_state=current,
            to_state=to_state,
        )
        if note:
            event.note_ciphertext = vault.encrypt_text(note, context=event.note_context)
        event.save()
        audit_record(
            actor=actor,
            action="report.state_change",
            target_type="report",
            target_id=str(report.public_id),
            # The note stays out of the audit details (kept in clear): only that there was one.
            details={"from": current, "to": to_state, "note": bool(note)},
        )
        # The reporter, if they agreed, hears that there is news (never what it is).
        reporter_notice_queue(report=report, event_key=f"state:{event.public_id}")
    return event


def report_reporter_replied(*, report_id: int) -> CaseEvent | None:
    """Put a closed report back in the analysts' queue because its reporter wrote again.

    Called by intake when a reporter's reply (text, files or hashes) is stored, in the same
    transaction. A report in a closed state (closed, not actionable, out of scope, duplicate)
    is reopened to "in assessment", the move the workflow keeps for this: a CaseEvent without
    a staff actor and an audit event (`report.reopen_by_reply`) record it. A report still open
    or in an action state is being worked on and stays where it is (its page shows the reply).
    Returns the event, or None when nothing moved.
    """
    with transaction.atomic():
        report = _locked(report_id)
        current = report.status
        if current not in CLOSED_STATES:
            return None
        now = timezone.now()
        Report.objects.filter(pk=report_id).update(status=CaseState.IN_REVIEW, updated_at=now)
        event = CaseEvent.objects.create(
            report_id=report_id,
            at=now,
            actor=None,
            kind=CaseEvent.Kind.STATE,
            from_state=current,
            to_state=CaseState.IN_REVIEW,
        )
        audit_record(
            actor=None,
            action="report.reopen_by_reply",
            target_type="report",
            target_id=str(report.public_id),
            details={"from": current, "to": CaseState.IN_REVIEW.value},
        )
    return event


def report_assign(*, actor: User, report_id: int, assignee: User) -> CaseEvent:
    """Assign a report to `assignee` (replacing whoever had it) and record it."""
    require(actor, Action.ASSIGN)
    with transaction.atomic():
        report = _locked(report_id)
        current = Assignment.objects.filter(report_id=report_id).first()
        if current is not None and current.assignee_id == assignee.pk:
            raise AlreadyAssigned(f"This report is already assigned to {assignee.get_username()}.")
        return _assign(actor=actor, report=report, assignee=assignee, previous=current)


def report_claim(*, actor: User, report_id: int) -> CaseEvent:
    """Assign an unassigned report to the acting analyst; refuse if someone has it."""
    require(actor, Action.CLAIM)
    with transaction.atomic():
        report = _locked(report_id)
        current = Assignment.objects.filter(report_id=report_id).select_related("assignee").first()
        if current is not None:
            owner = "you" if current.assignee_id == actor.pk else current.assignee.get_username()
            raise AlreadyAssigned(f"This report is already assigned to {owner}.")
        return _assign(actor=actor, report=report, assignee=actor, previous=None)


def report_release(*, actor: User, report_id: int) -> CaseEvent:
    """Leave a report unassigned again and record who released it.

    Releasing one's own report needs `claim`; taking it from someone else needs `assign`.
    """
    require(actor, Action.CLAIM)
    with transaction.atomic():
        report = _locked(report_id)
        current = Assignment.objects.filter(report_id=report_id).first()
        if current is None:
            raise CaseError("This report is not assigned to anyone.")
        if current.assignee_id != actor.pk:
            require(actor, Action.ASSIGN)
        previous_id = current.assignee_id
        current.delete()
        now = timezone.now()
        event = CaseEvent.objects.create(
            report_id=report_id,
            at=now,
            actor=actor,
            kind=CaseEvent.Kind.RELEASE,
            assignee_id=previous_id,
        )
        audit_record(
            actor=actor,
            action="report.release",
            target_type="report",
            target_id=str(report.public_id),
            details={"was_assigned_to": previous_id},
        )
        return event


def _assign(
    *, actor: User, report: Report, assignee: User, previous: Assignment | None
) -> CaseEvent:
    if not (assignee.is_active and assignee.is_staff):
        raise CaseError("Reports can only be assigned to active staff members.")
    now = timezone.now()
    Assignment.objects.update_or_create(
        report_id=report.pk, defaults={"assignee": assignee, "assigned_at": now}
    )
    event = CaseEvent.objects.create(
        report_id=report.pk, at=now, actor=actor, kind=CaseEvent.Kind.ASSIGN, assignee=assignee
    )
    audit_record(
        actor=actor,
        action="report.assign",
        target_type="report",
        target_id=str(report.public_id),
        details={
            "assignee": assignee.pk,
            "previous": previous.assignee_id if previous is not None else None,
        },
    )
    return event


def report_takedown_escalated(*, report_id: int, level: int) -> CaseEvent | None:
    """Put a report back in the analysts' queue because reported content is still online.

    Called by hotline.takedown.rechecks, in its transaction, when a target passes an
    escalation time (HOTLINE_TAKEDOWN_ESCALATE_AFTER_HOURS). A report in an action state
    (notice sent, referred, forwarded) goes back to "assessed", the open state of a report
    that needs an action, so the default triage queue shows it; a CaseEvent without a staff
    actor and an audit event (`report.takedown_escalated`) record it. A report still open is
    in the queue already, and a closed one was closed by an analyst's decision: both stay
    where they are (the target's escalation level and its audit event still record it).
    Returns the event, or None when nothing moved.
    """
    from hotline.cases.workflow import ACTION_STATES

    with transaction.atomic():
        report = _locked(report_id)
        current = report.status
        if current not in ACTION_STATES:
            return None
        now = timezone.now()
        Report.objects.filter(pk=report_id).update(status=CaseState.ASSESSED, updated_at=now)
        event = CaseEvent.objects.create(
            report_id=report_id,
            at=now,
            actor=None,
            kind=CaseEvent.Kind.STATE,
            from_state=current,
            to_state=CaseState.ASSESSED,
        )
        audit_record(
            actor=None,
            action="report.takedown_escalated",
            target_type="report",
            target_id=str(report.public_id),
            details={"from": current, "to": CaseState.ASSESSED.value, "level": level},
        )
    return event
