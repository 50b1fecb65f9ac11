"""Background work on a new or updated report."""

from __future__ import annotations

import logging

logger = logging.getLogger(__name__)


def report_process(report_id: int) -> None:
    """Run the post-intake pipeline for one report (idempotent: safe to run twice).

    Extract and link identifiers, file and match the evidence hashes, then recompute the
    report's priority with reasons an analyst can read in the queue.
    """
    from hotline.entities.services import report_entities_extract
    from hotline.hashing.tasks import report_hashes_match
    from hotline.intake.models import Report
    from hotline.intake.services import report_priority_refresh

    if not Report.objects.filter(pk=report_id).exists():
        logger.warning("report %s no longer exists; nothing to process", report_id)
        return
    report_entities_extract(report_id=report_id)
    report_hashes_match(report_id)
    # From the stored matches and links: the rematch after a hash list import applies the same.
    report_priority_refresh(report_id=report_id)


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
