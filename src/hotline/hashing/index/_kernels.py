"""Compiled inner loops of the PDQ match index (numba, compiled on first use and cached)."""

from __future__ import annotations

import os
from typing import Any

from hotline.config import data_dir

# numba caches compiled kernels next to the source by default, which an installed (read-only)
# package does not allow, and without any writable cache location `cache=True` fails at import.
# The data directory is writable by every hotline process. Must be set before numba is imported.
os.environ.setdefault("NUMBA_CACHE_DIR", str(data_dir() / "cache" / "numba"))

import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.core import cgutils
from numba.extending import intrinsic

# numba compiles these at first call (about a second) and caches the machine code in
# NUMBA_CACHE_DIR, so later processes start fast.
_JIT: dict[str, Any] = {"cache": True, "nogil": True, "boundscheck": False}
# Rows are fetched in random order from a file far larger than the CPU caches; asking for the row
# this many candidates ahead hides most of the memory latency (measured: 1.05 -> 0.60 ms at 10M).
PREFETCH_AHEAD = 16


@intrinsic
def _prefetch_row(typingctx: Any, array: Any, row: Any) -> Any:
    """Hint the CPU to load row `row` of a 2-D array into cache (LLVM's prefetch intrinsic)."""
    sig = types.void(array, row)

    def codegen(context: Any, builder: Any, signature: Any, args: Any) -> Any:
        array_type, row_type = signature.args
        arr = context.make_array(array_type)(context, builder, args[0])
        i = context.cast(builder, args[1], row_type, types.intp)
        zero = context.get_constant(types.intp, 0)
        get_ptr: Any = cgutils.get_item_pointer
        ptr = get_ptr(context, builder, array_type, arr, [i, zero])
        i8p = ir.IntType(8).as_pointer()
        i32 = ir.IntType(32)
        get_fn: Any = cgutils.get_or_insert_function
        fn = get_fn(
            builder.module, ir.FunctionType(ir.VoidType(), [i8p, i32, i32, i32]), "llvm.prefetch.p0"
        )
        # read, no temporal locality, data cache
        builder.call(fn, [builder.bitcast(ptr, i8p), i32(0), i32(0), i32(1)])
        return context.get_dummy_value()

    return sig, codegen


@njit(**_JIT)  # type: ignore[untyped-decorator]
def popcount64(x: np.uint64) -> int:
    """Return the number of set bits (LLVM turns this idiom into one popcnt instruction)."""
    x = x - ((x >> np.uint64(1)) & np.uint64(0x5555555555555555))
    x = (x & np.uint64(0x3333333333333333)) + ((x >> np.uint64(2)) & np.uint64(0x3333333333333333))
    x = (x + (x >> np.uint64(4))) & np.uint64(0x0F0F0F0F0F0F0F0F)
    return int((x * np.uint64(0x0101010101010101)) >> np.uint64(56))


@njit(**_JIT)  # type: ignore[untyped-decorator]
def distance(a: np.ndarray, i: int, q: np.ndarray) -> int:
    """Return the Hamming distance between row `i` of an (N, 4) uint64 array and `q`."""
    total: int = (
        popcount64(a[i, 0] ^ q[0])
        + popcount64(a[i, 1] ^ q[1])
        + popcount64(a[i, 2] ^ q[2])
        + popcount64(a[i, 3] ^ q[3])
    )
    return total


@njit(**_JIT)  # type: ignore[untyped-decorator]
def brute_force(
    hashes64: np.ndarray, q64: np.ndarray, threshold: int, out_pos: np.ndarray, out_dist: np.ndarray
) -> int:
    """Scan every row; write matches to out_*; return the match count (may exceed capacity)."""
    n_out = 0
    cap = out_pos.shape[0]
    for i in range(hashes64.shape[0]):
        d = distance(hashes64, i, q64)
        if d <= threshold:
            if n_out < cap:
                out_pos[n_out] = i
                out_dist[n_out] = d
            n_out += 1
    return n_out


@njit(**_JIT)  # type: ignore[untyped-decorator]
def mih_query(
    hashes64: np.ndarray,
    hashes16: np.ndarray,
    offsets: np.ndarray,
    ids: np.ndarray,
    q64: np.ndarray,
    q16: np.ndarray,
    threshold: int,
    masks: np.ndarray,
    radius: int,
    out_pos: np.ndarray,
    out_dist: np.ndarray,
) -> int:
    """Multi-index hashing search; return the match count (may exceed the out_* capacity).

    Rows are sorted by substring 0, so table 0 is the row order itself and needs no id list;
    table t > 0 lists row ids in `ids[t - 1]`. A row within `threshold` has, by pigeonhole, some
    16-bit substring within `radius` of the query's, so probing every key within `radius` in
    every table finds it. A row found in several tables is kept only in the first one whose
    substring is within `radius`, which makes results unique without a set.
    """
    n_out = 0
    cap = out_pos.shape[0]
    n_tables = offsets.shape[0]
    for t in range(n_tables):
        qc = q16[t]
        for m in range(masks.shape[0]):
            key = qc ^ masks[m]
            start = offsets[t, key]
            end = offsets[t, key + 1]
            for j in range(start, end):
                if t == 0:
                    pos = j  # table 0 is the row order: sequential, no prefetch needed
                else:
                    pos = ids[t - 1, j]
                    if j + PREFETCH_AHEAD < end:
                        _prefetch_row(hashes64, ids[t - 1, j + PREFETCH_AHEAD])  # type: ignore[call-arg]
                # Most candidates are far: stop at the first word that already exceeds.
                d = popcount64(hashes64[pos, 0] ^ q64[0])
                if d > threshold:
                    continue
                d += popcount64(hashes64[pos, 1] ^ q64[1])
                if d > threshold:
                    continue
                d += popcount64(hashes64[pos, 2] ^ q64[2]) + popcount64(hashes64[pos, 3] ^ q64[3])
                if d > threshold:
                    continue
                first = True
                for s in range(t):
                    if popcount64(np.uint64(hashes16[pos, s] ^ q16[s])) <= radius:
                        first = False
                        break
                if first:
                    if n_out < cap:
                        out_pos[n_out] = pos
                        out_dist[n_out] = d
                    n_out += 1
    return n_out


@njit(**_JIT)  # type: ignore[untyped-decorator]
def bucket_ids(keys: np.ndarray, offsets: np.ndarray, out: np.ndarray) -> None:
    """Write row ids grouped by 16-bit key (a counting sort, stable, linear time)."""
    next_slot = offsets[:-1].copy()
    for i in range(keys.shape[0]):
        k = keys[i]
        out[next_slot[k]] = i
        next_slot[k] += 1
