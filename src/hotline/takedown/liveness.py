"""Run many safe liveness checks at once, with a bound on how many are in flight.

The fetcher (hotline.takedown.fetcher) uses blocking sockets and spends its time waiting on
the network, so a thread pool runs checks side by side: each thread holds one check, under
the fetcher's own deadline, and the number of threads bounds the open sockets. Asyncio would
need the same threads (`asyncio.to_thread`) around a blocking fetcher; see
docs/decisions/takedown-rechecks.md for the measurement.

Memory stays flat whatever the number of items: they are read lazily from an iterator, at
most `in_flight` checks are submitted at a time, and results are handed on in batches as they
finish (never a list of all results). Threads only check; they never touch the database, so
the caller writes each batch from one thread, in one transaction.
"""

from __future__ import annotations

import queue
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TypeVar

from hotline.takedown.fetcher import FetchPolicy, LivenessResult, Outcome, check_liveness

Item = TypeVar("Item")

# Checks waiting on the network at once. 64 threads cost little memory (a stack each) and keep
# a run of 10,000 checks with slow hosts well inside a minute (benchmarks/liveness.py).
DEFAULT_CONCURRENCY = 64
DEFAULT_BATCH = 500
# A batch is handed on after this long even if not full: with slow hosts, what was found is
# recorded as the run goes, and a killed run loses little.
DEFAULT_BATCH_SECONDS = 2.0


@dataclass(frozen=True)
class Checked[Item]:
    """One item and what its check found."""

    item: Item
    result: LivenessResult


def _safe_check(
    url: str, policy: FetchPolicy, check: Callable[[str, FetchPolicy], LivenessResult]
) -> LivenessResult:
    try:
        return check(url, policy)
    except Exception as exc:  # noqa: BLE001 - one odd URL must not end a run of thousands
        return LivenessResult(
            outcome=Outcome.ERROR, status=None, reason=f"the check failed: {type(exc).__name__}"
        )


def check_many[Item](
    items: Iterable[Item],
    url_of: Callable[[Item], str],
    policy: FetchPolicy,
    *,
    concurrency: int = DEFAULT_CONCURRENCY,
    batch_size: int = DEFAULT_BATCH,
    batch_seconds: float = DEFAULT_BATCH_SECONDS,
    check: Callable[[str, FetchPolicy], LivenessResult] = check_liveness,
) -> Iterator[list[Checked[Item]]]:
    """Check each item's URL; yield the results in batches (`batch_size` results, or what
    finished within `batch_seconds`), in the order the checks finish. At most `concurrency`
    checks run at once, and at most twice that many items are read ahead of the results."""
    concurrency = max(1, concurrency)
    batch_size = max(1, batch_size)
    in_flight_limit = 2 * concurrency
    source = iter(items)
    # Finished checks arrive on a queue (O(1) each); `concurrent.futures.wait` over every
    # pending future costs O(in flight) per completion, which showed at 128 threads.
    finished: queue.SimpleQueue[Checked[Item]] = queue.SimpleQueue()
    in_flight = 0
    batch: list[Checked[Item]] = []
    exhausted = False
    batch_started = time.monotonic()

    def run(item: Item, url: str) -> None:
        finished.put(Checked(item=item, result=_safe_check(url, policy, check)))

    with ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="liveness") as pool:
        while in_flight or not exhausted:
            while not exhausted and in_flight < in_flight_limit:
                try:
                    item = next(source)
                except StopIteration:
                    exhausted = True
                    break
                pool.submit(run, item, url_of(item))
                in_flight += 1
            if not in_flight:
                break
            if not batch:  # a batch's time runs from its first result
                batch_started = time.monotonic()
            wait_for = max(0.0, batch_started + batch_seconds - time.monotonic())
            try:
                batch.append(finished.get(timeout=wait_for))
                in_flight -= 1
                while len(batch) < batch_size:  # whatever else finished meanwhile
                    batch.append(finished.get_nowait())
                    in_flight -= 1
            except queue.Empty:
                pass  # nothing more finished within this batch's time: write what there is
            full = len(batch) >= batch_size
            if batch and (full or time.monotonic() - batch_started >= batch_seconds):
                yield batch
                batch = []
                batch_started = time.monotonic()
    if batch:
        yield batch
