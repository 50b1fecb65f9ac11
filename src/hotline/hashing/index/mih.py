"""Multi-index hashing over a memory-mapped file: the production PDQ match index.

Layout of an index directory:

    CURRENT          the live generation number (replaced atomically by rename)
    base-<g>.mih     immutable, memory-mapped: header, hashes sorted by substring 0, bucket
                     offsets of 16 tables, row ids of tables 1..15 (uint32)
    delta-<g>.bin    append-only 32-byte records added since base-<g> was built
    lock             flock() by writers (add, compact); readers never lock

Memory per hash: 32 (hash) + 15 x 4 (row ids) = 92 bytes, plus 4 MiB of bucket offsets.
Every process maps the same base file, so the page cache holds one copy for all of them.
A query re-reads the delta file's new records first (one fstat), so a hash added by any process
is matchable by every process at its next query. `compact` folds the delta into a new base
without blocking adds for longer than a copy of the records added while it was building.
"""

from __future__ import annotations

import fcntl
import os
import struct
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Final

import numpy as np

from hotline.hashing.index import _kernels
from hotline.hashing.index.base import (
    DEFAULT_THRESHOLD,
    PDQ_BYTES,
    InvalidPdqError,
    PdqMatch,
    as_rows,
    check_threshold,
    matches_from_rows,
    pdq_to_bytes,
)

N_TABLES: Final = 16
N_KEYS: Final = 1 << 16
MAGIC: Final = b"OHPDQMI1"
_HEADER = struct.Struct("<8sIIQ")  # magic, version, tables, count
HEADER_SIZE: Final = 64
VERSION: Final = 1
_INITIAL_OUT = 256


class IndexFormatError(Exception):
    """An index file that is not of this format or version."""


def _masks(radius: int) -> np.ndarray:
    """Return every 16-bit mask with at most `radius` bits set."""
    keys = np.arange(N_KEYS, dtype=np.uint32)
    return keys[np.bitwise_count(keys) <= radius].astype(np.uint16)


_MASKS = {r: _masks(r) for r in range(3)}


def _masks_for(threshold: int) -> tuple[np.ndarray, int]:
    radius = threshold // N_TABLES
    if radius not in _MASKS:
        _MASKS[radius] = _masks(radius)
    return _MASKS[radius], radius


class _Base:
    """A memory-mapped immutable base file."""

    def __init__(self, path: Path) -> None:
        size = path.stat().st_size
        with path.open("rb") as f:
            magic, version, tables, count = _HEADER.unpack(f.read(_HEADER.size))
        if magic != MAGIC or version != VERSION or tables != N_TABLES:
            raise IndexFormatError(f"{path} is not a version {VERSION} PDQ index file.")
        expected = HEADER_SIZE + count * PDQ_BYTES + N_TABLES * (N_KEYS + 1) * 4
        expected += (N_TABLES - 1) * count * 4
        if size != expected:
            raise IndexFormatError(f"{path} is truncated or damaged ({size} != {expected} bytes).")
        self.count = int(count)
        self.path = path
        mm = np.memmap(path, dtype=np.uint8, mode="r")
        at = HEADER_SIZE
        self.rows = mm[at : at + self.count * PDQ_BYTES].reshape(self.count, PDQ_BYTES)
        at += self.count * PDQ_BYTES
        self.offsets = mm[at : at + N_TABLES * (N_KEYS + 1) * 4].view(np.uint32)
        self.offsets = self.offsets.reshape(N_TABLES, N_KEYS + 1)
        at += N_TABLES * (N_KEYS + 1) * 4
        self.ids = mm[at:].view(np.uint32).reshape(N_TABLES - 1, self.count)
        self.rows64 = self.rows.view(np.uint64)
        self.rows16 = self.rows.view(np.uint16)

    @property
    def nbytes(self) -> int:
        return self.path.stat().st_size


def write_base(path: Path, rows: np.ndarray) -> None:
    """Write an index base file for (N, 32) uint8 `rows` (de-duplicated here)."""
    rows = as_rows(rows)
    if rows.shape[0] >= 2**32 - 1:
        raise ValueError("A base holds at most 2**32 - 2 hashes.")
    rows = _sorted_unique(rows)
    count = rows.shape[0]
    chunks = rows.view(np.uint16)
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("wb") as f:
        f.write(_HEADER.pack(MAGIC, VERSION, N_TABLES, count).ljust(HEADER_SIZE, b"\0"))
        f.write(rows.data)
        id_lists = []
        offsets = np.zeros((N_TABLES, N_KEYS + 1), dtype=np.uint32)
        for t in range(N_TABLES):
            counts = np.bincount(chunks[:, t], minlength=N_KEYS)
            np.cumsum(counts, out=offsets[t, 1:])
            if t:
                ids = np.empty(count, dtype=np.uint32)
                _kernels.bucket_ids(chunks[:, t], offsets[t], ids)
                id_lists.append(ids)
        f.write(offsets.data)
        for ids in id_lists:
            f.write(ids.data)
        f.flush()
        os.fsync(f.fileno())
    tmp.replace(path)


