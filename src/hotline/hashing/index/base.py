"""The PDQ match index interface, its result type and the brute-force reference implementation."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Final, Protocol

import numpy as np

DEFAULT_THRESHOLD: Final = 31
PDQ_BYTES: Final = 32
PDQ_BITS: Final = 256


@dataclass(frozen=True, slots=True, order=True)
class PdqMatch:
    """One indexed hash within the threshold of a query; sorts nearest first."""

    distance: int
    pdq_hex: str


class PdqIndex(Protocol):
    """A set of PDQ hashes searchable by Hamming distance.

    `query` returns every distinct indexed hash within `threshold` bits, nearest first; an
    implementation may be approximate in speed but never in results.
    """

    def add(self, hashes: Iterable[str | bytes]) -> None:
        """Add hashes; they are matchable as soon as this returns."""
        ...

    def query(self, pdq: str | bytes, *, threshold: int = DEFAULT_THRESHOLD) -> list[PdqMatch]:
        """Return the indexed hashes within `threshold` bits of `pdq`."""
        ...

    def __len__(self) -> int:
        """Return the number of hashes added (duplicates may count more than once)."""
        ...


class InvalidPdqError(ValueError):
    """A value that is not a 256-bit PDQ hash."""


def pdq_to_bytes(pdq: str | bytes) -> bytes:
    """Return the 32 raw bytes of a PDQ hash given as 64 hex digits or as bytes."""
    if isinstance(pdq, bytes):
        if len(pdq) != PDQ_BYTES:
            raise InvalidPdqError(f"A PDQ hash has {PDQ_BYTES} bytes, not {len(pdq)}.")
        return pdq
    text = pdq.strip().lower()
    if len(text) != 2 * PDQ_BYTES:
        raise InvalidPdqError(f"A PDQ hash has 64 hex digits, not {len(text)}.")
    try:
        return bytes.fromhex(text)
    except ValueError as exc:
        raise InvalidPdqError("A PDQ hash is written in hex digits (0-9, a-f).") from exc


def pdq_array(hashes: Iterable[str | bytes]) -> np.ndarray:
    """Return an (N, 32) uint8 array of PDQ hashes."""
    raw = b"".join(pdq_to_bytes(h) for h in hashes)
    return np.frombuffer(raw, dtype=np.uint8).reshape(-1, PDQ_BYTES).copy()


def check_threshold(threshold: int) -> None:
    """Refuse a threshold outside 0..255 bits."""
    if not 0 <= threshold < PDQ_BITS:
        raise ValueError(f"The threshold must be between 0 and {PDQ_BITS - 1} bits.")


def matches_from_rows(rows: np.ndarray, distances: np.ndarray) -> list[PdqMatch]:
    """Return sorted, de-duplicated matches for rows of an (N, 32) uint8 array."""
    best: dict[str, int] = {}
    for row, dist in zip(rows, distances.tolist(), strict=True):
        key = row.tobytes().hex()
        best[key] = min(dist, best.get(key, dist))
    return sorted(PdqMatch(distance=d, pdq_hex=h) for h, d in best.items())


class BruteForceIndex:
    """Compare the query with every hash (numpy); the reference the fast index is tested against."""

    def __init__(self, hashes: Iterable[str | bytes] = ()) -> None:
        self._rows = pdq_array(hashes)

    def add(self, hashes: Iterable[str | bytes]) -> None:
        """Append hashes."""
        self._rows = np.concatenate([self._rows, pdq_array(hashes)])

    def query(self, pdq: str | bytes, *, threshold: int = DEFAULT_THRESHOLD) -> list[PdqMatch]:
        """Return the hashes within `threshold` bits of `pdq`."""
        check_threshold(threshold)
        distances = self.distances(pdq)
        hit = np.flatnonzero(distances <= threshold)
        return matches_from_rows(self._rows[hit], distances[hit])

    def distances(self, pdq: str | bytes) -> np.ndarray:
        """Return the Hamming distance from `pdq` to every row."""
        query = np.frombuffer(pdq_to_bytes(pdq), dtype=np.uint64)
        xor = self._rows.view(np.uint64) ^ query
        return np.bitwise_count(xor).sum(axis=1, dtype=np.int64)

    def __len__(self) -> int:
        return int(self._rows.shape[0])


def as_rows(hashes: Sequence[str | bytes] | np.ndarray) -> np.ndarray:
    """Return hashes as a C-contiguous (N, 32) uint8 array."""
    if isinstance(hashes, np.ndarray):
        if hashes.dtype != np.uint8 or hashes.ndim != 2 or hashes.shape[1] != PDQ_BYTES:
            raise InvalidPdqError("Expected an (N, 32) uint8 array of PDQ hashes.")
        return np.ascontiguousarray(hashes)
    return pdq_array(hashes)
