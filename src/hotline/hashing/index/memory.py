"""An in-memory multi-index over a small set of PDQ hashes, queried by many hashes at once.

Used by the rematch after a hash list import (hotline.hashing.rematch): the imported list (say
100,000 hashes) is indexed in memory and every reported hash (say 1,000,000) is looked up in it,
a batch of thousands per kernel call so the per-query cost is the search itself, not Python.

Same layout and search as the on-disk MihIndex (rows sorted by 16-bit substring 0, bucket
offsets and row ids for the other 15 substrings; the per-query kernel is shared), built in
memory in well under a second for 100,000 hashes and never written anywhere.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

import numpy as np
from numba import njit

from hotline.hashing.index import _kernels
from hotline.hashing.index.base import (
    DEFAULT_THRESHOLD,
    PDQ_BYTES,
    as_rows,
    check_threshold,
)

N_TABLES: Final = 16
N_KEYS: Final = 1 << 16


@njit(cache=True, nogil=True, boundscheck=False)
def _query_batch(
    hashes64: np.ndarray,
    hashes16: np.ndarray,
    offsets: np.ndarray,
    ids: np.ndarray,
    queries64: np.ndarray,
    queries16: np.ndarray,
    threshold: int,
    masks: np.ndarray,
    radius: int,
    order: np.ndarray,
    out_query: np.ndarray,
    out_pos: np.ndarray,
    out_dist: np.ndarray,
) -> int:
    """Search every query; write (query, row, distance) triples; return the total found.

    The multi-index search of _kernels.mih_query, table by table for the whole batch rather
    than query by query: one table's bucket offsets (256 KiB) stay in the CPU cache while every
    query probes it, where query by query each probe reads another of 16 tables (4 MiB). A row
    is reported only from the first table whose substring is within `radius` of the query's
    (as in mih_query), so each pair comes out once whatever the loop order. When the total
    exceeds the output capacity the caller runs again with room for all.
    """
    cap = out_pos.shape[0]
    n_out = 0
    n_tables = offsets.shape[0]
    for t in range(n_tables):
        for k in range(queries64.shape[0]):
            qi = order[t, k]
            qc = queries16[qi, t]
            for m in range(masks.shape[0]):
                key = qc ^ masks[m]
                start = offsets[t, key]
                end = offsets[t, key + 1]
                for j in range(start, end):
                    pos = j if t == 0 else ids[t - 1, j]
                    # Most candidates are far: stop at the first word that already exceeds.
                    d = _kernels.popcount64(hashes64[pos, 0] ^ queries64[qi, 0])
                    if d > threshold:
                        continue
                    d += _kernels.popcount64(hashes64[pos, 1] ^ queries64[qi, 1])
                    if d > threshold:
                        continue
                    d += _kernels.popcount64(
                        hashes64[pos, 2] ^ queries64[qi, 2]
                    ) + _kernels.popcount64(hashes64[pos, 3] ^ queries64[qi, 3])
                    if d > threshold:
                        continue
                    first = True
                    for s in range(t):
                        if (
                            _kernels.popcount64(np.uint64(hashes16[pos, s] ^ queries16[qi, s]))
                            <= radius
                        ):
                            first = False
                            break
                    if first:
                        if n_out < cap:
                            out_query[n_out] = qi
                            out_pos[n_out] = pos
                            out_dist[n_out] = d
                        n_out += 1
    return n_out


def _masks(radius: int) -> np.ndarray:
    """Return every 16-bit mask with at most `radius` bits set."""
    keys = np.arange(N_KEYS, dtype=np.uint32)
    return keys[np.bitwise_count(keys) <= radius].astype(np.uint16)


class MemoryMihIndex:
    """An immutable multi-index over (N, 32) PDQ rows held in memory.

    `rows[i]` of the result arrays refer to the order given to the constructor, so a caller can
    keep its own list of what each hash stands for (a bank entry id).
    """

    def __init__(self, hashes: Sequence[str | bytes] | np.ndarray) -> None:
        given = as_rows(hashes)
        if given.shape[0] >= 2**32 - 1:
            raise ValueError("An in-memory index holds at most 2**32 - 2 hashes.")
        # Table 0 is the row order itself (sorted by substring 0), as in the on-disk index.
        order = np.argsort(given.view(np.uint16)[:, 0], kind="stable")
        self._order = order.astype(np.int64)
        self._rows = np.ascontiguousarray(given[order])
        count = self._rows.shape[0]
        chunks = self._rows.view(np.uint16)
        self._offsets = np.zeros((N_TABLES, N_KEYS + 1), dtype=np.uint32)
        self._ids = np.empty((N_TABLES - 1, count), dtype=np.uint32)
        for t in range(N_TABLES):
            counts = np.bincount(chunks[:, t], minlength=N_KEYS)
            np.cumsum(counts, out=self._offsets[t, 1:])
            if t:
                keys = np.ascontiguousarray(chunks[:, t])
                _kernels.bucket_ids(keys, self._offsets[t], self._ids[t - 1])
        self._rows64 = self._rows.view(np.uint64)
        self._rows16 = self._rows.view(np.uint16)

    def __len__(self) -> int:
        return int(self._rows.shape[0])

    def query_batch(
        self, queries: Sequence[str | bytes] | np.ndarray, *, threshold: int = DEFAULT_THRESHOLD
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Return (query number, row number, distance) of every pair within `threshold` bits.

        Row numbers are positions in the hashes given to the constructor.
        """
        check_threshold(threshold)
        # A writable C-contiguous copy: a read-only array (np.frombuffer) is another type to
        # numba, which would compile and cache the kernel a second time.
        q = np.array(as_rows(queries), dtype=np.uint8, order="C", copy=True)
        empty = np.empty(0, dtype=np.int64)
        if q.shape[0] == 0 or self._rows.shape[0] == 0:
            return empty, empty, empty
        radius = threshold // N_TABLES
        masks = _masks(radius)
        q64 = q.view(np.uint64).reshape(-1, PDQ_BYTES // 8)
        q16 = q.view(np.uint16).reshape(-1, PDQ_BYTES // 2)
        # Each table visits the queries in the order of their substring: neighbouring buckets.
        order = np.ascontiguousarray(np.argsort(q16, axis=0, kind="stable").T.astype(np.int64))
        cap = max(256, q.shape[0] // 8)
        while True:
            out_query = np.empty(cap, dtype=np.int64)
            out_pos = np.empty(cap, dtype=np.int64)
            out_dist = np.empty(cap, dtype=np.int64)
            n = int(
                _query_batch(
                    self._rows64, self._rows16, self._offsets, self._ids,
                    q64, q16, threshold, masks, radius, order, out_query, out_pos, out_dist,
                )
            )  # fmt: skip
            if n <= cap:
                break
            cap = n
        return out_query[:n], self._order[out_pos[:n]], out_dist[:n]
