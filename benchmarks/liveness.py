"""Benchmark takedown re-checks: 10,000 noticed URLs against a local host simulator.

    nice .venv/bin/python benchmarks/liveness.py                      # the issue's sizes
    nice .venv/bin/python benchmarks/liveness.py --targets 2000 --concurrency 32 64 128

Set-up (not timed): a throwaway PostgreSQL database (through the `postgres` superuser at
127.0.0.1, dropped afterwards; `--db sqlite` for a SQLite file), `--targets` takedown targets
(100 per report, each URL its own encrypted entity, all due now), and the host simulator in
its own process: an asyncio HTTP server on 127.0.0.1 that answers 200 (or 404 for a tenth of
the paths) at once, and `--slow` of the paths (5 %) only after `--slow-seconds` (2 s).

Timed, for each `--concurrency`: `hotline.takedown.rechecks.targets_recheck` over all targets
(read in chunks, checked with the safe fetcher through the thread pool, results written in
batches), exactly what the periodic task runs. Printed: wall time, checks/s, the process's
resident memory (VmRSS) and peak (VmHWM) at start, middle and end, and the verdict against the
issue's target (under 60 s, memory flat). Between runs the checks are deleted and every target
made due again. `--engine threads asyncio` also runs the checks as asyncio tasks under a
semaphore through `asyncio.to_thread` (the default executor), for comparison. Also printed:
CPU time of this process per check, the steadier figure on a shared machine.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import secrets
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

TARGET_SECONDS = 60.0
ADMIN_URL = "postgres://postgres@127.0.0.1:5432/postgres"

SIMULATOR = r"""
import asyncio, sys
SLOW = float(sys.argv[1])

