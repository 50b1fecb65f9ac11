"""The report pipeline: what happens to every report after intake, in one place.

Steps, each idempotent (tasks are delivered at least once, and a rerun must change nothing):
1. extract and link identifiers (hotline.entities.services.report_entities_extract);
2. hash videos, file every hash in the victim-submitted bank and match all of them against the
   banks (hotline.hashing.reports.report_hashes_match);
3. carry an earlier report's assessment forward to this one if it shows the same picture or
   link (hotline.assessment.services.assessment_carry_forward; the queue then sets it apart);
4. recompute the priority from what is stored: the answers, signs of self-harm or a deadline
   in the narrative, matches and links (hotline.triage.services.report_triage_refresh; the
   rematch after a hash list import applies the same rule);
4. put the report's words and identifiers, and the reporter's messages, in the search index as
   keyed digests (hotline.search.services.report_search_index);
5. open the support case of a reporter who asked for help (hotline.support.services).
After step 1, the hosting trace of the report's links is queued as its own task
(hotline.hosting.tasks.report_trace: DNS lookups must not hold the pipeline up).
Tasks (hotline.intake.tasks) only call `report_pipeline_run`.
"""

from __future__ import annotations

import logging

from hotline.assessment.services import assessment_carry_forward
from hotline.entities.services import report_entities_extract
from hotline.hashing.reports import report_hashes_match
from hotline.hosting.reports import report_trace_queue
from hotline.intake.models import Report
from hotline.search.services import report_search_index
from hotline.support.services import support_case_for_report
from hotline.triage.services import report_triage_refresh

logger = logging.getLogger(__name__)


def report_pipeline_run(*, report_id: int) -> bool:
    """Run every post-intake step for one report; return False if the report no longer exists."""
    if not Report.objects.filter(pk=report_id).exists():
        logger.warning("report %s no longer exists; nothing to process", report_id)
        return False
    report_entities_extract(report_id=report_id)
    # DNS lookups take seconds: the hosting trace of the report's links is a task of its own.
    report_trace_queue(report_id=report_id)
    report_hashes_match(report_id)
    assessment_carry_forward(report_id=report_id)
    report_triage_refresh(report_id=report_id)
    report_search_index(report_id=report_id)
    # A reporter who asked for help gets a support case for the caseworkers (once).
    support_case_for_report(report_id=report_id)
    return True
