"""Background work on a new or updated report."""

from __future__ import annotations

import logging

logger = logging.getLogger(__name__)

BONUS_HASH_LIST_MATCH = 60
BONUS_SHARED_IMAGE = 30
BONUS_PER_LINKED_REPORT = 5
BONUS_LINKED_MAX = 50


def report_process(report_id: int) -> None:
    """Run the post-intake pipeline for one report (idempotent: safe to run twice).

    Extract and link identifiers, file and match the evidence hashes, then recompute the
    report's priority with reasons an analyst can read in the queue.
    """
    from hotline.entities.selectors import report_earlier_links
    from hotline.entities.services import report_entities_extract
    from hotline.hashing.tasks import report_hashes_match
    from hotline.intake.models import Report
    from hotline.intake.services import PriorityFinding, report_priority_update

    report = Report.objects.filter(pk=report_id).first()
    if report is None:
        logger.warning("report %s no longer exists; nothing to process", report_id)
        return
    report_entities_extract(report_id=report_id)
    outcome = report_hashes_match(report_id)
    findings: list[PriorityFinding] = []
    if outcome.bank_matches:
        findings.append(
            PriorityFinding(
                BONUS_HASH_LIST_MATCH,
                f"matches {outcome.bank_matches} entries of known hash lists",
            )
        )
    if outcome.linked_reports:
        findings.append(
            PriorityFinding(
                BONUS_SHARED_IMAGE,
                f"shares an image with {len(outcome.linked_reports)} other report(s)",
            )
        )
    earlier = report_earlier_links(report=report)
    if earlier:
        findings.append(
            PriorityFinding(
                min(BONUS_PER_LINKED_REPORT * earlier, BONUS_LINKED_MAX),
                f"linked to {earlier} earlier report(s)",
            )
        )
    report_priority_update(report_id=report_id, findings=findings)


def report_process_many(*report_ids: int) -> None:
    """Run the pipeline for each report of a partner batch; a report that fails goes on alone.

    One task per batch keeps intake fast; but one failing report must not hold back, or after
    the retries abandon, the rest of its batch: it is queued as its own task (with its own
    retries) and the batch goes on. Redelivery of the whole batch is safe (idempotent).
    """
    from hotline.tasks.queue import enqueue

    for report_id in report_ids:
        try:
            report_process(report_id)
        except Exception:
            logger.exception("report %s failed in its batch; queued on its own", report_id)
            enqueue("hotline.intake.tasks.report_process", report_id)