def _sorted_unique(rows: np.ndarray) -> np.ndarray:
    """Return the rows sorted by substring 0 (so table 0 is the row order), duplicates dropped.

    One sort on a 64-bit key: substring 0 in the top 16 bits, a 48-bit mix of the whole row
    below, so equal rows end up adjacent (a lexicographic sort of the full rows was most of the
    build time). Two different rows with the same key may separate a pair of duplicates; that
    pair is then kept twice, which costs 32 bytes and never changes a result.
    """
    if rows.shape[0] == 0:
        return rows
    words = rows.view(np.uint64)
    mix = words[:, 0] ^ (words[:, 1] * np.uint64(0x9E3779B97F4A7C15))
    mix ^= words[:, 2] * np.uint64(0xC2B2AE3D27D4EB4F)
    mix ^= words[:, 3] * np.uint64(0x165667B19E3779F9)
    key = (rows.view(np.uint16)[:, 0].astype(np.uint64) << np.uint64(48)) | (mix >> np.uint64(16))
    rows = rows[np.argsort(key)]
    words = rows.view(np.uint64)
    keep = np.ones(rows.shape[0], dtype=bool)
    keep[1:] = np.any(words[1:] != words[:-1], axis=1)
    return np.ascontiguousarray(rows[keep])


class MihIndex:
    """A persistent PDQ index shared by processes through one memory-mapped file.

    Thread-safe. Several processes may open the same directory; any of them may add or compact.
    """

    def __init__(self, directory: Path | str) -> None:
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._current_stat: tuple[int, int] | None = None
        self._generation = -1
        self._base: _Base | None = None
        self._delta = np.zeros((0, PDQ_BYTES), dtype=np.uint8)
        self._delta_bytes_read = 0
        with self._writer_lock():
            if not (self.directory / "CURRENT").exists():
                self._publish(0, np.zeros((0, PDQ_BYTES), dtype=np.uint8), b"")
        self._refresh()

    # -- building -----------------------------------------------------------------------------

    @classmethod
    def build(cls, directory: Path | str, hashes: Sequence[str | bytes] | np.ndarray) -> MihIndex:
        """Replace the index's base with `hashes`; adds go on meanwhile and are kept.

        Hashes added since the last compaction are carried into the new generation: they may
        have been added after the caller read `hashes` (an extra hash costs nothing, a lost one
        would be a missed match).
        """
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        rows = as_rows(hashes)
        index = cls(directory)
        staged = directory / f"build-{os.getpid()}-{threading.get_ident()}.mih"
        write_base(staged, rows)  # outside the lock: adds are not held up by a long build
        with index._writer_lock():
            old = index._read_current()
            delta_path = directory / f"delta-{old}.bin"
            carried = delta_path.read_bytes()
            staged.replace(directory / f"base-{old + 1}.mih")
            index._publish(old + 1, None, carried[: len(carried) // PDQ_BYTES * PDQ_BYTES])
        for path in (directory / f"base-{old}.mih", delta_path):
            path.unlink(missing_ok=True)
        index._refresh()
        return index

    def add(self, hashes: Iterable[str | bytes] | np.ndarray) -> None:
        """Append hashes to the delta file; matchable by every process at its next query."""
        rows = as_rows(hashes if isinstance(hashes, np.ndarray) else list(hashes))
        if rows.shape[0] == 0:
            return
        with self._writer_lock():
            generation = self._read_current()
            with (self.directory / f"delta-{generation}.bin").open("ab") as f:
                f.write(rows.tobytes())
                f.flush()
                os.fsync(f.fileno())

    def compact(self) -> None:
        """Fold the delta into a new base file; adds wait only for the final swap."""
        with self._writer_lock():
            generation = self._read_current()
            base_path = self.directory / f"base-{generation}.mih"
            delta_path = self.directory / f"delta-{generation}.bin"
            delta_len = delta_path.stat().st_size // PDQ_BYTES * PDQ_BYTES
        # Build outside the lock: adds go on appending to the old delta meanwhile.
        base = _Base(base_path)
        with delta_path.open("rb") as f:
            delta = np.frombuffer(f.read(delta_len), dtype=np.uint8).reshape(-1, PDQ_BYTES)
        rows = np.concatenate([np.asarray(base.rows), delta])
        new_generation = generation + 1
        write_base(self.directory / f"base-{new_generation}.mih", rows)
        with self._writer_lock():
            if self._read_current() != generation:
                raise RuntimeError("Another process compacted the index at the same time.")
            with delta_path.open("rb") as f:
                f.seek(delta_len)
                late = f.read()
            self._publish(new_generation, None, late[: len(late) // PDQ_BYTES * PDQ_BYTES])
        for old in (base_path, delta_path):
            # Processes that still map the old files keep them until they refresh (POSIX).
            old.unlink(missing_ok=True)
        self._refresh()

    def _publish(self, generation: int, rows: np.ndarray | None, delta: bytes) -> None:
        """Make `generation` live; the caller holds the writer lock."""
        if rows is not None:
            write_base(self.directory / f"base-{generation}.mih", rows)
        delta_path = self.directory / f"delta-{generation}.bin"
        delta_path.write_bytes(delta)
        tmp = self.directory / "CURRENT.tmp"
        tmp.write_text(f"{generation}\n", encoding="ascii")
        tmp.replace(self.directory / "CURRENT")

    @contextmanager
    def _writer_lock(self) -> Iterator[None]:
        with (self.directory / "lock").open("a") as f:
            fcntl.flock(f.fileno(), fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(f.fileno(), fcntl.LOCK_UN)

    def _read_current(self) -> int:
        return int((self.directory / "CURRENT").read_text(encoding="ascii").strip())

    # -- reading ------------------------------------------------------------------------------

    def _refresh(self) -> tuple[_Base, np.ndarray]:
        """Pick up a new generation or new delta records; cheap when nothing changed."""
        with self._lock:
            for _attempt in range(10):
                try:
                    return self._refresh_locked()
                except FileNotFoundError:
                    # Another process compacted between our reads: read CURRENT again.
                    self._current_stat = None
            raise IndexFormatError(f"{self.directory} keeps changing; is a writer looping?")

    def _refresh_locked(self) -> tuple[_Base, np.ndarray]:
        st = os.stat(self.directory / "CURRENT")
        if (st.st_ino, st.st_mtime_ns) != self._current_stat:
            generation = self._read_current()
            if generation != self._generation:
                self._base = _Base(self.directory / f"base-{generation}.mih")
                self._generation = generation
                self._delta = np.zeros((0, PDQ_BYTES), dtype=np.uint8)
                self._delta_bytes_read = 0
            self._current_stat = (st.st_ino, st.st_mtime_ns)
        delta_path = self.directory / f"delta-{self._generation}.bin"
        size = os.stat(delta_path).st_size // PDQ_BYTES * PDQ_BYTES
        if size > self._delta_bytes_read:
            with delta_path.open("rb") as f:
                f.seek(self._delta_bytes_read)
                new = np.frombuffer(f.read(size - self._delta_bytes_read), dtype=np.uint8)
            new = new[: new.size // PDQ_BYTES * PDQ_BYTES]
            self._delta = np.concatenate([self._delta, new.reshape(-1, PDQ_BYTES)])
            self._delta_bytes_read += new.size
        assert self._base is not None
        return self._base, self._delta

    def query(self, pdq: str | bytes, *, threshold: int = DEFAULT_THRESHOLD) -> list[PdqMatch]:
        """Return every distinct indexed hash within `threshold` bits of `pdq`, nearest first."""
        check_threshold(threshold)
        base, delta = self._refresh()
        q = np.frombuffer(pdq_to_bytes(pdq), dtype=np.uint8)
        q64, q16 = q.view(np.uint64), q.view(np.uint16)
        masks, radius = _masks_for(threshold)
        found_rows = []
        found_dist = []
        if base.count:
            pos, dist = _collect(
                lambda p, d: _kernels.mih_query(
                    base.rows64, base.rows16, base.offsets, base.ids,
                    q64, q16, threshold, masks, radius, p, d,
                )
            )  # fmt: skip
            found_rows.append(base.rows[pos])
            found_dist.append(dist)
        if delta.shape[0]:
            delta64 = delta.view(np.uint64)
            pos, dist = _collect(lambda p, d: _kernels.brute_force(delta64, q64, threshold, p, d))
            found_rows.append(delta[pos])
            found_dist.append(dist)
        if not found_rows:
            return []
        return matches_from_rows(np.concatenate(found_rows), np.concatenate(found_dist))

    def query_many(
        self, hashes: Iterable[str | bytes], *, threshold: int = DEFAULT_THRESHOLD
    ) -> list[list[PdqMatch]]:
        """Return `query` for each hash (one refresh check per hash)."""
        return [self.query(h, threshold=threshold) for h in hashes]

    def __len__(self) -> int:
        base, delta = self._refresh()
        return base.count + int(delta.shape[0])

    @property
    def base_count(self) -> int:
        """Return the number of hashes in the live base (the rest are in the delta)."""
        base, _ = self._refresh()
        return base.count

    @property
    def base_bytes(self) -> int:
        """Return the size of the live base file (what every process shares via the page cache)."""
        base, _ = self._refresh()
        return base.nbytes


def _collect(run: Callable[[np.ndarray, np.ndarray], int]) -> tuple[np.ndarray, np.ndarray]:
    """Run a kernel with growing output buffers until its matches fit."""
    cap = _INITIAL_OUT
    while True:
        pos = np.empty(cap, dtype=np.int64)
        dist = np.empty(cap, dtype=np.int64)
        n = int(run(pos, dist))
        if n <= cap:
            return pos[:n], dist[:n]
        cap = n


__all__ = ["IndexFormatError", "InvalidPdqError", "MihIndex", "write_base"]
