"""Several real processes add to, compact and query one PDQ index while one of them is killed.

Every query a reader makes during the run, and every query afterwards, is compared with brute
force: it must find every hash whose add() had returned before the query started, and nothing
that was never added. No hash whose add() returned may be missing at the end, and no reader may
raise. Compaction runs with a small threshold so that it happens many times during the run.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from hotline.hashing.index import BruteForceIndex, MihIndex

pytestmark = pytest.mark.slow

THRESHOLD = 31
DEADLINE_SECONDS = 40.0

# Logs each batch as "T <hex>..." before add() and "A" once add() returned (both flushed), so
# the test knows which hashes were acknowledged and which were only attempted.
WRITER = """
import sys
import numpy as np
from hotline.hashing.index import MihIndex
directory, log, seed, batch, limit, stop = sys.argv[1:7]
rng = np.random.default_rng(int(seed))
index = MihIndex(directory)
with open(log, "a", buffering=1) as out:
    while not __import__("os").path.exists(stop):
        rows = rng.integers(0, 256, size=(int(rng.integers(1, int(batch) + 1)), 32), dtype=np.uint8)
        out.write("T " + " ".join(r.tobytes().hex() for r in rows) + "\\n")
        index.add(rows)
        out.write("A\\n")
        index.compact_if_needed(limit=int(limit))
