"""Flood control for the public pages: who may send what, decided without knowing who they are.

No limit here can be used by one person to lock out another (docs/decisions/flood-control.md):
- a report with a solved proof of work is admitted (its cost was paid in work);
- a report without one (no JavaScript) spends a small per-client budget first (keyed on the
  in-memory client token: per person behind a declared proxy, per address otherwise; behind a
  shared address such as an onion service's Tor daemon, a per-minute bucket of their own),
  then a global bucket per process: a no-JavaScript flood can delay other no-JavaScript
  reporters for at most a minute at a time, and never a reporter whose browser solved the proof;
- receipt-code pages have no limit: a code has 83 bits, so guessing is hopeless at any rate;
- replies, files and escrow deposits are limited per report: only the holder of that report's
  code can spend its budget.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from django.conf import settings

from hotline.core.middleware import SHARED_CLIENT
from hotline.core.throttle import throttle_spend, throttle_spend_shared
from hotline.intake.models import Report
from hotline.intake.proof_of_work import ProofResult, proof_verify
from hotline.intake.services import SubmittedReport, report_find_by_submission


class Refusal(enum.Enum):
    """Why a report was not let through (None: admitted)."""

    PROOF_EXPIRED = "proof_expired"
    PROOF_INVALID = "proof_invalid"
    CLIENT_BUSY = "client_busy"  # this client (or everyone at its address) sent many, no proof
    ALL_BUSY = "all_busy"  # many reports without proof from everywhere, this minute
    REPORT_BUSY = "report_busy"  # many replies or deposits on one report this hour


@dataclass(frozen=True)
class Admission:
    """The decision on one report POST; `wait_seconds` tells a refused client when to retry.

    `earlier` is the report this form already made (the same form sent again): show its
    receipt instead of parsing anything.
    """

    refusal: Refusal | None
    wait_seconds: int = 0
    earlier: SubmittedReport | None = None

    @property
    def admitted(self) -> bool:
        return self.refusal is None


def submission_admit(*, proof: str, submission_token: str, client_token: str) -> Admission:
    """Decide whether a report POST may be validated and stored; O(1), before either."""
    result = proof_verify(proof=proof, submission_token=submission_token)
    if result is ProofResult.VALID:
        return Admission(None)
    if result is ProofResult.EXPIRED:
        return Admission(Refusal.PROOF_EXPIRED)
    if result is ProofResult.SPENT:
        # The same form sent again: a retry after a slow answer, a second tap while the first
        # is still being stored, or a replay. Once the first is stored, its receipt is the
        # answer (one indexed query). Until then, or if the first was refused, a spent proof
        # counts as no proof: a replay costs the budgets below, never more.
        earlier = report_find_by_submission(submission_token=submission_token)
        if earlier is not None:
            return Admission(None, earlier=earlier)
    elif result is not ProofResult.MISSING:
        return Admission(Refusal.PROOF_INVALID)
    if client_token == SHARED_CLIENT:
        # Everyone behind a shared address (an onion service's Tor daemon): a per-client budget
        # would be all of theirs, five reports per ten minutes, and one flooder would lock them
        # all out for ten minutes. They share a per-minute bucket instead, half the size of the
        # global one: a flood through it delays them until the next minute at most, and leaves
        # the other half of the global bucket to everyone else.
        wait = throttle_spend_shared(
            key="submit-unsolved:shared-address",
            cost=1,
            limit=max(1, settings.HOTLINE_THROTTLE_UNSOLVED_SUBMITS_PER_MIN // 2),
            window_seconds=60,
        )
        if wait:
            return Admission(Refusal.ALL_BUSY, wait)
    else:
        # Without a proof: the client's own budget first, so that a single flooder is stopped
        # before it can empty the bucket everyone without JavaScript shares.
        wait = throttle_spend(
            key=f"submit-unsolved:{client_token}",
            cost=1,
            limit=settings.HOTLINE_THROTTLE_SUBMITS_PER_10_MIN,
            window_seconds=600,
        )
        if wait:
            return Admission(Refusal.CLIENT_BUSY, wait)
    wait = throttle_spend_shared(
        key="submit-unsolved:all",
        cost=1,
        limit=settings.HOTLINE_THROTTLE_UNSOLVED_SUBMITS_PER_MIN,
        window_seconds=60,
    )
    if wait:
        return Admission(Refusal.ALL_BUSY, wait)
    return Admission(None)


def report_write_admit(*, report: Report) -> Admission:
    """Count one reporter write (message, files, escrow) against this report's hourly budget."""
    wait = throttle_spend(
        key=f"report-writes:{report.pk}",
        cost=1,
        limit=settings.HOTLINE_THROTTLE_REPORT_WRITES_PER_HOUR,
        window_seconds=3600,
    )
    return Admission(Refusal.REPORT_BUSY, wait) if wait else Admission(None)
