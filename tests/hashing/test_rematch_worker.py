"""The rematch after an import with real `hotline worker` processes: short timeouts, SIGKILL.

Each test gets a throwaway install (SQLite, or PostgreSQL when the suite runs on it) with a few
hundred reports processed by the real pipeline, imports a list with `hotline hashbank import`,
and reads the outcome from the install's database.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from process_helpers import Install, group_alive, kill_group, wait_for

pytestmark = pytest.mark.slow

REPORTS = 300
PLANTED_PDQ = 30  # reports whose PDQ is in the list with some bits flipped (0..31)
PLANTED_MD5 = 10  # reports whose MD5 is in the list as is

SETUP = """
import json, random, secrets
from hotline.intake.services import ReportInput, report_submit
from hotline.hashing.reports import report_hashes_match
random.seed(9)
reports = []
for i in range(%(reports)d):
    pdq, md5 = secrets.token_hex(32), secrets.token_hex(16)
    data = ReportInput(
        reporter_role="myself", categories=["sextortion"],
        hashes=[("pdq", pdq, 100), ("md5", md5, None)],
    )
    report_id = report_submit(data=data, evidence=[]).report.pk
    report_hashes_match(report_id)  # files its hashes, the part of the pipeline that matters here
    reports.append((report_id, pdq, md5))
# Processed here: the worker's outbox has nothing to queue for them.
from hotline.intake.models import Report
Report.objects.update(pipeline_queued=True)
def flip(value, bits):
    number = int(value, 16)
    for bit in random.sample(range(256), bits):
        number ^= 1 << bit
    return f"{number:064x}"
rows, planted = [], []
for report_id, pdq, md5 in reports[:%(pdq)d]:
    near = flip(pdq, random.randint(0, 31))
    rows.append(f"{near},pdq,planted")
    planted.append((report_id, near, pdq))
for report_id, pdq, md5 in reports[-%(md5)d:]:
    rows.append(f"{md5},md5,planted")
    planted.append((report_id, md5, md5))
rows += [f"{secrets.token_hex(32)},pdq,noise" for _ in range(2000)]
rows += [f"{secrets.token_hex(16)},md5,noise" for _ in range(500)]
open(%(list)r, "w").write("\\n".join(rows) + "\\n")
print(json.dumps(planted))
"""

# More reported hashes, so the PDQ scan takes many chunks (linked to the first reports; no
# evidence record, so their quality is unknown and they match like any other).
MORE_REPORTED = """
import secrets
from hotline.hashing.models import BankEntry, VictimSubmission
from hotline.hashing.services import victim_bank
from hotline.intake.models import Report
bank = victim_bank()
ids = list(Report.objects.order_by("pk").values_list("pk", flat=True)[:50])
entries = BankEntry.objects.bulk_create(
    [BankEntry(bank=bank, hash_type="pdq", value=secrets.token_hex(32), added_via="test")
     for _ in range(%(count)d)]
)
entries = BankEntry.objects.filter(bank=bank, added_via="test").order_by("pk")
VictimSubmission.objects.bulk_create(
    [VictimSubmission(entry=e, report_id=ids[i %% len(ids)]) for i, e in enumerate(entries)]
)
"""

# numba compiles the search kernel at its first call and caches it in the data directory: done
# here once, so the worker's first chunk does not spend a short task timeout compiling.
WARM_UP = """
from hotline.hashing.index.memory import MemoryMihIndex
MemoryMihIndex([bytes(32)]).query_batch([bytes(32)])
"""


def shell(install: Install, code: str) -> str:
    """Run code in `hotline shell` (set-up of hundreds of reports: a generous timeout)."""
    done = install.run("shell", "--no-imports", "-c", code, timeout=600)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def prepare(install: Install, more_reported: int = 0) -> set[tuple[int, str, str]]:
    """Make the reports and the list file; return the planted (report, entry, query) triples."""
    path = str(install.data_dir / "list.csv")
    out = shell(
        install, SETUP % {"reports": REPORTS, "pdq": PLANTED_PDQ, "md5": PLANTED_MD5, "list": path}
    )
    if more_reported:
        shell(install, MORE_REPORTED % {"count": more_reported})
    if (Path(__file__).parent.parent.parent / "src/hotline/hashing/index/memory.py").exists():
        shell(install, WARM_UP)
    return {tuple(t) for t in json.loads(out.splitlines()[-1])}  # type: ignore[misc]


def query(install: Install, sql: str) -> list[tuple[Any, ...]]:
    """Read the install's database directly (fast enough to poll a running job)."""
    url = install.env.get("HOTLINE_DATABASE_URL")
    if url:
        import psycopg

        with psycopg.connect(url) as conn:
            return list(conn.execute(sql).fetchall())
    with sqlite3.connect(install.data_dir / "hotline.sqlite3", timeout=10) as conn:
        return list(conn.execute(sql).fetchall())


