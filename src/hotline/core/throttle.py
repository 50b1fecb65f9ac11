"""In-memory rate limits (per process), keyed by what the caller chooses - never an address.

Public pages key them on the client token (hotline.core.middleware), a report, or nothing
(a global bucket); see hotline.intake.flood and docs/decisions/flood-control.md.
"""

from __future__ import annotations

import os
import threading
import time

from django.core.cache import cache


def limit_from_env(name: str, default: int) -> int:
    """Read a per-window limit from the environment (the benchmarks raise them)."""
    return int(os.environ.get(name, str(default)))


def throttle_spend(*, key: str, cost: int, limit: int, window_seconds: int) -> int:
    """Add `cost` to `key`'s count in the current window; return 0, or the seconds to wait.

    For callers that know who is asking (a partner), or that count units other than requests.
    Refused attempts count too, so hammering does not get through sooner.
    """
    now = time.time()
    bucket = int(now // window_seconds)
    cache_key = f"throttle:{key}:{bucket}"
    if cache.add(cache_key, cost, timeout=window_seconds + 1):
        count = cost
    else:
        try:
            count = cache.incr(cache_key, cost)
        except ValueError:  # expired between add and incr
            cache.add(cache_key, cost, timeout=window_seconds + 1)
            count = cost
    if count <= limit:
        return 0
    return max(1, int((bucket + 1) * window_seconds - now + 0.999))


# Counters of the few buckets shared by every client, held outside the cache: the cache culls
# entries when it is full, and a flood of distinct clients or spent proofs must not be able to
# evict the count that bounds them all.
_shared_lock = threading.Lock()
_shared_counts: dict[str, tuple[int, int]] = {}  # key -> (window number, count)


def throttle_spend_shared(*, key: str, cost: int, limit: int, window_seconds: int) -> int:
    """Like throttle_spend, for a fixed key shared by every client (never evicted)."""
    now = time.time()
    bucket = int(now // window_seconds)
    with _shared_lock:
        window, count = _shared_counts.get(key, (bucket, 0))
        count = (count if window == bucket else 0) + cost
        _shared_counts[key] = (bucket, count)
    if count <= limit:
        return 0
    return max(1, int((bucket + 1) * window_seconds - now + 0.999))


def throttle_reset() -> None:
    """Forget every count (tests; the cache's own counts go with cache.clear())."""
    with _shared_lock:
        _shared_counts.clear()
    cache.clear()
