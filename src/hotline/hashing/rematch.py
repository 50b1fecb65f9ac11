"""Matching a newly imported hash list against the hashes of every earlier report.

A report's hashes are matched against the banks when it is processed (hashing.reports
.report_hashes_match); a list imported later must reach the reports filed before it. Instead of
running each report's pipeline again (which took one task per whole install and timed out past a
few thousand reports), a RematchJob matches the new entries against the reported hashes (the
entries of the victim-submitted bank) in chunks:

- MD5 and SHA-256: a join in the database, a chunk of imported entries at a time.
- PDQ: the imported PDQ entries are put in an in-memory multi-index (the new list is small next
  to the reports), and the reported PDQ hashes are scanned in id order, a chunk at a time, each
  looked up in that index.

Each chunk's matches, the priority of the reports that gained one, and the job's cursor commit
in one transaction under a lock on the job row. Tasks are delivered at least once: a worker
killed mid-chunk leaves the chunk uncommitted and the next delivery starts from the cursor;
ReportMatch's unique constraint makes a chunk run twice (two deliveries racing) add nothing.
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
from django.conf import settings
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from hotline.accounts.models import User
from hotline.audit.services import audit_record
from hotline.hashing.index import DEFAULT_THRESHOLD
from hotline.hashing.index.memory import MemoryMihIndex
from hotline.hashing.models import (
    MIN_PDQ_QUALITY,
    Bank,
    BankEntry,
    HashType,
    RematchJob,
    ReportMatch,
    VictimSubmission,
)
from hotline.tasks.queue import enqueue

logger = logging.getLogger(__name__)

TASK = "hotline.hashing.tasks.reports_rematch"
# A task stops taking new chunks after this share of HOTLINE_TASK_TIMEOUT and queues its
# continuation: the chunk in hand and the index build fit in the rest.
BUDGET_SHARE = 0.4
EXACT_TYPES = (HashType.MD5, HashType.SHA256)


def chunk_size() -> int:
    """Return how many entries one chunk reads (HOTLINE_REMATCH_CHUNK)."""
    return int(settings.HOTLINE_REMATCH_CHUNK)


def entry_high_water() -> int:
    """Return the highest bank entry id so far (taken before an import writes its entries)."""
    return int(BankEntry.objects.aggregate(top=Max("pk"))["top"] or 0)


def rematch_queue(
    *,
    bank: Bank,
    entry_after: int,
    reason: str,
    actor: User | None = None,
) -> RematchJob | None:
    """Queue a rematch of the bank's entries with ids above `entry_after`; None if none.

    Call inside the transaction that wrote the entries (an import): the job and its task commit
    or roll back with them. Entries of the victim-submitted bank are reports' own hashes, which
    their pipeline matches: nothing is queued for them.
    """
    if bank.victim_submitted:
        return None
    entries = BankEntry.objects.filter(bank=bank, pk__gt=entry_after, enabled=True)
    entry_upto = int(entries.aggregate(top=Max("pk"))["top"] or 0)
    if not entry_upto:
        return None
    entries = entries.filter(pk__lte=entry_upto)
    job = RematchJob.objects.create(
        bank=bank,
        reason=reason[:200],
        entry_after=entry_after,
        entry_upto=entry_upto,
        exact_total=entries.filter(hash_type__in=EXACT_TYPES).count(),
        pdq_imported=entries.filter(hash_type=HashType.PDQ).count(),
    )
    audit_record(
        actor=actor,
        action="hashing.rematch_queue",
        target_type="hashing.rematchjob",
        target_id=job.pk,
        details={
            "bank": bank.name,
            "reason": job.reason,
            "exact": job.exact_total,
            "pdq": job.pdq_imported,
        },
    )
    enqueue(TASK, job.pk)
    return job


@dataclass
class _PdqList:
    """The job's imported PDQ entries and their in-memory index (built once per process)."""

    key: tuple[int, int, int, int, str]
    index: MemoryMihIndex
    entry_ids: np.ndarray
    values: list[str]


_cached: _PdqList | None = None


