"""In-memory rate limits keyed by the per-process client token (never an address)."""

from __future__ import annotations

import os
import time

from django.core.cache import cache
from django.http import HttpRequest

from hotline.core.middleware import client_token


def limit_from_env(name: str, default: int) -> int:
    """Read a per-window limit from the environment (the benchmarks raise them)."""
    return int(os.environ.get(name, str(default)))


def throttle_exceeded(request: HttpRequest, *, scope: str, limit: int, window_seconds: int) -> bool:
    """Count this request in its window and return True when it is over the limit."""
    bucket = int(time.time() // window_seconds)
    key = f"throttle:{scope}:{client_token(request)}:{bucket}"
    if cache.add(key, 1, timeout=window_seconds + 1):
        count = 1
    else:
        try:
            count = cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.add(key, 1, timeout=window_seconds + 1)
            count = 1
    return count > limit
