"""Compute and store reports' priorities (the worker's step, and a rescore after new weights)."""

from __future__ import annotations

import logging

from django.db import transaction

from hotline.alerts.services import report_alert_raise
from hotline.intake.models import Report
from hotline.intake.selectors import report_details
from hotline.triage.scoring import Facts, Triage, answers_score, score, text_signals

logger = logging.getLogger(__name__)


def _background_counts(report: Report) -> tuple[int, int, int]:
    """Return (known hash list matches, other reports sharing an image, earlier linked reports).

    Only enabled entries of enabled banks count, so a disabled list entry stops raising a
    report at its next refresh.
    """
    from hotline.entities.selectors import report_earlier_links
    from hotline.hashing.models import ReportMatch, VictimSubmission

    live = ReportMatch.objects.filter(
        report_id=report.pk, entry__enabled=True, entry__bank__enabled=True
    )
    bank_matches = live.filter(entry__bank__victim_submitted=False).count()
    shared = (
        VictimSubmission.objects.filter(
            entry__in=live.filter(entry__bank__victim_submitted=True).values("entry_id")
        )
        .exclude(report_id=report.pk)
        .values("report_id")
        .distinct()
        .count()
    )
    return bank_matches, shared, report_earlier_links(report=report)


def report_triage(report: Report) -> Triage:
    """Return the priority and reasons of a report from everything stored about it.

    Decrypts the narrative to look for self-harm words and deadlines: call from the worker or
    the command line, not from a request. Nothing of the text is kept, only the flags.
    """
    details = report_details(report)
    narrative = str(details.get("narrative") or "")
    self_harm, deadline = text_signals(narrative, categories=report.categories, money=report.money)
    matches, shared, earlier = _background_counts(report)
    facts = Facts(
        in_danger=report.in_danger,
        categories=tuple(report.categories),
        victim_age=report.victim_age,
        money=report.money,
        self_harm=self_harm,
        deadline=deadline,
        hash_list_matches=matches,
        shared_image_reports=shared,
        earlier_reports=earlier,
    )
    return score(facts)


def report_triage_refresh(*, report_id: int) -> None:
    """Recompute and store a report's priority and reasons (idempotent: recomputed, not added).

    Called by the report pipeline and by the rematch after a hash list import, so both give
    the same priority for the same facts. base_priority keeps the part known from the
    reporter's answers alone (what intake stored before the worker ran). Someone in danger or
    signs of self-harm raise the report's alert (once: hotline.alerts).
    """
    report = Report.objects.filter(pk=report_id).first()
    if report is None:
        return
    triage = report_triage(report)
    base = answers_score(
        in_danger=report.in_danger,
        categories=report.categories,
        victim_age=report.victim_age,
        money=report.money,
    )
    # The alert (someone in danger, signs of self-harm) commits with the priority, or neither.
    # in_danger is the reporter's own answer: it raises the alert even if its weight is 0.
    urgent = [reason.signal for reason in triage.reasons]
    if report.in_danger:
        urgent.append("in_danger")
    with transaction.atomic():
        Report.objects.filter(pk=report_id).update(
            priority=triage.score, base_priority=base, priority_reasons=triage.reasons_json()
        )
        report_alert_raise(report_id=report_id, signals=urgent)


def reports_rescore(*, chunk: int = 500) -> int:
    """Recompute every report's priority with the weights in force; return how many.

    For after a change of the weights file (`hotline triage rescore`). One transaction per
    chunk: a stop half-way leaves every report either before or after, and running it again
    finishes the job.
    """
    done = 0
    last = 0
    while True:
        ids = list(
            Report.objects.filter(pk__gt=last).order_by("pk").values_list("pk", flat=True)[:chunk]
        )
        if not ids:
            return done
        with transaction.atomic():
            for report_id in ids:
                report_triage_refresh(report_id=report_id)
        done += len(ids)
        last = ids[-1]
        logger.info("rescored %s reports", done)
