"""Benchmark `hotline audit verify` on 1,000,000 audit events (target: under 30 s).

    .venv/bin/python benchmarks/audit_verify.py                  # PostgreSQL, 1,000,000 events
    .venv/bin/python benchmarks/audit_verify.py --db sqlite --events 200000

Set-up (not timed): a throwaway database (PostgreSQL through the `postgres` superuser at
127.0.0.1, dropped afterwards; or a SQLite file) and data directory; `--events` events built in
Python with the very functions `audit_record` hashes with (`canonical`, `chain_hash`), shaped
like real ones (20 staff names, a dozen actions, report ids, small details with a Khmer word),
one millisecond apart, written with COPY (PostgreSQL) or bulk_create (SQLite); the head row set;
one signed checkpoint made (`hotline audit checkpoint`), then VACUUM ANALYZE.

Timed: `hotline audit verify` as an operator runs it (`call_command`), in this process: every
event read, re-hashed and linked, the head and the checkpoint compared. It must answer "whole".
"""

from __future__ import annotations

import argparse
import io
import json
import os
import secrets
import shutil
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

TARGET_SECONDS = 30.0
VIEWER_TARGET_MS = 150.0
ADMIN_URL = "postgres://postgres@127.0.0.1:5432/postgres"
ACTIONS = [
    ("report.view", {}),
    ("report.state_change", {"from": "received", "to": "in_review", "note": True}),
    ("report.assign", {"assignee": 3}),
    ("report.message", {}),
    ("intake.submit", {"source": "web", "files": 2}),
    ("staff.login", {}),
    ("staff.logout", {}),
    ("entities.search", {"found": False}),
    ("hashing.entry_add", {"bank": "ncmec", "hash_type": "pdq"}),
    ("audit.view", {"filtered": True, "page": False}),
    ("report.custody_export", {}),
    ("staff.forbidden", {"method": "GET", "refused": "not allowed: view_audit"}),
]


def setup_django(db: str, data_dir: Path) -> str | None:
    """Point Django at a fresh database; return the PostgreSQL database name, if any."""
    os.environ["HOTLINE_DATA_DIR"] = str(data_dir)
    os.environ["HOTLINE_CREATE_KEY_FILE"] = "1"
    os.environ["HOTLINE_LOG_LEVEL"] = "WARNING"
    os.environ["DJANGO_SETTINGS_MODULE"] = "hotline.settings"
    name = None
    if db == "postgresql":
        import psycopg

        name = f"bench_audit_{secrets.token_hex(4)}"
        with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        os.environ["HOTLINE_DATABASE_URL"] = ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    return name


def drop_database(name: str) -> None:
    import psycopg
    from django.db import connections

    connections.close_all()
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def events(count: int) -> Any:
    """Yield (at, label, action, target_type, target_id, details, previous, chain) tuples."""
    from hotline.audit.services import GENESIS, canonical, chain_hash

    start = datetime.now(UTC).replace(microsecond=0) - timedelta(milliseconds=count + 1000)
    reports = [str(uuid.UUID(int=i * 7919 + 1)) for i in range(5000)]
    labels = [f"staff{i:02d}" for i in range(20)] + ["system"]
    previous = GENESIS
    for i in range(count):
        at = start + timedelta(milliseconds=i, microseconds=i % 997)
        action, details = ACTIONS[i % len(ACTIONS)]
        details = {**details, "word": "សួស្តី"} if i % 5 == 0 else details
        label = labels[i % len(labels)]
        target_type, target_id = ("report", reports[i % len(reports)])
        body = canonical(
            at=at,
            actor_label=label,
            action=action,
            target_type=target_type,
            target_id=target_id,
            details=details,
        )
        current = chain_hash(previous, body)
        yield (at, label, action, target_type, target_id, details, previous, current)
        previous = current


def fill(count: int) -> str:
    """Write `count` chained events and the head; return the head hash."""
    from django.db import connection, transaction

    from hotline.audit.models import AuditEvent, AuditHead

    head = ""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            columns = (
                "at, actor_label, action, target_type, target_id, details, previous_hash,"
                " chain_hash"
            )
            with connection.cursor() as cursor:
                raw = cursor.cursor  # psycopg's cursor, for COPY
                with raw.copy(f"COPY audit_auditevent ({columns}) FROM STDIN") as copy:
                    for row in events(count):
                        copy.write_row((*row[:5], json.dumps(row[5]), *row[6:]))
                        head = row[7]
        else:
            batch: list[AuditEvent] = []
            for at, label, action, ttype, tid, details, prev, current in events(count):
                batch.append(
                    AuditEvent(
                        at=at,
                        actor_label=label,
                        action=action,
                        target_type=ttype,
                        target_id=tid,
                        details=details,
                        previous_hash=prev,
                        chain_hash=current,
                    )
                )
                head = current
                if len(batch) == 10_000:
                    AuditEvent.objects.bulk_create(batch)
                    batch = []
            AuditEvent.objects.bulk_create(batch)
        AuditHead.objects.update_or_create(pk=1, defaults={"chain_hash": head, "events": count})
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
    return head


