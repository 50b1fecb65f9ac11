"""Reads of a report's case: its assignment and its history (callers check permission)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from hotline.cases.models import Assignment, CaseEvent
from hotline.intake.choices import CaseState
from hotline.intake.models import Report
from hotline.vault import services as vault


@dataclass(frozen=True)
class HistoryRow:
    at: datetime
    actor: str
    text: str
    note: str


def report_assignment(*, report: Report) -> Assignment | None:
    """Return the report's assignment with its assignee, or None when unassigned."""
    return Assignment.objects.filter(report=report).select_related("assignee").first()


def report_history(*, report: Report) -> list[HistoryRow]:
    """Return the report's case history, oldest first, notes decrypted, labels not codes."""
    rows = []
    events = CaseEvent.objects.filter(report=report).select_related("actor", "assignee")
    for event in events:
        if event.kind == CaseEvent.Kind.STATE:
            text = f"{CaseState(event.from_state).label} → {CaseState(event.to_state).label}"
        elif event.kind == CaseEvent.Kind.ASSIGN:
            assert event.assignee is not None
            text = f"assigned to {event.assignee.get_username()}"
        else:
            who = event.assignee.get_username() if event.assignee is not None else "nobody"
            text = f"released (was assigned to {who})"
        note = ""
        if event.note_ciphertext is not None:
            note = vault.decrypt_text(bytes(event.note_ciphertext), context=event.note_context)
        # No actor: the system reopened the case when the reporter replied.
        actor = event.actor.get_username() if event.actor is not None else "the reporter's reply"
        rows.append(HistoryRow(at=event.at, actor=actor, text=text, note=note))
    return rows