"""

# Queries near acknowledged hashes (and random ones); records, per query, how many lines of each
# writer log existed before it started, so the acknowledged set at that moment is known.
READER = """
import json, os, sys
import numpy as np
from hotline.hashing.index import MihIndex
directory, out_path, stop, *logs = sys.argv[1:]
rng = np.random.default_rng(os.getpid())
index = MihIndex(directory)
with open(out_path, "w") as out:
    while not os.path.exists(stop):
        lines = []
        for log in logs:
            with open(log) as f:
                lines.append(f.read().splitlines())
        acked = [l for ls in lines for i, l in enumerate(ls[:-1]) if ls[i + 1] == "A"]
        if acked and rng.random() < 0.8:
            words = acked[int(rng.integers(len(acked)))].split()[1:]
            row = np.frombuffer(bytes.fromhex(words[int(rng.integers(len(words)))]), np.uint8)
            row = row.copy()
            for bit in rng.choice(256, size=int(rng.integers(0, 40)), replace=False):
                row[bit // 8] ^= np.uint8(1 << (bit % 8))
            query = row.tobytes()
        else:
            query = rng.integers(0, 256, 32, dtype=np.uint8).tobytes()
        found = index.query(query, threshold=THRESHOLD)
        out.write(json.dumps([query.hex(), [len(ls) for ls in lines],
                              [[m.pdq_hex, m.distance] for m in found]]) + "\\n")
""".replace("THRESHOLD", str(THRESHOLD))


def parse_log(path: Path) -> list[tuple[str, int]]:
    """Return (hash, line of its "A" acknowledgement or -1 if none) for each attempted hash."""
    lines = path.read_text().splitlines()
    out: list[tuple[str, int]] = []
    for i, line in enumerate(lines):
        if line.startswith("T "):
            ack = i + 1 if i + 1 < len(lines) and lines[i + 1] == "A" else -1
            out += [(value, ack) for value in line.split()[1:]]
    return out


def as_set(matches: object) -> set[tuple[str, int]]:
    return {(m.pdq_hex, m.distance) for m in matches}  # type: ignore[attr-defined]


def test_processes_adding_compacting_querying_and_a_kill_lose_nothing(tmp_path: Path) -> None:
    index_dir = tmp_path / "index"
    rng = np.random.default_rng(77)
    base_rows = rng.integers(0, 256, size=(10_000, 32), dtype=np.uint8)
    warm = MihIndex.build(index_dir, base_rows)
    warm.add(base_rows[:1])
    warm.query(base_rows[0].tobytes())  # compiles both kernels into the cache the children load
    stop = tmp_path / "stop"
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}

    def writer(name: str, seed: int, batch: int, limit: int) -> subprocess.Popen[bytes]:
        args = [str(index_dir), str(tmp_path / f"{name}.log"), str(seed), str(batch), str(limit)]
        (tmp_path / f"{name}.log").touch()
        return subprocess.Popen(
            [sys.executable, "-c", WRITER, *args, str(stop)], env=env, stderr=subprocess.PIPE
        )

    writers = {f"w{i}": writer(f"w{i}", i, batch=8, limit=150) for i in range(3)}
    # Large batches (up to 40 KB a write) so that the kill lands in the middle of one.
    victim = writer("victim", 99, batch=1000, limit=20_000)
    logs = [tmp_path / f"{name}.log" for name in [*writers, "victim"]]
    readers = [
        subprocess.Popen(
            [
                sys.executable,
                "-c",
                READER,
                str(index_dir),
                str(tmp_path / f"r{i}.jsonl"),
                str(stop),
                *map(str, logs),
            ],
            env=env,
            stderr=subprocess.PIPE,
        )
        for i in range(2)
    ]
    deadline = time.monotonic() + DEADLINE_SECONDS

    def acknowledged(log: Path) -> int:
        return sum(a >= 0 for _, a in parse_log(log))

    def queries(i: int) -> int:
        path = tmp_path / f"r{i}.jsonl"
        return len(path.read_text().splitlines()) if path.exists() else 0

    def generation() -> int:
        return int((index_dir / "CURRENT").read_text())

    # Progress, not time, decides (the machine may be shared): kill the victim once it has
    # acknowledged two batches, while it is writing more; stop once the others have compacted
    # several times after that and the readers have queried throughout.
    while acknowledged(logs[-1]) < 2 * 1000 and time.monotonic() < deadline:
        time.sleep(0.05)
    victim.send_signal(signal.SIGKILL)
    victim.wait()
    killed_at = generation()
    while time.monotonic() < deadline and (
        generation() < killed_at + 8 or min(queries(0), queries(1)) < 300
    ):
        time.sleep(0.1)
    stop.touch()
    failures = {
        name: proc.communicate(timeout=60)[1].decode()
        for name, proc in [*writers.items(), *((f"r{i}", r) for i, r in enumerate(readers))]
    }
    assert all(p.returncode == 0 for p in [*writers.values(), *readers]), failures
    assert victim.returncode == -signal.SIGKILL

    # Every hash ever attempted (the base first), which log acknowledged it, and at which line.
    attempted = [parse_log(log) for log in logs]
    acked = [v for entries in attempted for v, a in entries if a >= 0]
    everything = BruteForceIndex(r.tobytes() for r in base_rows)
    everything.add(v for entries in attempted for v, _ in entries)
    log_of = np.concatenate(
        [np.full(len(base_rows), -1)] + [np.full(len(e), i) for i, e in enumerate(attempted)]
    )
    ack_line = np.concatenate(
        [np.full(len(base_rows), -1)] + [np.array([a for _, a in e], int) for e in attempted]
    )
    acked_ever = (log_of < 0) | (ack_line >= 0)
    assert generation() >= killed_at + 8  # compacted again and again after the kill

    # During the run: every reader query against brute force at the moment it started.
    rows_hex = [r.tobytes().hex() for r in everything._rows]
    checked = with_matches = 0
    for i in range(2):
        for line in (tmp_path / f"r{i}.jsonl").read_text().splitlines()[:1500]:
            query, counts, found = json.loads(line)
            distances = everything.distances(query)
            near = distances <= THRESHOLD
            seen_lines = np.array([*counts, 0])[log_of]  # log lines the reader had read
            before = near & acked_ever & ((log_of < 0) | (ack_line < seen_lines))
            got = {(h, d) for h, d in found}
            expected = {(rows_hex[j], int(distances[j])) for j in np.flatnonzero(before)}
            possible = {(rows_hex[j], int(distances[j])) for j in np.flatnonzero(near)}
            assert expected <= got <= possible, query
            checked += 1
            with_matches += bool(got)
    assert checked >= 600
    assert with_matches > 100

    # Afterwards: a fresh process's view holds every acknowledged hash, and agrees with brute
    # force once the writers' torn tail has been truncated and everything compacted.
    fresh = MihIndex(index_dir)
    missing = [v for v in acked if not fresh.query(v, threshold=0)]
    assert missing == []
    fresh.add(["00" * 32])
    assert fresh.compact()
    compacted = MihIndex(index_dir)
    everything.add(["00" * 32])
    for value in acked[:: max(1, len(acked) // 300)]:
        assert as_set(compacted.query(value, threshold=THRESHOLD)) == as_set(
            everything.query(value, threshold=THRESHOLD)
        )
    assert not list(index_dir.glob(".tmp-*"))
