"""Benchmark PDQ matching: our multi-index-hashing index against numpy and faiss.

    .venv/bin/python benchmarks/matching.py            # 1M and 10M hashes (about 5 minutes)
    .venv/bin/python benchmarks/matching.py --sizes 100000

Random 256-bit hashes; queries are near-duplicates of indexed hashes (0-31 flipped bits) and
random hashes. Results of every method are compared with exact brute force; figures are printed
as a Markdown table with the issue's targets at the largest size.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from hotline.hashing.index import BruteForceIndex, MihIndex
from hotline.hashing.index.mih import N_TABLES

THRESHOLD = 31


def flip(rows: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Return copies of rows with 0..THRESHOLD random bits flipped each."""
    out = rows.copy()
    for row in out:
        for bit in rng.choice(256, size=int(rng.integers(0, THRESHOLD + 1)), replace=False):
            row[bit // 8] ^= np.uint8(1 << (bit % 8))
    return out


def timed(fn: Callable[[], object]) -> tuple[float, object]:
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def per_query_ms(fn: Callable[[bytes], object], queries: list[bytes]) -> list[float]:
    times = []
    for q in queries:
        start = time.perf_counter()
        fn(q)
        times.append((time.perf_counter() - start) * 1e3)
    return times


def as_set(matches: object) -> set[tuple[str, int]]:
    return {(m.pdq_hex, m.distance) for m in matches}  # type: ignore[attr-defined]


def faiss_sets(lims: np.ndarray, dist: np.ndarray, ids: np.ndarray, rows: np.ndarray) -> list:
    out = []
    for i in range(len(lims) - 1):
        sl = slice(lims[i], lims[i + 1])
        out.append(
            {(rows[j].tobytes().hex(), int(d)) for j, d in zip(ids[sl], dist[sl], strict=True)}
        )
    return out


def bench(n: int, rng: np.random.Generator, workdir: Path, n_queries: int) -> dict[str, float]:
    print(f"\n## {n:,} hashes\n", flush=True)
    rows = rng.integers(0, 256, size=(n, 32), dtype=np.uint8)
    near = flip(rows[rng.integers(0, n, size=n_queries // 2)], rng)
    far = rng.integers(0, 256, size=(n_queries - n_queries // 2, 32), dtype=np.uint8)
    qarr = np.concatenate([near, far])
    queries = [q.tobytes() for q in qarr]
    fig: dict[str, float] = {}

    # -- ours -------------------------------------------------------------------------------
    build_s, index = timed(lambda: MihIndex.build(workdir / f"mih-{n}", rows))
    assert isinstance(index, MihIndex)
    index.query(queries[0])  # JIT / cache load, not timed
    ours = per_query_ms(index.query, queries)
    batch_s, ours_results = timed(lambda: index.query_many(queries))
    assert isinstance(ours_results, list)
    fig.update(
        ours_build_s=build_s,
        ours_median_ms=statistics.median(ours),
        ours_p99_ms=float(np.percentile(ours, 99)),
        ours_qps_single=1e3 / statistics.mean(ours),
        ours_qps_batch=len(queries) / batch_s,
        ours_bytes_per_hash=index.base_bytes / n,
    )
    reopen_s, reopened = timed(lambda: MihIndex(workdir / f"mih-{n}"))
    assert isinstance(reopened, MihIndex)
    first_s, _ = timed(lambda: reopened.query(queries[0]))
    fig.update(ours_reopen_s=reopen_s + first_s)
    new = rng.integers(0, 256, size=32, dtype=np.uint8).tobytes()
    other = MihIndex(workdir / f"mih-{n}")  # stands for another process on the same files
    add_s, _ = timed(lambda: (index.add([new]), other.query(new)))
    assert [m.distance for m in other.query(new)] == [0]
    fig.update(ours_add_to_match_ms=add_s * 1e3)
    # Delta scan cost after 100k unmerged adds (before a compaction).
    index.add(rng.integers(0, 256, size=(100_000, 32), dtype=np.uint8))
    fig.update(
        ours_median_ms_with_100k_delta=statistics.median(per_query_ms(index.query, queries[:300]))
    )

    # -- numpy brute force (exact reference) ------------------------------------------------
    brute = BruteForceIndex()
    brute._rows = rows  # avoids a 10M-element hex round trip
    sample = queries[:100] + queries[-100:]
    numpy_ms = per_query_ms(brute.query, sample[:20])
    fig.update(numpy_median_ms=statistics.median(numpy_ms))
    exact = [as_set(brute.query(q)) for q in sample]
    ours_by_q = dict(zip(queries, ours_results, strict=True))
    agree = sum(as_set(ours_by_q[q]) == e for q, e in zip(sample, exact, strict=True))
    fig.update(ours_recall_vs_numpy=agree / len(sample), sample_matches=sum(map(len, exact)))

    # -- faiss ------------------------------------------------------------------------------
    try:
        import faiss
    except ImportError:
        print("faiss-cpu not installed: skipping faiss (pip install faiss-cpu)")
        return fig
    flat = faiss.IndexBinaryFlat(256)
    fig["faiss_flat_build_s"], _ = timed(lambda: flat.add(rows))
    flat_ms = per_query_ms(
        lambda q: flat.range_search(np.frombuffer(q, np.uint8)[None], THRESHOLD + 1), sample[:50]
    )
    fig.update(faiss_flat_median_ms=statistics.median(flat_ms))
    lims, dist, ids = flat.range_search(
        np.frombuffer(b"".join(sample), np.uint8).reshape(-1, 32), THRESHOLD + 1
    )
    flat_sets = faiss_sets(lims, dist, ids, rows)
    fig.update(
        faiss_flat_recall=sum(a == b for a, b in zip(flat_sets, exact, strict=True)) / len(sample)
    )

    # What Hasher-Matcher-Actioner uses: 16 substrings of 16 bits, flipping threshold // 16 bits.
    multi = faiss.IndexBinaryMultiHash(256, N_TABLES, 256 // N_TABLES)
    multi.nflip = THRESHOLD // N_TABLES
    fig["faiss_multihash_build_s"], _ = timed(lambda: multi.add(rows))
    multi_ms = per_query_ms(
        lambda q: multi.range_search(np.frombuffer(q, np.uint8)[None], THRESHOLD + 1), queries[:300]
    )
    fig.update(faiss_multihash_median_ms=statistics.median(multi_ms))
    batch_s, (lims, dist, ids) = timed(lambda: multi.range_search(qarr, THRESHOLD + 1))
    fig.update(faiss_multihash_qps_batch=len(queries) / batch_s)
    lims, dist, ids = multi.range_search(
        np.frombuffer(b"".join(sample), np.uint8).reshape(-1, 32), THRESHOLD + 1
    )
    multi_sets = faiss_sets(lims, dist, ids, rows)
    fig.update(
        faiss_multihash_recall=sum(a == b for a, b in zip(multi_sets, exact, strict=True))
        / len(sample)
    )
    fig.update(faiss_multihash_bytes_per_hash=len(faiss.serialize_index_binary(multi)) / n)
    fig.update(faiss_flat_bytes_per_hash=len(faiss.serialize_index_binary(flat)) / n)
    return fig


def report(n: int, fig: dict[str, float]) -> None:
    for key, value in fig.items():
        print(f"| {key} | {value:,.4g} |")
    if "faiss_multihash_median_ms" not in fig:
        return
    print(f"\nTargets at {n:,} hashes:")
    checks = [
        ("median one query < 1 ms", fig["ours_median_ms"] < 1.0, f"{fig['ours_median_ms']:.3f} ms"),
        (
            ">= 20x faster than faiss IndexBinaryMultiHash",
            fig["faiss_multihash_median_ms"] / fig["ours_median_ms"] >= 20,
            f"{fig['faiss_multihash_median_ms'] / fig['ours_median_ms']:.1f}x",
        ),
        (
            ">= 40x faster than numpy brute force",
            fig["numpy_median_ms"] / fig["ours_median_ms"] >= 40,
            f"{fig['numpy_median_ms'] / fig['ours_median_ms']:.0f}x",
        ),
        (
            "<= 96 bytes per hash",
            fig["ours_bytes_per_hash"] <= 96,
            f"{fig['ours_bytes_per_hash']:.1f} B",
        ),
        ("build < 60 s", fig["ours_build_s"] < 60, f"{fig['ours_build_s']:.1f} s"),
        (
            "recall 1.0 vs brute force",
            fig["ours_recall_vs_numpy"] == 1.0,
            f"{fig['ours_recall_vs_numpy']}",
        ),
        (
            "new hash matchable < 1 s",
            fig["ours_add_to_match_ms"] < 1000,
            f"{fig['ours_add_to_match_ms']:.1f} ms",
        ),
    ]
    for name, ok, value in checks:
        print(f"- [{'PASS' if ok else 'MISS'}] {name}: {value}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument("--queries", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    with tempfile.TemporaryDirectory(prefix="pdq-bench-") as tmp:
        for n in args.sizes:
            report(n, bench(n, rng, Path(tmp), args.queries))


if __name__ == "__main__":
    main()