async def handle(reader, writer):
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except Exception:
        writer.close(); return
    path = head.split(b" ", 2)[1]
    if path.startswith(b"/slow/"):
        await asyncio.sleep(SLOW)
    status = b"404 Not Found" if path.startswith(b"/gone/") else b"200 OK"
    writer.write(b"HTTP/1.1 " + status + b"\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
    try:
        await writer.drain()
    finally:
        writer.close()

async def main():
    server = await asyncio.start_server(handle, "127.0.0.1", 0, backlog=4096)
    print(server.sockets[0].getsockname()[1], flush=True)
    async with server:
        await server.serve_forever()

asyncio.run(main())
"""


def memory() -> tuple[int, int]:
    """Return this process's resident memory and its peak so far, in MiB."""
    fields = dict(line.split(":", 1) for line in Path("/proc/self/status").read_text().splitlines())
    return (int(fields["VmRSS"].split()[0]) // 1024, int(fields["VmHWM"].split()[0]) // 1024)


def setup_django(db: str, data_dir: Path) -> str | None:
    os.environ["HOTLINE_DATA_DIR"] = str(data_dir)
    os.environ["HOTLINE_CREATE_KEY_FILE"] = "1"
    os.environ["HOTLINE_LOG_LEVEL"] = "WARNING"
    os.environ["DJANGO_SETTINGS_MODULE"] = "hotline.settings"
    os.environ["HOTLINE_FETCH_ALLOWED_TEST_NETWORKS"] = "127.0.0.1/32"
    name = None
    if db == "postgresql":
        import psycopg

        name = f"bench_liveness_{secrets.token_hex(4)}"
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


def make_targets(count: int, port: int, slow_share: float) -> None:
    """Bulk-insert the entities and targets (encrypted as entity_get_or_create does)."""
    from django.db import transaction
    from django.utils import timezone

    from hotline.entities.keys import digest_current, entity_digest
    from hotline.entities.models import Entity
    from hotline.intake.choices import CaseState
    from hotline.intake.models import Report
    from hotline.intake.services import ReportInput, report_submit
    from hotline.takedown.models import Target
    from hotline.vault import services as vault

    now = timezone.now()
    slow_every = round(1 / slow_share) if slow_share > 0 else 0
    per_report = 100
    version = digest_current()
    for start in range(0, count, per_report):
        report = report_submit(
            data=ReportInput(reporter_role="myself", categories=["sextortion"]), evidence=[]
        ).report
        Report.objects.filter(pk=report.pk).update(status=CaseState.NOTICE_SENT)
        entities = []
        for i in range(start, min(start + per_report, count)):
            if slow_every and i % slow_every == 0:
                path = f"/slow/{i}"
            elif i % 10 == 3:
                path = f"/gone/{i}"
            else:
                path = f"/item/{i}"
            value = f"http://127.0.0.1:{port}{path}"
            entity = Entity(
                kind="url",
                digest=entity_digest("url", value),
                digest_version=version,
                created_at=now,
            )
            entity.value_ciphertext = vault.encrypt_text(value, context=entity.value_context)
            entities.append(entity)
        with transaction.atomic():
            Entity.objects.bulk_create(entities)
            Target.objects.bulk_create(
                Target(
                    report=report,
                    entity=entity,
                    created_at=now,
                    first_noticed_at=now,
                    next_check_at=now,
                )
                for entity in entities
            )


def reset_targets() -> None:
    from django.utils import timezone

    from hotline.takedown.models import LivenessCheck, Target

    LivenessCheck.objects.all().delete()
    Target.objects.update(next_check_at=timezone.now(), last_checked_at=None)


def asyncio_check_many(
    items: Iterable[Any],
    url_of: Callable[[Any], str],
    policy: Any,
    *,
    concurrency: int = 64,
    **_: Any,
) -> Iterator[list[Any]]:
    """The same contract as liveness.check_many, with asyncio tasks under a semaphore."""
    from hotline.takedown.fetcher import check_liveness
    from hotline.takedown.liveness import Checked

    everything = list(items)  # (the thread-pool version streams; this one is for comparison)

    async def run() -> list[Any]:
        gate = asyncio.Semaphore(concurrency)

        async def one(item: Any) -> Any:
            async with gate:
                return Checked(item, await asyncio.to_thread(check_liveness, url_of(item), policy))

        return list(await asyncio.gather(*(one(i) for i in everything)))

    results = asyncio.run(run())
    for start in range(0, len(results), 500):
        yield results[start : start + 500]


def timed_run(concurrency: int, engine: str, expected: int) -> dict[str, Any]:
    from hotline.takedown import liveness, rechecks
    from hotline.takedown.models import LivenessCheck

    rechecks.check_many = (  # type: ignore[assignment]
        asyncio_check_many if engine == "asyncio" else liveness.check_many
    )
    samples: list[tuple[float, int, int]] = []
    stop = threading.Event()

    def sample() -> None:
        while not stop.is_set():
            samples.append((time.monotonic(), *memory()))
            stop.wait(0.25)

    sampler = threading.Thread(target=sample, daemon=True)
    start_rss, start_peak = memory()
    cpu_before = resource.getrusage(resource.RUSAGE_SELF)
    started = time.monotonic()
    sampler.start()
    summary = rechecks.targets_recheck(concurrency=concurrency)
    took = time.monotonic() - started
    stop.set()
    sampler.join()
    end_rss, end_peak = memory()
    cpu_after = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (cpu_after.ru_utime - cpu_before.ru_utime) + (cpu_after.ru_stime - cpu_before.ru_stime)
    middle = min(samples, key=lambda s: abs(s[0] - (started + took / 2)))
    recorded = LivenessCheck.objects.count()
    assert recorded == expected == summary.checked, (recorded, expected, summary.line())
    return {
        "took": took,
        "rate": expected / took,
        "start": (start_rss, start_peak),
        "middle": (middle[1], middle[2]),
        "end": (end_rss, end_peak),
        "summary": summary.line(),
        "cpu_ms_per_check": 1000 * cpu / expected,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", choices=["postgresql", "sqlite"], default="postgresql")
    parser.add_argument("--targets", type=int, default=10_000)
    parser.add_argument("--slow", type=float, default=0.05, help="share of slow hosts")
    parser.add_argument("--slow-seconds", type=float, default=2.0)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[64])
    parser.add_argument("--engine", choices=["threads", "asyncio"], nargs="+", default=["threads"])
    args = parser.parse_args()
    # SIGTERM ends the run through `finally` (simulator stopped, database dropped).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))

    simulator = subprocess.Popen(
        [sys.executable, "-c", SIMULATOR, str(args.slow_seconds)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert simulator.stdout is not None
    port = int(simulator.stdout.readline())
    data_dir = Path(tempfile.mkdtemp(prefix="bench-liveness-"))
    name = setup_django(args.db, data_dir)
    try:
        load_before = os.getloadavg()
        t0 = time.monotonic()
        make_targets(args.targets, port, args.slow)
        print(
            f"set-up: {args.targets} targets ({args.slow:.0%} slow at {args.slow_seconds} s, "
            f"10% gone) in {time.monotonic() - t0:.0f} s on {args.db}; "
            f"load average before {load_before[0]:.2f} {load_before[1]:.2f} {load_before[2]:.2f}"
        )
        for engine in args.engine:
            for concurrency in args.concurrency:
                reset_targets()
                figures = timed_run(concurrency, engine, args.targets)
                verdict = "met" if figures["took"] < TARGET_SECONDS else "MISSED"
                load = os.getloadavg()[0]
                print(
                    f"{engine} concurrency {concurrency}: {figures['took']:.1f} s wall, "
                    f"{figures['rate']:.0f} checks/s (target < {TARGET_SECONDS:.0f} s: "
                    f"{verdict}); CPU {figures['cpu_ms_per_check']:.2f} ms/check; "
                    "RSS/peak MiB start {}/{} middle {}/{} end {}/{}; load {:.1f}".format(
                        *figures["start"], *figures["middle"], *figures["end"], load
                    ),
                    flush=True,
                )
                print(f"  {figures['summary']}", flush=True)
        load_after = os.getloadavg()
        print(f"load average after {load_after[0]:.2f} {load_after[1]:.2f} {load_after[2]:.2f}")
    finally:
        simulator.terminate()
        simulator.wait(timeout=10)
        if name:
            drop_database(name)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