def _pdq_list(job: RematchJob) -> _PdqList:
    global _cached
    # Not the id alone: SQLite hands out a rolled-back id again.
    key = (job.pk, job.bank_id, job.entry_after, job.entry_upto, job.created_at.isoformat())
    if _cached is not None and _cached.key == key:
        return _cached
    rows = list(
        BankEntry.objects.filter(
            bank_id=job.bank_id,
            pk__gt=job.entry_after,
            pk__lte=job.entry_upto,
            hash_type=HashType.PDQ,
            enabled=True,
        )
        .order_by("pk")
        .values_list("pk", "value")
    )
    values = [value for _, value in rows]
    _cached = _PdqList(
        key=key,
        index=MemoryMihIndex([bytes.fromhex(v) for v in values]),
        entry_ids=np.array([pk for pk, _ in rows], dtype=np.int64),
        values=values,
    )
    return _cached


def rematch_run(*, job_id: int, budget_seconds: float | None = None) -> bool:
    """Run chunks of a rematch job until it ends or the time budget is spent.

    Returns True when the job is finished (or gone), False when a continuation task was queued.
    """
    if budget_seconds is None:
        budget_seconds = float(settings.HOTLINE_TASK_TIMEOUT) * BUDGET_SHARE
    deadline = time.monotonic() + budget_seconds
    while True:
        with transaction.atomic():
            job = RematchJob.objects.select_for_update().filter(pk=job_id).first()
            if job is None or job.state in (RematchJob.State.DONE, RematchJob.State.SKIPPED):
                return True
            _chunk(job)
            finished = job.state in (RematchJob.State.DONE, RematchJob.State.SKIPPED)
            if not finished and time.monotonic() >= deadline:
                # With the cursor: a continuation exists exactly when this chunk committed.
                enqueue(TASK, job.pk)
                return False
        if finished:
            return True


def _chunk(job: RematchJob) -> None:
    """Do one chunk of the job (the caller holds the row lock in a transaction) and save it."""
    if job.started_at is None:
        job.started_at = timezone.now()
        job.state = RematchJob.State.RUNNING
    bank = Bank.objects.get(pk=job.bank_id)
    victim = Bank.objects.filter(victim_submitted=True).first()
    found: dict[tuple[int, int, str], tuple[str, int]] = {}
    if not bank.enabled:
        # A disabled bank matches nothing; enabling it queues a job for all its entries.
        _finish(job, RematchJob.State.SKIPPED)
    elif victim is None:
        _finish(job, RematchJob.State.DONE)  # no report was ever processed: nothing to match
    elif job.phase == RematchJob.Phase.EXACT:
        _exact_chunk(job, victim, found)
    else:
        _pdq_chunk(job, victim, found)
    job.chunks += 1
    job.matched += _store(found)
    job.save()
    if job.finished_at is not None:
        audit_record(
            actor=None,
            action=f"hashing.rematch_{job.state}",
            target_type="hashing.rematchjob",
            target_id=job.pk,
            details={
                "bank": bank.name,
                "matched": job.matched,
                "exact_checked": job.exact_done,
                "pdq_scanned": job.pdq_scanned,
            },
        )


def _exact_chunk(
    job: RematchJob, victim: Bank, found: dict[tuple[int, int, str], tuple[str, int]]
) -> None:
    """Join the next chunk of imported MD5/SHA-256 entries with the reported hashes."""
    imported = BankEntry.objects.filter(
        bank_id=job.bank_id,
        pk__gt=max(job.cursor, job.entry_after),
        pk__lte=job.entry_upto,
        hash_type__in=EXACT_TYPES,
        enabled=True,
    ).order_by("pk")
    ids = list(imported.values_list("pk", flat=True)[: chunk_size()])
    if not ids:
        job.cursor = 0
        job.phase = RematchJob.Phase.PDQ
        if not job.pdq_imported:
            _finish(job, RematchJob.State.DONE)
        else:
            job.pdq_total = BankEntry.objects.filter(bank=victim, hash_type=HashType.PDQ).count()
        return
    chunk = imported.filter(pk__lte=ids[-1])
    for hash_type in EXACT_TYPES:
        of_type = chunk.filter(hash_type=hash_type)
        pairs = list(
            VictimSubmission.objects.filter(
                entry__bank=victim,
                entry__hash_type=hash_type,
                entry__value__in=of_type.values("value"),
            ).values_list("report_id", "entry__value")
        )
        if not pairs:
            continue
        entry_of = dict(
            of_type.filter(value__in={value for _, value in pairs}).values_list("value", "pk")
        )
        for report_id, value in pairs:
            found[report_id, entry_of[value], value] = (hash_type, 0)
    job.cursor = ids[-1]
    job.exact_done += len(ids)