def backend_cpu_seconds() -> float:
    """Return the CPU time of this connection's PostgreSQL backend (same host), else 0."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return 0.0
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (pid,) = cursor.fetchone()
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    # utime and stime: fields 14 and 15 of /proc/PID/stat, 12 and 13 after the name.
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def viewer_timings(count: int) -> bool:
    """Time the audit viewer's reads over the whole log (median of 5, after one warm-up).

    The administrators' viewer pages newest first by id (keyset), with filters by actor, action,
    target and dates. Timed: `audit_events_page` (the selector the page calls, which also
    appends its own "audit.view" event), for the first page, a page deep in the log, and each
    filter. Target: the staff pages' 150 ms median.
    """
    from statistics import median

    from django.utils import timezone

    from hotline.accounts.models import User
    from hotline.audit.models import AuditEvent
    from hotline.audit.selectors import EventFilters, audit_events_page

    admin = User.objects.create_user(username="bench-admin", password=None, is_staff=True)
    admin.role = "administrator"
    admin.save()
    oldest = AuditEvent.objects.order_by("id").values_list("id", "at")[count // 10]
    day = timezone.localtime(oldest[1]).date()  # the viewer's dates are the hotline's days
    one_report = str(uuid.UUID(int=7920))  # report 1 of events(): every 5,000th event
    cases = {
        "first page": (EventFilters(), None),
        "a page 90% deep": (EventFilters(), oldest[0]),
        "one actor": (EventFilters(actor="staff07"), None),
        "one action": (EventFilters(action="report.assign"), None),
        "one report": (EventFilters(target_type="report", target_id=one_report), None),
        "one day, 90% deep": (EventFilters(since=day, until=day), None),
    }
    ok = True
    for name, (filters, before) in cases.items():
        audit_events_page(admin, filters, before=before)
        times = []
        for _ in range(5):
            started = time.perf_counter()
            page = audit_events_page(admin, filters, before=before)
            times.append((time.perf_counter() - started) * 1000)
        ms = median(times)
        ok = ok and ms < VIEWER_TARGET_MS
        print(
            f"audit viewer, {name}: {len(page.events)} events, median {ms:.1f} ms "
            f"(max {max(times):.1f}); target < {VIEWER_TARGET_MS:.0f} ms: "
            f"{'met' if ms < VIEWER_TARGET_MS else 'MISSED'}"
        )
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", choices=["postgresql", "sqlite"], default="postgresql")
    parser.add_argument("--events", type=int, default=1_000_000)
    options = parser.parse_args()
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
    data_dir = Path(tempfile.mkdtemp(prefix="bench_audit_"))
    name = setup_django(options.db, data_dir)
    try:
        from django.core.management import call_command

        print(f"load average before set-up: {os.getloadavg()}")
        started = time.monotonic()
        head = fill(options.events)
        call_command("audit", "checkpoint", stdout=io.StringIO(), stderr=io.StringIO())
        print(f"set-up: {options.events:,} events in {time.monotonic() - started:.1f} s")
        print(f"load average before verify: {os.getloadavg()}")
        out = io.StringIO()
        backend = backend_cpu_seconds()
        started, cpu = time.monotonic(), time.process_time()
        call_command("audit", "verify", stdout=out, stderr=io.StringIO())
        seconds, cpu = time.monotonic() - started, time.process_time() - cpu
        backend = backend_cpu_seconds() - backend
        assert "whole" in out.getvalue(), out.getvalue()
        assert head in out.getvalue(), out.getvalue()
        verdict = "met" if seconds < TARGET_SECONDS else "MISSED"
        print(out.getvalue().strip())
        print(
            f"audit verify ({options.db}): {options.events:,} events in {seconds:.1f} s "
            f"({options.events / seconds:,.0f} events/s); target < {TARGET_SECONDS:.0f} s: "
            f"{verdict}"
        )
        # CPU of this process only (PostgreSQL's backend is apart): steadier than wall time
        # on a shared machine.
        print(
            f"CPU seconds: verifying process {cpu:.1f}, its database backend {backend:.1f} "
            "(what the walk costs on a machine to itself: the two run side by side)"
        )
        viewer_ok = viewer_timings(options.events)
        print(f"load average after: {os.getloadavg()}")
        return 0 if seconds < TARGET_SECONDS and viewer_ok else 1
    finally:
        if name:
            drop_database(name)
        shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
