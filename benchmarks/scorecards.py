"""Platform scorecards over many takedown targets: the grouped queries, on SQLite and PostgreSQL.

Run: `.venv/bin/python benchmarks/scorecards.py [--targets 100000] [--db sqlite|postgresql]`
Target: the scorecards of a year answer in under 1 s (a staff page) with 100,000 targets.

It makes a throwaway database (a SQLite file in a temporary folder, or a PostgreSQL database
`hotline_bench_scorecards` created through the `postgres` superuser at 127.0.0.1 and dropped at
the end), 500 reports, 12 platforms, and --targets targets (one URL entity each, dummy
ciphertext: scorecards never decrypt) first noticed over a year, two in three removed after
1 to 400 hours (log-uniform), from a fixed seed. Then it times `platform_scorecards` for the
year, 5 times after one warm-up, and prints the median (PostgreSQL: percentile_cont in the
database; SQLite: the fallback reading one duration per removed target).
"""

from __future__ import annotations

import argparse
import math
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
PG_ADMIN = "postgres://postgres@127.0.0.1:5432/postgres"
PG_NAME = "hotline_bench_scorecards"
TARGET_SECONDS = 1.0


def _setup(db: str, folder: Path) -> None:
    os.environ["HOTLINE_DATA_DIR"] = str(folder)
    os.environ["HOTLINE_CREATE_KEY_FILE"] = "1"
    os.environ["DJANGO_SETTINGS_MODULE"] = "hotline.settings"
    if db == "postgresql":
        import psycopg

        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{PG_NAME}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{PG_NAME}"')
        os.environ["HOTLINE_DATABASE_URL"] = PG_ADMIN.rsplit("/", 1)[0] + "/" + PG_NAME
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def _fill(targets: int) -> None:
    from hotline.accounts.models import User
    from hotline.directory.models import NoticeChannel, Platform
    from hotline.entities.models import Entity
    from hotline.intake.services import ReportInput, report_submit
    from hotline.takedown.models import Target

    rng = random.Random(12)
    reports = [
        report_submit(
            data=ReportInput(reporter_role="myself", categories=["sextortion"]), evidence=[]
        ).report.pk
        for _ in range(500)
    ]
    platforms = [
        Platform.objects.create(code=f"p{n}", name=f"Platform {n}", channel=NoticeChannel.NONE).pk
        for n in range(12)
    ]
    start = datetime(2026, 1, 1, tzinfo=UTC)
    batch_entities, batch_targets = [], []
    for _ in range(targets):
        batch_entities.append(
            Entity(kind="url", digest=rng.randbytes(32), value_ciphertext=b"-", created_at=start)
        )
    Entity.objects.bulk_create(batch_entities, batch_size=5000)
    entity_ids = list(Entity.objects.order_by("pk").values_list("pk", flat=True))
    for n, entity_id in enumerate(entity_ids):
        noticed = start + timedelta(seconds=rng.randrange(365 * 86400))
        removed = (
            noticed + timedelta(hours=math.exp(rng.uniform(0, math.log(400))))
            if rng.random() < 2 / 3
            else None
        )
        batch_targets.append(
            Target(
                report_id=reports[n % len(reports)],
                entity_id=entity_id,
                platform_id=platforms[rng.randrange(len(platforms))]
                if rng.random() < 0.95
                else None,
                state="removed" if removed else "online",
                created_at=noticed,
                first_noticed_at=noticed,
                removed_at=removed,
            )
        )
    Target.objects.bulk_create(batch_targets, batch_size=5000)
    User.objects.create_user(username="bench", password="x", is_staff=True, role="analyst")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--targets", type=int, default=100_000)
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        _setup(args.db, Path(folder))
        try:
            began = time.perf_counter()
            _fill(args.targets)
            print(
                f"{args.db}: filled {args.targets:,} targets in {time.perf_counter() - began:.0f} s"
            )
            from django.utils import timezone

            from hotline.accounts.models import User
            from hotline.takedown.scorecards import DateRange, platform_scorecards

            actor = User.objects.get(username="bench")
            year = DateRange(date(2026, 1, 1), date(2026, 12, 31))
            platform_scorecards(actor=actor, period=year, now=timezone.now())
            times = []
            for _ in range(5):
                began = time.perf_counter()
                cards = platform_scorecards(actor=actor, period=year, now=timezone.now())
                times.append(time.perf_counter() - began)
            median = statistics.median(times)
            verdict = "meets" if median < TARGET_SECONDS else "MISSES"
            print(
                f"{args.db}: scorecards of a year, {len(cards)} platforms: median "
                f"{median * 1000:.0f} ms of 5 (target < {TARGET_SECONDS * 1000:.0f} ms: {verdict})"
            )
            print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        finally:
            if args.db == "postgresql":
                from django.db import connections

                connections.close_all()
                import psycopg

                with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
                    conn.execute(f'DROP DATABASE IF EXISTS "{PG_NAME}" WITH (FORCE)')


if __name__ == "__main__":
    main()