def _pdq_chunk(
    job: RematchJob, victim: Bank, found: dict[tuple[int, int, str], tuple[str, int]]
) -> None:
    """Look the next chunk of reported PDQ hashes up in the imported list's index."""
    reported = list(
        BankEntry.objects.filter(bank=victim, hash_type=HashType.PDQ, pk__gt=job.cursor)
        .order_by("pk")
        .values_list("pk", "value")[: chunk_size()]
    )
    if not reported:
        # Reports filed from now on are matched against the list by their own pipeline.
        job.pdq_total = job.pdq_scanned
        _finish(job, RematchJob.State.DONE)
        return
    imported = _pdq_list(job)
    queries = np.frombuffer(b"".join(bytes.fromhex(v) for _, v in reported), dtype=np.uint8)
    q_at, row_at, distances = imported.index.query_batch(
        queries.reshape(-1, 32), threshold=DEFAULT_THRESHOLD
    )
    # reported entry id -> [(imported entry id, reported value, distance)]
    hits: dict[int, list[tuple[int, str, int]]] = defaultdict(list)
    for q, row, distance in zip(q_at.tolist(), row_at.tolist(), distances.tolist(), strict=True):
        entry_id, value = reported[q]
        hits[entry_id].append((int(imported.entry_ids[row]), value, distance))
    if hits:
        submissions = VictimSubmission.objects.filter(entry_id__in=list(hits)).values_list(
            "entry_id", "report_id"
        )
        pairs = [(report_id, hit) for entry_id, report_id in submissions for hit in hits[entry_id]]
        low = _low_quality({(report_id, value) for report_id, (_, value, _) in pairs})
        for report_id, (imported_id, value, distance) in pairs:
            if (report_id, value) not in low:
                found[report_id, imported_id, value] = (HashType.PDQ, distance)
    job.cursor = reported[-1][0]
    job.pdq_scanned += len(reported)
    job.pdq_total = max(job.pdq_total, job.pdq_scanned)


def _low_quality(pairs: set[tuple[int, str]]) -> set[tuple[int, str]]:
    """Return the (report, PDQ value) pairs the report pipeline leaves unmatched (quality < 50).

    As in report_hashes_match: a hash the device sent (EvidenceHash) speaks for itself, else the
    uploaded file's; an unknown quality matches.
    """
    from hotline.intake.models import EvidenceFile, EvidenceHash

    quality: dict[tuple[int, str], int | None] = {}
    for some in _batched(sorted(pairs)):
        reports = {report_id for report_id, _ in some}
        values = {value for _, value in some}
        for report_id, value, q in EvidenceFile.objects.filter(
            report_id__in=reports, pdq__in=values
        ).values_list("report_id", "pdq", "pdq_quality"):
            quality[report_id, value] = q
        for report_id, value, q in EvidenceHash.objects.filter(
            report_id__in=reports, kind="pdq", value__in=values
        ).values_list("report_id", "value", "quality"):
            quality[report_id, value] = q
    return {
        pair
        for pair in pairs
        if pair in quality and quality[pair] is not None and quality[pair] < MIN_PDQ_QUALITY  # type: ignore[operator]
    }


def _store(found: dict[tuple[int, int, str], tuple[str, int]]) -> int:
    """Store new matches and refresh the priority of the reports that gained one; count them."""
    from hotline.triage.services import report_triage_refresh

    if not found:
        return 0
    existing: set[tuple[int, int, str]] = set()
    for keys in _batched(list(found)):
        existing.update(
            ReportMatch.objects.filter(
                report_id__in={report_id for report_id, _, _ in keys},
                entry_id__in={entry_id for _, entry_id, _ in keys},
            ).values_list("report_id", "entry_id", "query_value")
        )
    new = [key for key in found if key not in existing]
    # ignore_conflicts: a report's own pipeline may store the same match meanwhile.
    ReportMatch.objects.bulk_create(
        [
            ReportMatch(
                report_id=report_id,
                entry_id=entry_id,
                query_value=value,
                hash_type=found[report_id, entry_id, value][0],
                distance=found[report_id, entry_id, value][1],
            )
            for report_id, entry_id, value in new
        ],
        ignore_conflicts=True,
    )
    for report_id in sorted({report_id for report_id, _, _ in new}):
        report_triage_refresh(report_id=report_id)
    return len(new)


def _finish(job: RematchJob, state: str) -> None:
    job.state = state
    job.finished_at = timezone.now()


def _batched[T](items: list[T], size: int = 5000) -> Iterator[list[T]]:
    """Yield slices small enough for an IN list on either database."""
    for start in range(0, len(items), size):
        yield items[start : start + size]
