"""Background work for entities (tasks take IDs and are safe to run twice)."""

from __future__ import annotations

from hotline.entities.services import report_entities_extract


def report_extract(report_id: int) -> None:
    """Extract and link the identifiers of one report."""
    report_entities_extract(report_id=report_id)
