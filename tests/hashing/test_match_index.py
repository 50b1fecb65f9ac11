"""The multi-index-hashing PDQ index returns exactly what brute force returns."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from hotline.hashing.index import (
    BruteForceIndex,
    IndexFormatError,
    InvalidPdqError,
    MihIndex,
    PdqMatch,
)
from hotline.hashing.index.mih import _SEAL_KEY, _SEAL_ROW, _records


def flip(row: np.ndarray, bits: int, rng: np.random.Generator) -> np.ndarray:
    out = row.copy()
    for bit in rng.choice(256, size=bits, replace=False):
        out[bit // 8] ^= np.uint8(1 << (bit % 8))
    return out


def corpus(rng: np.random.Generator, n: int = 4000) -> np.ndarray:
    """Random hashes plus families of near-duplicates and a clump sharing most substrings."""
    base = rng.integers(0, 256, size=(n, 32), dtype=np.uint8)
    family = np.stack([flip(base[0], int(k), rng) for k in rng.integers(0, 48, size=300)])
    # Real banks are not uniform: many hashes share substrings (e.g. near-blank images).
    clump = np.zeros((400, 32), dtype=np.uint8)
    clump[:, :2] = rng.integers(0, 256, size=(400, 2), dtype=np.uint8)
    clump = np.stack([flip(r, int(rng.integers(0, 20)), rng) for r in clump])
    return np.concatenate([base, family, clump, base[:50]])  # and exact duplicates


def queries(rows: np.ndarray, rng: np.random.Generator) -> list[bytes]:
    near = [flip(rows[i], int(k), rng) for i, k in zip(
        rng.integers(0, len(rows), 150), rng.integers(0, 64, 150), strict=True
    )]  # fmt: skip
    far = list(rng.integers(0, 256, size=(30, 32), dtype=np.uint8))
    return [q.tobytes() for q in [*near, *far, np.zeros(32, np.uint8), rows[0], rows[-1]]]


@pytest.fixture(scope="module")
def data() -> tuple[np.ndarray, list[bytes]]:
    rng = np.random.default_rng(20240601)
    rows = corpus(rng)
    return rows, queries(rows, rng)


@pytest.mark.parametrize("threshold", [0, 1, 15, 16, 31, 32, 47, 70])
def test_equals_brute_force(
    tmp_path: Path, data: tuple[np.ndarray, list[bytes]], threshold: int
) -> None:
    rows, qs = data
    index = MihIndex.build(tmp_path, rows)
    reference = BruteForceIndex(r.tobytes() for r in rows)
    total = 0
    for q in qs:
        expected = reference.query(q, threshold=threshold)
        assert index.query(q, threshold=threshold) == expected
        total += len(expected)
    # The queries do find things, so the comparison is not vacuous.
    assert total >= (len(qs) // 4 if threshold >= 31 else 2)


def test_default_threshold_is_31(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    row = rng.integers(0, 256, 32, dtype=np.uint8)
    index = MihIndex.build(tmp_path, np.stack([flip(row, 31, rng), flip(row, 32, rng)]))
    assert [m.distance for m in index.query(row.tobytes())] == [31]


def test_many_matches_grow_the_output_buffer(tmp_path: Path) -> None:
    rng = np.random.default_rng(2)
    origin = np.zeros(32, dtype=np.uint8)
    rows = np.stack([flip(origin, int(k), rng) for k in rng.integers(1, 20, size=3000)])
    index = MihIndex.build(tmp_path, rows)
    found = index.query(origin.tobytes())
    assert len(found) == len(np.unique(rows, axis=0)) > 1000
    assert found == BruteForceIndex(r.tobytes() for r in rows).query(origin.tobytes())


def test_hex_and_bytes_queries_agree(tmp_path: Path) -> None:
    hexes = ["f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22"]
    index = MihIndex(tmp_path)
    index.add(hexes)
    assert index.query(hexes[0].upper()) == [PdqMatch(distance=0, pdq_hex=hexes[0])]
    assert index.query(bytes.fromhex(hexes[0])) == index.query(hexes[0])


@pytest.mark.parametrize("bad", ["abc", "z" * 64, b"\x00" * 31])
def test_invalid_hash(tmp_path: Path, bad: str | bytes) -> None:
    index = MihIndex(tmp_path)
    with pytest.raises(InvalidPdqError):
        index.query(bad)
    with pytest.raises(InvalidPdqError):
        index.add([bad])


def test_invalid_threshold(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="threshold"):
        MihIndex(tmp_path).query("0" * 64, threshold=256)


def test_adds_are_matchable_at_once_and_survive_compaction_and_restart(
    tmp_path: Path, data: tuple[np.ndarray, list[bytes]]
) -> None:
    rows, qs = data
    first, second = rows[:2000], rows[2000:]
    index = MihIndex.build(tmp_path, first)
    other = MihIndex(tmp_path)  # another process's view of the same directory
    reference = BruteForceIndex(r.tobytes() for r in first)
    index.add(r.tobytes() for r in second[:500])
    other.add(r.tobytes() for r in second[500:])
    reference.add(r.tobytes() for r in second)
    for q in qs:
        assert index.query(q) == other.query(q) == reference.query(q)
    assert len(index) == len(rows)

    other.compact()
    # The live base and the previous one (kept for readers that have just read CURRENT).
    assert sorted(p.name for p in tmp_path.glob("base-*.mih")) == ["base-1.mih", "base-2.mih"]
    assert len(index) == len(np.unique(rows, axis=0))  # compaction de-duplicates
    index.add([qs[0]])
    reference.add([qs[0]])
    restarted = MihIndex(tmp_path)
    for q in qs:
        assert restarted.query(q) == index.query(q) == reference.query(q)


def test_rebuild_keeps_hashes_added_meanwhile(tmp_path: Path) -> None:
    index = MihIndex.build(tmp_path, ["00" * 32])
    index.add(["ab" * 32])  # e.g. added after the rebuild read its list from the database
    rebuilt = MihIndex.build(tmp_path, ["cd" * 32])
    for value in ("ab" * 32, "cd" * 32):
        assert rebuilt.query(value) == index.query(value) == [PdqMatch(0, value)]
    assert rebuilt.query("00" * 32) == []
    assert sorted(p.name for p in tmp_path.glob("*.mih")) == ["base-1.mih", "base-2.mih"]


def test_add_from_another_process(tmp_path: Path) -> None:
    index = MihIndex.build(tmp_path, np.zeros((1, 32), dtype=np.uint8))
    new = "ab" * 32
    assert index.query(new) == []
    code = (
        "import sys; from hotline.hashing.index import MihIndex;"
        f" MihIndex(sys.argv[1]).add(['{new}'])"
    )
    subprocess.run([sys.executable, "-c", code, str(tmp_path)], check=True, timeout=60)
    assert index.query(new) == [PdqMatch(distance=0, pdq_hex=new)]


def test_damaged_base_file_is_refused(tmp_path: Path) -> None:
    MihIndex.build(tmp_path, np.ones((10, 32), dtype=np.uint8))
    base = tmp_path / f"base-{(tmp_path / 'CURRENT').read_text().strip()}.mih"
    base.write_bytes(base.read_bytes()[:-4])
    with pytest.raises(IndexFormatError):
        MihIndex(tmp_path)


def test_empty_index(tmp_path: Path) -> None:
    index = MihIndex(tmp_path)
    assert len(index) == 0
    assert index.query("0" * 64) == []


@pytest.mark.slow
def test_readers_survive_concurrent_adds_and_compactions(tmp_path: Path) -> None:
    rng = np.random.default_rng(5)
    MihIndex.build(tmp_path, rng.integers(0, 256, size=(20_000, 32), dtype=np.uint8))
    code = """
