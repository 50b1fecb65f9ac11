"""The case workflow: which state may follow which (pure rules, no database).

    received ──> in_review ──> assessed ──> notice_sent ─┐
        │            │  ^          │        referred_police ├─> closed
        │            │  │          │        sent_to_partner ┘
        └────────────┴──┴──────────┴──> no_action / out_of_scope / duplicate
    every closed state ──> in_review (reopened, e.g. when the reporter adds information)

The action states may follow one another (a removal notice, then a referral to police).
A state never follows itself: a change that changes nothing is refused, so the history holds
only real decisions.
"""

from __future__ import annotations

from hotline.intake.choices import CaseState, ReportStatus

S = CaseState

ACTION_STATES = frozenset({S.NOTICE_SENT, S.REFERRED_POLICE, S.SENT_TO_PARTNER})
CLOSED_STATES = frozenset({S.CLOSED, S.NO_ACTION, S.OUT_OF_SCOPE, S.DUPLICATE})
# States still waiting for an analyst's decision: their clock since receipt can run late.
OPEN_STATES = frozenset({S.RECEIVED, S.IN_REVIEW, S.ASSESSED})
_EXITS = frozenset({S.NO_ACTION, S.OUT_OF_SCOPE, S.DUPLICATE})

TRANSITIONS: dict[CaseState, frozenset[CaseState]] = {
    S.RECEIVED: frozenset({S.IN_REVIEW}) | _EXITS,
    S.IN_REVIEW: frozenset({S.ASSESSED}) | _EXITS,
    S.ASSESSED: frozenset({S.IN_REVIEW}) | ACTION_STATES | _EXITS,
    S.NOTICE_SENT: (ACTION_STATES - {S.NOTICE_SENT}) | {S.CLOSED},
    S.REFERRED_POLICE: (ACTION_STATES - {S.REFERRED_POLICE}) | {S.CLOSED},
    S.SENT_TO_PARTNER: (ACTION_STATES - {S.SENT_TO_PARTNER}) | {S.CLOSED},
    S.CLOSED: frozenset({S.IN_REVIEW}),
    S.NO_ACTION: frozenset({S.IN_REVIEW}),
    S.OUT_OF_SCOPE: frozenset({S.IN_REVIEW}),
    S.DUPLICATE: frozenset({S.IN_REVIEW}),
}

_PUBLIC: dict[CaseState, ReportStatus] = {
    S.RECEIVED: ReportStatus.RECEIVED,
    S.IN_REVIEW: ReportStatus.IN_REVIEW,
    S.ASSESSED: ReportStatus.IN_REVIEW,
    **dict.fromkeys(ACTION_STATES, ReportStatus.ACTION_TAKEN),
    **dict.fromkeys(CLOSED_STATES, ReportStatus.CLOSED),
}


def transition_allowed(from_state: str, to_state: str) -> bool:
    """Return whether a report in `from_state` may move to `to_state`."""
    try:
        return CaseState(to_state) in TRANSITIONS[CaseState(from_state)]
    except ValueError:
        return False


def next_states(state: str) -> list[CaseState]:
    """Return the states a report in `state` may move to, in the workflow's order."""
    allowed = TRANSITIONS.get(CaseState(state), frozenset())
    return [s for s in CaseState if s in allowed]


def public_status(state: str) -> ReportStatus:
    """Return the coarse status a partner sees for a workflow state (no internal detail)."""
    return _PUBLIC[CaseState(state)]
