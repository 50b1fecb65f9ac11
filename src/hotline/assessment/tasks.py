"""Background work of hotline.assessment: carry a new assessment to reports of the same content."""

from __future__ import annotations

from hotline.assessment.selectors import same_content_reports
from hotline.assessment.services import assessment_carry_forward


def assessment_carry_to_linked(report_id: int) -> int:
    """Carry the report's assessment to the unassessed reports of the same picture or link.

    Queued when an analyst assesses a report, for reports that came in before it was assessed
    (later ones get it in their own pipeline run). Safe to run twice; returns rows made.
    """
    made = 0
    for other in sorted(same_content_reports(report_id=report_id)):
        made += assessment_carry_forward(report_id=other) is not None
    return made