import sys
import numpy as np
from hotline.hashing.index import MihIndex
index = MihIndex(sys.argv[1])
for i in range(300):
    index.add([bytes([i % 256, i // 256]) * 16])
    if i % 100 == 99:
        index.compact()
"""
    writer = subprocess.Popen([sys.executable, "-c", code, str(tmp_path)])
    reader = MihIndex(tmp_path)
    queries = 0
    while writer.poll() is None:
        reader.query(bytes([0, 0]) * 16)  # must never fail while files are swapped
        queries += 1
    assert writer.returncode == 0
    assert queries > 10
    for i in range(300):
        value = bytes([i % 256, i // 256]) * 16
        assert reader.query(value, threshold=0) == [PdqMatch(0, value.hex())]


_ADD_AND_COMPACT = """
import sys
import numpy as np
from hotline.hashing.index import MihIndex
index = MihIndex(sys.argv[1])
worker = int(sys.argv[2])
for i in range(int(sys.argv[3])):
    index.add([bytes([worker, i % 256, i // 256, 7]) * 8])
    index.compact()  # every process compacts after every add: maximal overlap
"""


@pytest.mark.slow
def test_concurrent_compactions_lose_no_hash(tmp_path: Path) -> None:
    rng = np.random.default_rng(9)
    MihIndex.build(tmp_path, rng.integers(0, 256, size=(5_000, 32), dtype=np.uint8))
    workers, per_worker = 3, 60
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _ADD_AND_COMPACT, str(tmp_path), str(w), str(per_worker)],
            stderr=subprocess.PIPE,
        )
        for w in range(workers)
    ]
    errors = [p.communicate(timeout=120)[1].decode() for p in procs]
    assert [p.returncode for p in procs] == [0] * workers, errors
    fresh = MihIndex(tmp_path)
    missing = [
        (w, i)
        for w in range(workers)
        for i in range(per_worker)
        if not fresh.query(bytes([w, i % 256, i // 256, 7]) * 8, threshold=0)
    ]
    assert missing == []
    assert len(list(tmp_path.glob("*tmp*"))) == 0  # no temporary file left behind


def _torn_tail(directory: Path, index: MihIndex, damage: str) -> None:
    """Leave the delta as a crash in the middle of appending a record would."""
    (delta,) = sorted(directory.glob("delta-*"), key=lambda p: p.stat().st_mtime_ns)[-1:]
    before = delta.stat().st_size
    index.add(["5a" * 32])  # the record whose write the crash interrupts
    written = delta.read_bytes()[before:]
    with delta.open("r+b") as f:
        f.truncate(before)
        f.seek(before)
        f.write(written[: len(written) // 2] if damage == "prefix" else b"\0" * len(written))


@pytest.mark.parametrize("damage", ["prefix", "zeros"])
def test_torn_delta_tail_does_not_hide_later_additions(tmp_path: Path, damage: str) -> None:
    rng = np.random.default_rng(11)
    MihIndex.build(tmp_path, rng.integers(0, 256, size=(100, 32), dtype=np.uint8))
    crashed = MihIndex(tmp_path)
    crashed.add(["11" * 32])
    _torn_tail(tmp_path, crashed, damage)
    later = [rng.integers(0, 256, 32, dtype=np.uint8).tobytes() for _ in range(20)]
    writer = MihIndex(tmp_path)  # a process started after the crash
    for value in later:
        writer.add([value])
    for handle in (writer, crashed, MihIndex(tmp_path)):
        for value in [*later, bytes.fromhex("11" * 32)]:
            assert handle.query(value, threshold=0) == [PdqMatch(0, value.hex())]
    writer.compact()
    for value in later:
        assert MihIndex(tmp_path).query(value, threshold=0) == [PdqMatch(0, value.hex())]


def test_a_version_1_delta_is_upgraded_with_its_hashes(tmp_path: Path) -> None:
    MihIndex.build(tmp_path, np.ones((10, 32), dtype=np.uint8))
    generation = (tmp_path / "CURRENT").read_text().strip()
    (tmp_path / f"delta-{generation}.log").unlink()
    # Version 1 wrote bare 32-byte records (here with a half record at the end).
    (tmp_path / f"delta-{generation}.bin").write_bytes(bytes.fromhex("ab" * 32) + b"\x01" * 16)
    index = MihIndex(tmp_path)
    assert index.query("ab" * 32, threshold=0) == [PdqMatch(0, "ab" * 32)]
    index.add(["cd" * 32])
    assert MihIndex(tmp_path).query("cd" * 32, threshold=0) == [PdqMatch(0, "cd" * 32)]
    assert not list(tmp_path.glob("*.bin"))


def test_a_compactor_killed_between_seal_and_publish_blocks_nothing(tmp_path: Path) -> None:
    index = MihIndex.build(tmp_path, np.ones((10, 32), dtype=np.uint8))
    index.add(["11" * 32])
    reader = MihIndex(tmp_path)
    assert reader.query("11" * 32, threshold=0) == [PdqMatch(0, "11" * 32)]
    # What a compactor leaves when killed after sealing the old delta, before renaming
    # CURRENT (and a temporary file it was writing).
    generation = (tmp_path / "CURRENT").read_text().strip()
    with (tmp_path / f"delta-{generation}.log").open("ab") as f:
        f.write(_records(_SEAL_ROW, _SEAL_KEY))
    (tmp_path / ".tmp-orphan-base-9.mih").write_bytes(b"half")
    assert reader.query("11" * 32, threshold=0) == [PdqMatch(0, "11" * 32)]  # no error
    MihIndex(tmp_path).add(["22" * 32])  # the next writer truncates the dead seal
    for handle in (reader, index, MihIndex(tmp_path)):
        for value in ("11" * 32, "22" * 32):
            assert handle.query(value, threshold=0) == [PdqMatch(0, value)]
    assert index.compact()
    assert not list(tmp_path.glob(".tmp-*"))
    assert reader.query("22" * 32, threshold=0) == [PdqMatch(0, "22" * 32)]
