"""Multi-index hashing over a memory-mapped file: the production PDQ match index.

Layout of an index directory:

    CURRENT          the live generation number (replaced atomically by rename)
    base-<g>.mih     immutable, memory-mapped: header, hashes sorted by substring 0, bucket
                     offsets of 16 tables, row ids of tables 1..15 (uint32)
    delta-<g>.log    append-only 40-byte records added since base-<g> was built: the hash and
                     a 64-bit check word, so a record torn by a crash is recognised; a generation
                     replaced by a newer one ends with a "sealed" record
    lock             flock() by writers (add, and the moment a new generation is published)
    compact.lock     flock() by the one process that builds a new generation (compact, build)
    .tmp-*           files being written; renamed into place only once complete and fsynced

Readers never lock. Memory per hash: 32 (hash) + 15 x 4 (row ids) = 92 bytes, plus 4 MiB of
bucket offsets. Every process maps the same base file, so the page cache holds one copy for all
of them. A query first checks the size of its generation's delta (one stat) and reads new
records, so a hash added by any process is matchable by every process at its next query.

Durability rules (docs/decisions/match-index.md):
- one compactor at a time (compact.lock), and additions made while it builds are carried into
  the new generation under the writer lock, so nothing added is dropped;
- every file is written under a unique temporary name, fsynced, then renamed;
- a writer truncates a torn tail (an incomplete or unchecked record, or the seal of a
  compaction that died before publishing) before appending, so later records stay aligned;
- the previous generation's files are kept until the next compaction, and a reader that finds
  its files gone re-reads CURRENT, so readers never fail during a compaction.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import struct
import tempfile
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import BinaryIO, Final

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
# A delta record: the hash as 4 little-endian 64-bit words, then a check word (see _check_words).
RECORD_BYTES: Final = 40
_RECORD_WORDS: Final = RECORD_BYTES // 8
_DATA_KEY: Final = np.uint64(0x5044514D49484431)  # "PDQMIHD1": a hash record
_SEAL_KEY: Final = np.uint64(0x5044514D49485345)  # "PDQMIHSE": the generation was replaced
_SEAL_ROW: Final = np.full((1, PDQ_BYTES), 0xFF, dtype=np.uint8)
_MIX = np.array(
    [0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9, 0xD6E8FEB86659FD93],
    dtype="<u8",
)
_GENERATION_FILE = re.compile(r"(?:base|delta)-(\d+)\.(?:mih|log|bin)")


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
    with staged_file(path) as f:
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


@contextlib.contextmanager
def staged_file(path: Path) -> Iterator[BinaryIO]:
    """Write a file under a unique temporary name beside `path`, fsync it, rename it into place.

    A crash leaves at most an orphaned `.tmp-*` file (removed by the next compaction), never a
    partial file under the real name; two writers never share a temporary file.
    """
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix="-" + path.name)
    tmp = Path(name)
    try:
        with os.fdopen(fd, "wb") as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        tmp.replace(path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)


def _fsync_dir(directory: Path) -> None:
    """Make renames and new files in `directory` durable."""
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _check_words(words: np.ndarray, key: np.uint64) -> np.ndarray:
    """Return the check word of each (N, 4) uint64 hash: a mix of all its bits, keyed by kind.

    An all-zero record (a block a crash left unwritten) or a record cut short fails the check;
    any other corruption passes it with probability 2**-64.
    """
    mixed = words * _MIX
    out = mixed[:, 0] ^ mixed[:, 1] ^ mixed[:, 2] ^ mixed[:, 3]
    out ^= out >> np.uint64(29)
    return np.asarray(out ^ key, dtype="<u8")


def _records(rows: np.ndarray, key: np.uint64 = _DATA_KEY) -> bytes:
    """Return delta records for (N, 32) uint8 `rows`."""
    out = np.empty((rows.shape[0], _RECORD_WORDS), dtype="<u8")
    out[:, :4] = np.ascontiguousarray(rows).view("<u8").reshape(-1, 4)
    out[:, 4] = _check_words(out[:, :4], key)
    return out.tobytes()


def _parse_records(raw: bytes) -> tuple[np.ndarray, bool]:
    """Return the rows of the valid records at the start of `raw`, and whether a seal follows.

    Parsing stops at the first record that is incomplete, fails its check or is a seal: what
    follows is a torn tail (or a record still being written) and is never consumed.
    """
    n = len(raw) // RECORD_BYTES
    if n == 0:
        return np.zeros((0, PDQ_BYTES), dtype=np.uint8), False
    words = np.frombuffer(raw, dtype="<u8", count=n * _RECORD_WORDS).reshape(n, _RECORD_WORDS)
    good = words[:, 4] == _check_words(words[:, :4], _DATA_KEY)
    valid = n if bool(good.all()) else int(np.argmin(good))
    rows = np.ascontiguousarray(words[:valid, :4]).view(np.uint8).reshape(valid, PDQ_BYTES)
    sealed = valid < n and bool(
        words[valid, 4] == _check_words(words[valid : valid + 1, :4], _SEAL_KEY)[0]
    )
    return rows, sealed


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
        self._generation = -1
        self._base: _Base | None = None
        self._delta = np.zeros((0, PDQ_BYTES), dtype=np.uint8)
        self._delta_end = 0  # bytes of the delta file read and found valid
        if not self._current_path.exists() or self._has_v1_delta():
            with self._compaction_lock(wait=True), self._writer_lock():
                if not self._current_path.exists():
                    empty = np.zeros((0, PDQ_BYTES), dtype=np.uint8)
                    write_base(self._base_path(0), empty)
                    self._publish(0, empty)
                else:
                    self._upgrade_v1_delta()
        self._refresh()

    # -- building -----------------------------------------------------------------------------

    @classmethod
    def build(cls, directory: Path | str, hashes: Sequence[str | bytes] | np.ndarray) -> MihIndex:
        """Replace the index's base with `hashes`; adds go on meanwhile and are kept.

        Hashes added since the last compaction are carried into the new generation: they may
        have been added after the caller read `hashes` (an extra hash costs nothing, a lost one
        would be a missed match).
        """
        rows = as_rows(hashes)
        index = cls(directory)
        with index._compaction_lock(wait=True):
            index._replace_generation(lambda base, delta, path: write_base(path, rows), keep=0)
        return index

    def add(self, hashes: Iterable[str | bytes] | np.ndarray) -> None:
        """Append hashes to the delta file; matchable by every process at its next query."""
        rows = as_rows(hashes if isinstance(hashes, np.ndarray) else list(hashes))
        if rows.shape[0] == 0:
            return
        with self._writer_lock():
            generation, end = self._writable_delta()
            with self._delta_path(generation).open("r+b") as f:
                f.seek(end)
                f.write(_records(rows))
                f.flush()
                os.fsync(f.fileno())

    def compact(self, *, wait: bool = True) -> bool:
        """Fold the delta into a new base file; adds wait only for the final swap.

        One process compacts at a time. With wait=False, return False at once if another
        process is compacting (it will fold these additions in, or leave them in the delta,
        where they are matched all the same); otherwise return True once compacted.
        """
        with self._compaction_lock(wait=wait) as locked:
            if not locked:
                return False
            if self._refresh()[1].shape[0] == 0:
                return True  # e.g. another process compacted while we waited for the lock
            self._replace_generation(
                lambda base, delta, path: write_base(
                    path, np.concatenate([np.asarray(base.rows), delta])
                ),
                keep=None,
            )
        return True

    def compact_if_needed(self, *, limit: int) -> bool:
        """Compact (without waiting for another compactor) once more than `limit` additions wait.

        Return whether this call compacted.
        """
        _, delta = self._refresh()
        return delta.shape[0] > limit and self.compact(wait=False)

    def _replace_generation(
        self, write: Callable[[_Base, np.ndarray, Path], None], *, keep: int | None
    ) -> None:
        """Publish generation g + 1: `write` makes its base from the live base and delta.

        The caller holds the compaction lock, so nobody else publishes meanwhile. The base is
        written outside the writer lock (adds go on into the old delta); then, under the writer
        lock, records added since (all of them if `keep` is 0, i.e. the base was not made from
        the delta) are carried into the new delta, the old delta is sealed and CURRENT replaced.
        """
        self._remove_orphans()
        with self._writer_lock():
            generation = self._writable_delta()[0]
            with self._lock:
                base, delta = self._base, self._delta
        assert base is not None
        taken = delta.shape[0] if keep is None else keep
        write(base, delta[:taken], self._base_path(generation + 1))
        with self._writer_lock():
            live, end = self._writable_delta()
            if live != generation:
                raise IndexFormatError(f"{self.directory} changed generation without its lock.")
            with self._lock:
                carried = self._delta[taken:]
            self._publish(generation + 1, carried, seal_at=end)
        # Keep the previous generation for readers that have just read CURRENT; older ones go.
        self._remove_generations_before(generation)
        self._refresh()

    def _publish(self, generation: int, carried: np.ndarray, *, seal_at: int = -1) -> None:
        """Make `generation` live; the caller holds both locks and wrote its base file.

        Order matters for a crash at any point: the new delta is durable before the old one is
        sealed, and the seal is durable before CURRENT names the new generation. A seal without
        a new CURRENT (the compactor died) is truncated by the next writer.
        """
        with staged_file(self._delta_path(generation)) as f:
            f.write(_records(carried))
        if seal_at >= 0:
            with self._delta_path(generation - 1).open("r+b") as f:
                f.seek(seal_at)
                f.write(_records(_SEAL_ROW, _SEAL_KEY))
                f.flush()
                os.fsync(f.fileno())
        with staged_file(self._current_path) as f:
            f.write(f"{generation}\n".encode("ascii"))

    def _writable_delta(self) -> tuple[int, int]:
        """Bring this handle up to the live generation; return it and where the next record goes.

        The caller holds the writer lock, so no record is being written: anything after the
        last valid record is a torn tail or a dead compactor's seal, and is truncated here.
        """
        with self._lock:
            generation = self._read_current()
            if generation != self._generation:
                self._load_generation(generation)
            self._read_delta()
            end = self._delta_end
        path = self._delta_path(generation)
        if path.stat().st_size != end:
            with path.open("r+b") as f:
                f.truncate(end)
                os.fsync(f.fileno())
        return generation, end

    @contextlib.contextmanager
    def _writer_lock(self) -> Iterator[None]:
        with self._flock("lock", wait=True):
            yield

    @contextlib.contextmanager
    def _compaction_lock(self, *, wait: bool) -> Iterator[bool]:
        with self._flock("compact.lock", wait=wait) as locked:
            yield locked

    @contextlib.contextmanager
    def _flock(self, name: str, *, wait: bool) -> Iterator[bool]:
        # A new descriptor each time: flock excludes other threads of this process too.
        with (self.directory / name).open("a") as f:
            try:
                fcntl.flock(f.fileno(), fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
            except BlockingIOError:
                yield False
                return
            try:
                yield True
            finally:
                fcntl.flock(f.fileno(), fcntl.LOCK_UN)

    def _remove_orphans(self) -> None:
        """Remove temporary files of processes that died while writing (compaction lock held)."""
        for path in self.directory.glob(".tmp-*"):
            path.unlink(missing_ok=True)

    def _remove_generations_before(self, generation: int) -> None:
        for path in self.directory.iterdir():
            match = _GENERATION_FILE.fullmatch(path.name)
            if match and int(match[1]) < generation:
                # A process that still maps an old base keeps it until it refreshes (POSIX).
                path.unlink(missing_ok=True)

    def _has_v1_delta(self) -> bool:
        """Return whether the live delta is still in the format of version 1 (bare hashes)."""
        try:
            generation = self._read_current()
        except FileNotFoundError:
            return False
        return self.directory.joinpath(f"delta-{generation}.bin").exists()

    def _upgrade_v1_delta(self) -> None:
        """Rewrite a version 1 delta (32-byte records, no check) as checked records."""
        generation = self._read_current()
        old = self.directory / f"delta-{generation}.bin"
        if not old.exists():
            return
        raw = old.read_bytes()
        rows = np.frombuffer(raw, dtype=np.uint8, count=len(raw) // PDQ_BYTES * PDQ_BYTES)
        with staged_file(self._delta_path(generation)) as f:
            f.write(_records(rows.reshape(-1, PDQ_BYTES)))
        old.unlink()

    @property
    def _current_path(self) -> Path:
        return self.directory / "CURRENT"

    def _base_path(self, generation: int) -> Path:
        return self.directory / f"base-{generation}.mih"

    def _delta_path(self, generation: int) -> Path:
        return self.directory / f"delta-{generation}.log"

    def _read_current(self) -> int:
        return int(self._current_path.read_text(encoding="ascii").strip())

    # -- reading ------------------------------------------------------------------------------

    def _refresh(self) -> tuple[_Base, np.ndarray]:
        """Pick up a new generation or new delta records; cheap when nothing changed."""
        with self._lock:
            for _attempt in range(20):
                try:
                    if self._generation < 0:
                        self._load_generation(self._read_current())
                    self._read_delta()
                    assert self._base is not None
                    return self._base, self._delta
                except FileNotFoundError:
                    # Our generation's files were removed (we were two compactions behind) or
                    # CURRENT named one that was replaced meanwhile: start again from CURRENT.
                    self._generation = -1
            raise IndexFormatError(f"{self.directory} keeps changing; is a writer looping?")

    def _load_generation(self, generation: int) -> None:
        """Map `generation`'s base and forget the old delta (self._lock held)."""
        base = _Base(self._base_path(generation))
        self._base = base
        self._generation = generation
        self._delta = np.zeros((0, PDQ_BYTES), dtype=np.uint8)
        self._delta_end = 0

    def _read_delta(self) -> None:
        """Read the delta's new valid records; follow a seal to the next generation."""
        while True:
            path = self._delta_path(self._generation)
            size = os.stat(path).st_size
            if size - self._delta_end < RECORD_BYTES:
                return
            with path.open("rb") as f:
                f.seek(self._delta_end)
                raw = f.read(size - self._delta_end)
            rows, sealed = _parse_records(raw)
            if rows.shape[0]:
                self._delta = np.concatenate([self._delta, rows])
                self._delta_end += rows.shape[0] * RECORD_BYTES
            if not sealed:
                return
            generation = self._read_current()
            if generation == self._generation:
                # The compactor is between sealing and publishing, or died there: wait at the
                # seal (not consumed), which the next writer truncates if it is dead.
                return
            self._load_generation(generation)

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
