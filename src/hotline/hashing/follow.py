"""Keep a host's PDQ index up to date with the database, which every host shares.

Each web or worker host has its own data directory, so its own index files; a hash added
through another host reaches this host's index only through the database. Before matching,
a process follows the bank entries in id order from the highest id its index has absorbed
(one indexed query) and appends the PDQ values it has not seen.

Ids are not committed in id order (PostgreSQL hands them out before commit; a rolled-back or
conflicting insert leaves a permanent gap), so "everything up to the highest id seen" is not
yet safe: a transaction still open may commit a lower id later. The window of ids above the
settled watermark is therefore re-checked (count and sum of its ids, one indexed query) every
few seconds, re-read when they change, and settled only once its newest id has been known for
HASHING_FOLLOW_SETTLE_SECONDS. See docs/decisions/match-index.md.

State, in the index directory (shared by the processes of one host): FOLLOW (JSON, replaced
atomically) under follow.lock.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.db import connection
from django.db.models import Count, Max, Sum
from django.utils import timezone

from hotline.hashing.index import MihIndex
from hotline.hashing.index.mih import staged_file
from hotline.hashing.models import BankEntry, HashType

STATE_FILE = "FOLLOW"
# A transaction that adds bank entries and stays open longer than this after a later id was
# seen may be missed by other hosts (then `hotline hashindex --rebuild` there).
SETTLE_SECONDS = 3600.0
CHECK_SECONDS = 10.0
_BATCH = 20_000
# Up to this many new values are looked up first (about 0.3 ms each) so that a value this host
# already added is not appended again; larger batches are appended (compaction de-duplicates).
_SKIP_KNOWN_UPTO = 1000


@dataclass
class Segment:
    """Ids in (previous segment's high, high], seen as `count` rows summing to `total`."""

    high: int
    seen_at: float  # when the segment's first id was seen (all of it within one check interval)
    count: int = 0
    total: int = 0


@dataclass
class FollowState:
    """How far this host's index has absorbed the bank entries."""

    settled: int = 0  # every entry with id <= settled is in the index, and none can appear
    segments: list[Segment] = field(default_factory=list)  # the unsettled window, oldest first
    checked_at: float = 0.0

    @property
    def high(self) -> int:
        return self.segments[-1].high if self.segments else self.settled

    def window(self) -> tuple[int, int]:
        return sum(s.count for s in self.segments), sum(s.total for s in self.segments)


def _settle_seconds() -> float:
    return float(getattr(settings, "HASHING_FOLLOW_SETTLE_SECONDS", SETTLE_SECONDS))


def _check_seconds() -> float:
    return float(getattr(settings, "HASHING_FOLLOW_CHECK_SECONDS", CHECK_SECONDS))


@contextlib.contextmanager
def follow_lock(directory: Path) -> Iterator[None]:
    """Hold the host-wide lock of the follow state (one follower per host at a time)."""
    directory.mkdir(parents=True, exist_ok=True)
    with (directory / "follow.lock").open("a") as f:
        fcntl.flock(f.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f.fileno(), fcntl.LOCK_UN)


def follow_state_read(directory: Path) -> FollowState | None:
    """Return the follow state, or None if there is none (or it is unreadable: rebuild)."""
    try:
        raw = json.loads((directory / STATE_FILE).read_text(encoding="ascii"))
        return FollowState(
            settled=int(raw["settled"]),
            segments=[Segment(**s) for s in raw["segments"]],
            checked_at=float(raw["checked_at"]),
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _state_write(directory: Path, state: FollowState) -> None:
    # Written after the index additions it records are durable: a lost or older state only
    # makes the next follow add some values again, which costs nothing in results.
    with staged_file(directory / STATE_FILE) as f:
        f.write(json.dumps(asdict(state)).encode("ascii"))


def _pdq_values(rows: list[tuple[int, str, str]]) -> list[str]:
    return [value for _, hash_type, value in rows if hash_type == HashType.PDQ]


def follow_build(directory: Path) -> int:
    """Build the index from every PDQ entry and start following after them (follow lock held).

    Return the number of distinct hashes. Entries older than the settle time are settled at
    once; the newer ones form the window that later follows re-check.
    """
    now = time.time()
    cutoff = timezone.now() - timedelta(seconds=_settle_seconds())
    settled = BankEntry.objects.filter(added_at__lt=cutoff).aggregate(m=Max("id"))["m"] or 0
    # The window's ids before the values: an entry committed in between is then either among
    # the values (an extra value) or missing from the window's count (re-read at the next check).
    recent = list(BankEntry.objects.filter(id__gt=settled).values_list("id", flat=True))
    values = list(
        BankEntry.objects.filter(hash_type=HashType.PDQ).values_list("value", flat=True).distinct()
    )
    MihIndex.build(directory, values)
    state = FollowState(settled=settled, checked_at=now)
    if recent:
        state.segments.append(Segment(max(recent), now, len(recent), sum(recent)))
    _state_write(directory, state)
    return len(values)


def follow_database(index: MihIndex) -> int:
    """Append to `index` the PDQ values of entries it has not absorbed; return how many.

    When nothing is new and no re-check of the window is due, this costs one file read and one
    indexed query, without locking. A lost or damaged state rebuilds the index from the database.
    """
    directory = index.directory
    state = follow_state_read(directory)
    if state is not None:
        check_due = bool(state.segments) and time.time() - state.checked_at >= _check_seconds()
        if not check_due and not _any_entry_above(state.high):
            return 0
    with follow_lock(directory):
        if follow_state_read(directory) is None:
            # The state file was lost or damaged: what the index absorbed is unknown.
            follow_build(directory)
            return 0
        return _follow_locked(index)


def _any_entry_above(high: int) -> bool:
    # Plain SQL: building the ORM query cost more than running it (the common case: nothing).
    # ORDER BY makes PostgreSQL walk the primary key; without it, it may scan the whole table
    # hoping to meet a row early, and find none (measured: 35 ms at 100,000 entries).
    with connection.cursor() as cursor:
        cursor.execute("SELECT id FROM hashing_bankentry WHERE id > %s ORDER BY id LIMIT 1", [high])
        return cursor.fetchone() is not None


def _follow_locked(index: MihIndex) -> int:
    directory = index.directory
    state = follow_state_read(directory)
    assert state is not None  # checked under the same lock
    now = time.time()
    changed = False
    added = 0
    # 1. New ids above the highest seen: one indexed query (usually returning nothing).
    while True:
        rows = list(
            BankEntry.objects.filter(id__gt=state.high)
            .order_by("id")
            .values_list("id", "hash_type", "value")[:_BATCH]
        )
        if not rows:
            break
        values = _pdq_values(rows)
        if len(values) <= _SKIP_KNOWN_UPTO:
            # Usually this host added them itself a moment ago (services add eagerly).
            values = [v for v in values if not index.query(v, threshold=0)]
        index.add(values)
        added += len(values)
        ids = [entry_id for entry_id, _, _ in rows]
        last = state.segments[-1] if state.segments else None
        if last is not None and now - last.seen_at < _check_seconds():
            # One segment per check interval, so the window stays a few hundred segments;
            # seen_at stays the segment's first sight (settling waits one interval more).
            last.high = ids[-1]
            last.count += len(ids)
            last.total += sum(ids)
        else:
            state.segments.append(Segment(ids[-1], now, len(ids), sum(ids)))
        changed = True
        if len(rows) < _BATCH:
            break
    # 2. Every few seconds, the unsettled window: did an id below the highest appear late?
    if state.segments and now - state.checked_at >= _check_seconds():
        found = BankEntry.objects.filter(id__gt=state.settled, id__lte=state.high).aggregate(
            n=Count("id"), s=Sum("id")
        )
        if (int(found["n"]), int(found["s"] or 0)) != state.window():
            added += _reread_window(index, state)
        # Segments whose newest id has been known for the settle time are settled.
        while state.segments and now - state.segments[0].seen_at >= (
            _settle_seconds() + _check_seconds()
        ):
            state.settled = state.segments.pop(0).high
        state.checked_at = now
        changed = True
    if changed:
        _state_write(directory, state)
    return added


def _reread_window(index: MihIndex, state: FollowState) -> int:
    """Absorb every entry of the unsettled window again and recount its segments."""
    rows = list(
        BankEntry.objects.filter(id__gt=state.settled, id__lte=state.high)
        .order_by("id")
        .values_list("id", "hash_type", "value")
    )
    values = _pdq_values(rows)
    index.add(values)  # values already there are repeated: harmless, compaction drops them
    at = 0
    for segment in state.segments:
        ids = []
        while at < len(rows) and rows[at][0] <= segment.high:
            ids.append(rows[at][0])
            at += 1
        segment.count, segment.total = len(ids), sum(ids)
    return len(values)
