"""Background work on a new or updated report: tasks that call hotline.intake.pipeline."""

from __future__ import annotations

import logging

from hotline.intake.pipeline import report_pipeline_run
from hotline.tasks.queue import enqueue

logger = logging.getLogger(__name__)


def report_process(report_id: int) -> None:
    """Run the report pipeline for one report (idempotent: safe to run twice)."""
    report_pipeline_run(report_id=report_id)


def report_process_many(*report_ids: int) -> None:
    """Run the pipeline for each report of a partner batch; a report that fails goes on alone.

    One task per batch keeps intake fast; but one failing report must not hold back, or after
    the retries abandon, the rest of its batch: it is queued as its own task (with its own
    retries) and the batch goes on. Redelivery of the whole batch is safe (idempotent).
    """
    for report_id in report_ids:
        try:
            report_process(report_id)
        except Exception:
            logger.exception("report %s failed in its batch; queued on its own", report_id)
            enqueue("hotline.intake.tasks.report_process", report_id)
