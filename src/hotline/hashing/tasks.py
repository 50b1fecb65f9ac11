"""Background matching of a new hash list against earlier reports (tasks only call services).

A report's own hashes are matched by the report pipeline (hotline.intake.pipeline, through
hotline.hashing.reports). Tasks take ids and are idempotent (at-least-once delivery).
"""

from __future__ import annotations

from hotline.hashing.rematch import rematch_run


def reports_rematch(job_id: int) -> None:
    """Match an imported list against earlier reports' hashes: chunks of a RematchJob.

    Queued with the import (hashing.rematch.rematch_queue); runs chunks for part of the task
    timeout, then queues itself to go on from the job's cursor.
    """
    rematch_run(job_id=job_id)
