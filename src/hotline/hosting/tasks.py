"""Background work of the hosting trace (tasks take IDs and are safe to run twice)."""

from __future__ import annotations

from hotline.hosting.reports import report_hosts_trace
from hotline.intake.models import Report


def report_trace(report_id: int) -> int:
    """Trace the hosts of one report's web links (queued by the report pipeline)."""
    if not Report.objects.filter(pk=report_id).exists():
        return 0  # purged meanwhile
    return report_hosts_trace(report_id=report_id)