def stored_matches(install: Install) -> list[tuple[int, str, str]]:
    return [
        (int(r), e, q)
        for r, e, q in query(
            install,
            "SELECT m.report_id, e.value, m.query_value FROM hashing_reportmatch m"
            " JOIN hashing_bankentry e ON e.id = m.entry_id"
            " JOIN hashing_bank b ON b.id = e.bank_id WHERE b.name = 'known'",
        )
    ]


def job(install: Install) -> dict[str, Any] | None:
    columns = "state phase cursor pdq_scanned pdq_total exact_done exact_total chunks matched"
    rows = query(
        install,
        f"SELECT {', '.join(columns.split())} FROM hashing_rematchjob ORDER BY id DESC LIMIT 1",
    )
    return dict(zip(columns.split(), rows[0], strict=True)) if rows else None


def import_list(install: Install) -> None:
    assert install.run("hashbank", "create", "known", "--category", "csam").returncode == 0
    done = install.run("hashbank", "import", "known", str(install.data_dir / "list.csv"))
    assert done.returncode == 0, done.stderr


def test_rematch_of_many_reports_finishes_within_short_task_timeouts(install: Install) -> None:
    """300 reports, 4 s task timeout: the old per-report pipeline rerun could never finish."""
    planted = prepare(install)
    env = {
        "HOTLINE_TASK_TIMEOUT": "4",
        "HOTLINE_TASK_RETRY": "6",
        "HOTLINE_TASK_MAX_ATTEMPTS": "2",
        "HOTLINE_TASK_BACKOFF_SECONDS": "1",
        "HOTLINE_REMATCH_CHUNK": "100",
    }
    worker = install.start("worker", **env)
    import_list(install)
    wait_for(
        lambda: (
            len(stored_matches(install)) >= len(planted)
            or query(install, "SELECT COUNT(*) FROM tasks_failedtask")[0][0]
        ),
        timeout=120,
        what="the planted matches or a failed task",
        alive=worker,
    )
    assert query(install, "SELECT func_path, error FROM tasks_failedtask") == []
    wait_for(lambda: (job(install) or {}).get("state") == "done", timeout=60, what="the job end")
    matches = stored_matches(install)
    assert set(matches) == planted
    assert len(matches) == len(planted)
    state = job(install)
    assert state is not None
    assert (state["exact_done"], state["exact_total"]) == (PLANTED_MD5 + 500,) * 2
    assert state["pdq_scanned"] == state["pdq_total"] == REPORTS
    assert state["matched"] == len(planted)


def test_a_killed_worker_resumes_the_rematch_from_its_cursor(install: Install) -> None:
    more = 20_000
    planted = prepare(install, more_reported=more)
    chunk = 500
    env = {
        "HOTLINE_TASK_TIMEOUT": "10",
        "HOTLINE_TASK_RETRY": "12",
        "HOTLINE_REMATCH_CHUNK": str(chunk),
        "HOTLINE_WORKER_PROCESSES": "1",
    }
    first = install.start("worker", **env)
    import_list(install)
    wait_for(
        lambda: (job(install) or {}).get("pdq_scanned", 0) >= 4 * chunk,
        timeout=120,
        interval=0.02,
        what="the PDQ scan to be under way",
        alive=first,
    )
    kill_group(first)
    wait_for(lambda: not group_alive(first.pid), timeout=10, what="the worker to die")
    at_kill = job(install)
    assert at_kill is not None
    total = REPORTS + more
    assert at_kill["state"] == "running"
    assert 0 < at_kill["pdq_scanned"] < total, at_kill

    second = install.start("worker", **env)
    wait_for(
        lambda: (job(install) or {}).get("state") == "done",
        timeout=120,
        what="the job to finish on the new worker",
        alive=second,
    )
    matches = stored_matches(install)
    assert set(matches) == planted
    assert len(matches) == len(planted)  # no duplicates
    end = job(install)
    assert end is not None
    # Every reported hash scanned once, every chunk committed once: it went on from the
    # cursor, it did not start again.
    assert end["pdq_scanned"] == end["pdq_total"] == total
    exact_chunks = -(-(PLANTED_MD5 + 500) // chunk) + 1
    pdq_chunks = -(-total // chunk) + 1
    assert end["chunks"] == exact_chunks + pdq_chunks
    assert end["matched"] == len(planted)
    shown = install.run("hashbank", "rematches").stdout
    assert f"\tknown\tdone\tMD5/SHA-256 {PLANTED_MD5 + 500}/{PLANTED_MD5 + 500}" in shown
    assert f"PDQ {total}/{total} reported hashes scanned; {len(planted)} new matches" in shown
    audit = [a for (a,) in query(install, "SELECT action FROM audit_auditevent ORDER BY id")]
    assert audit.count("hashing.rematch_queue") == audit.count("hashing.rematch_done") == 1
