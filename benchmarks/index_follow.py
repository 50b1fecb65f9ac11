"""What following the database costs each PDQ match (several web hosts, issue 9).

    .venv/bin/python benchmarks/index_follow.py                      # SQLite, 100,000 entries
    .venv/bin/python benchmarks/index_follow.py --db postgres --entries 1000000

Builds a bank of random PDQ entries in a throwaway database, then times one PDQ match
(`hashing.selectors.match_hashes`, which follows the database first) against the same match
without following (the baseline: the index query and the database filter only), in the same
run; then how long a hash added by another host takes to become matchable here, and what a
follow costs when a 10,000-hash list was imported elsewhere.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from intake import Database, base_env, manage

PYTHON = sys.executable


def child(entries: int) -> None:
    """Run inside a Django process and print the figures."""
    import django

    django.setup()
    import numpy as np
    from django.conf import settings

    from hotline.hashing import selectors, services
    from hotline.hashing.models import BankCategory, BankEntry, HashType

    rng = np.random.default_rng(1)
    bank = services.bank_create(name="bench", category=BankCategory.CSAM)
    rows = rng.integers(0, 256, size=(entries, 32), dtype=np.uint8)
    values = [r.tobytes().hex() for r in rows]
    for start in range(0, entries, 10_000):
        BankEntry.objects.bulk_create(
            BankEntry(bank=bank, hash_type=HashType.PDQ, value=v)
            for v in values[start : start + 10_000]
        )
    settings.HASHING_INDEX_DIR = Path(settings.DATA_DIR) / "host-a"
    start_s = time.perf_counter()
    services.pdq_index()
    print(f"| build host index from {entries:,} entries | {time.perf_counter() - start_s:.2f} s |")
    queries = values[:300]

    def timed_ms(fn: object) -> list[float]:
        out = []
        for q in queries:
            t = time.perf_counter()
            fn(q)  # type: ignore[operator]
            out.append((time.perf_counter() - t) * 1e3)
        return out

    following = selectors.pdq_index_follow

    def without_follow(q: str) -> None:
        # The same match with the index as it was before following existed (the baseline).
        selectors.pdq_index_follow = services.pdq_index  # type: ignore[assignment]
        try:
            selectors.match_hashes(pdq=[q])
        finally:
            selectors.pdq_index_follow = following  # type: ignore[assignment]

    settings.HASHING_FOLLOW_CHECK_SECONDS = 10
    timed_ms(lambda q: selectors.match_hashes(pdq=[q]))  # warm up
    for _ in range(2):  # interleaved rounds: the machine may be shared
        base = timed_ms(without_follow)
        follow = timed_ms(lambda q: selectors.match_hashes(pdq=[q]))
        print(
            f"| one PDQ match: median without following / with | "
            f"{statistics.median(base):.3f} ms / {statistics.median(follow):.3f} ms |"
        )
    settings.HASHING_FOLLOW_CHECK_SECONDS = 0
    window = timed_ms(lambda q: services.pdq_index_follow())
    median = statistics.median(window)
    print(f"| follow with the window re-check on every call: median | {median:.3f} ms |")
    settings.HASHING_FOLLOW_CHECK_SECONDS = 10
    # Another host adds one hash (twice: the first also loads the delta-scan kernel), then
    # 10,000: time until this host matches them.
    for _ in range(2):
        new = rng.integers(0, 256, 32, dtype=np.uint8).tobytes().hex()
        BankEntry.objects.create(bank=bank, hash_type=HashType.PDQ, value=new)
        t = time.perf_counter()
        assert selectors.match_hashes(pdq=[new], threshold=0)
        took = (time.perf_counter() - t) * 1e3
    print(f"| hash added elsewhere → matched here (one call) | {took:.2f} ms |")
    more = [r.tobytes().hex() for r in rng.integers(0, 256, size=(10_000, 32), dtype=np.uint8)]
    BankEntry.objects.bulk_create(
        BankEntry(bank=bank, hash_type=HashType.PDQ, value=v) for v in more
    )
    t = time.perf_counter()
    assert selectors.match_hashes(pdq=[more[-1]], threshold=0)
    took = (time.perf_counter() - t) * 1e3
    print(f"| 10,000 hashes imported elsewhere → first match here | {took:.0f} ms |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--postgres-url", default="postgres://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.entries)
        return
    with tempfile.TemporaryDirectory(prefix="follow-bench-") as tmp:
        db = Database(args.db, Path(tmp), args.postgres_url)
        env = base_env(db, access_log=False)
        manage(env, "hotline.settings", "migrate", "-v0")
        print(f"\n{args.db}, {args.entries:,} PDQ entries\n\n| figure | value |\n| --- | --- |")
        subprocess.run(
            [PYTHON, __file__, "--child", "--entries", str(args.entries)],
            env={**env, "DJANGO_SETTINGS_MODULE": "hotline.settings"},
            check=True,
        )
        if args.db == "postgres":
            db.drop()


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    main()
