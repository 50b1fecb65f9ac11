"""Background work on a new or updated report."""

from __future__ import annotations

import logging

logger = logging.getLogger(__name__)


def report_process(report_id: int) -> None:
    """Run the post-intake pipeline for one report (idempotent).

    Each capability (entity extraction, hash matching, linking) adds its step here.
    """
    from hotline.intake.models import Report

    if not Report.objects.filter(pk=report_id).exists():
        logger.warning("report %s no longer exists; nothing to process", report_id)
        return


def report_process_many(*report_ids: int) -> None:
    """Run the post-intake pipeline for each report of a batch (idempotent, like one by one)."""
    for report_id in report_ids:
        report_process(report_id)
