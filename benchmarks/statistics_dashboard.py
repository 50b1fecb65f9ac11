"""The staff statistics dashboard with 1,000,000 reports in PostgreSQL: its default view.

Run: `.venv/bin/python benchmarks/statistics_dashboard.py [--reports 1000000] [--repeat 7]
[--reuse] [--keep] [--live]`
Target (issue 13): the dashboard's default view answers in under 500 ms server-side.

It creates the PostgreSQL database given by --database (default
postgres://postgres@127.0.0.1:5432/hotline_bench_stats; reused with --reuse when it already
holds --reports reports) and fills it: the reports written with COPY (created over the last
three years, in the order they were received; categories, platforms, ages, languages, channels
and states drawn from a fixed seed), then from them, in SQL: state histories (about half the
reports assessed, a fifth acted on), cluster labels for every report (clusters of 1 to 40), hash
matches for 1 in 100 and takedown targets for 1 in 50; then the daily rollup (timed; --live
leaves it out and measures the live queries). Logged in as an analyst (password and TOTP,
tests/staff_login.py), it times `Client.get("/staff/statistics/")` in-process (middleware, view,
every query, template; no network) --repeat times after one warm-up and prints the median
against the target, then the median of each figure's own queries, and of one chart. The database
is dropped at the end unless --keep.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "tests"))  # staff_login: the real password + TOTP login
sys.path.insert(0, str(ROOT / "benchmarks"))

from audit_verify import backend_cpu_seconds  # noqa: E402
from staff_queue import _setup_django  # noqa: E402

TARGET_MS = 500.0
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/hotline_bench_stats"
CATEGORIES = [
    ("sextortion", 40),
    ("grooming", 20),
    ("child_images", 15),
    ("selling_group", 8),
    ("nonconsensual", 10),
    ("live_abuse", 2),
    ("other", 5),
]
PLATFORMS = ["facebook", "messenger", "telegram", "tiktok", "instagram", "whatsapp", "website"]
AGES = ["", "under_13", "13_15", "16_17", "adult"]
# Optional answers: most reporters skip them ("").
GENDERS = ["", "", "female", "male", "another"]
PROVINCES = ["", "", "phnom_penh", "siem_reap", "battambang", "kampot", "kep", "outside"]
SOURCES = [("web", 85), ("api", 10), ("phone", 5)]
STATES = [
    ("received", 20),
    ("in_review", 5),
    ("assessed", 5),
    ("notice_sent", 15),
    ("referred_police", 3),
    ("sent_to_partner", 2),
    ("closed", 25),
    ("no_action", 20),
    ("out_of_scope", 3),
    ("duplicate", 2),
]


def _pick(rng: random.Random, weighted: list[tuple[str, int]]) -> str:
    values, weights = zip(*weighted, strict=True)
    return rng.choices(values, weights)[0]


def load(count: int, *, seed: int = 13) -> None:
    """Replace every report with `count` generated ones and their derived rows."""
    from django.db import connection

    from hotline.accounts.models import User
    from hotline.intake.models import Partner, Report

    rng = random.Random(seed)
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE intake_report RESTART IDENTITY CASCADE")
        cursor.execute("TRUNCATE entities_reportcluster, hashing_bank, entities_entity CASCADE")
    partner, _ = Partner.objects.get_or_create(
        name="bench partner", defaults={"token_digest": "0" * 64}
    )
    taker, _ = User.objects.get_or_create(username="bench-taker", defaults={"is_staff": True})
    now = datetime.now(UTC)
    fields = [f for f in Report._meta.concrete_fields if not f.primary_key]
    columns = ", ".join(f.column for f in fields)
    started = time.perf_counter()
    with connection.cursor() as cursor:
        raw = cursor.cursor  # psycopg's cursor, for COPY
        with raw.copy(f"COPY intake_report ({columns}) FROM STDIN") as copy:
            # Oldest first, as a hotline stores them: ids and the table's pages follow
            # created_at (a period's reports sit together on disk, as they do in production).
            ages = sorted((rng.randrange(3 * 365 * 86400) for _ in range(count)), reverse=True)
            for age in ages:
                created = now - timedelta(seconds=age)
                source = _pick(rng, SOURCES)
                categories = sorted({_pick(rng, CATEGORIES) for _ in range(rng.choice([1, 1, 2]))})
                values = {
                    "public_id": uuid.uuid4(),
                    "receipt_digest": None,
                    "receipt_digest_version": 1,
                    "created_at": created,
                    "updated_at": created,
                    "source": source,
                    "partner_id": partner.pk if source == "api" else None,
                    "partner_reference": "",
                    "taken_by_id": taker.pk if source == "phone" else None,
                    "language": rng.choice(["km", "km", "km", "en"]),
                    "reporter_role": "myself",
                    "victim_age": rng.choice(AGES),
                    "victim_gender": rng.choice(GENDERS),
                    "province": rng.choice(PROVINCES),
                    "categories": json.dumps(categories),
                    "platforms": json.dumps(rng.sample(PLATFORMS, rng.randint(0, 2))),
                    "payment_methods": "[]",
                    "money": "none",
                    "in_danger": False,
                    "help_wanted": "[]",
                    "consent_contact": False,
                    "keep_original_for_police": False,
                    "details_ciphertext": b"\x00",
                    "status": _pick(rng, STATES),
                    "priority": 0,
                    "base_priority": 0,
                    "priority_reasons": "[]",
                    "submission_digest": None,
                    "replay_ciphertext": None,
                    "pipeline_queued": True,
                }
                copy.write_row([values[f.attname] for f in fields])
    print(f"  {count:,} reports written with COPY in {time.perf_counter() - started:.0f} s")
    _derived()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")


def _derived() -> None:
    """State histories, cluster labels, hash matches and takedown targets, made in SQL."""
    from django.db import connection

    started = time.perf_counter()
    with connection.cursor() as cursor:
        # Assessed: every report past in_review, some hours after receipt; acted on: the
        # reports in an action state (or closed after one, one in two), a day or two later.
        cursor.execute(
            """
            INSERT INTO cases_caseevent (public_id, report_id, at, kind, from_state, to_state)
            SELECT gen_random_uuid(), id, created_at + random() * interval '72 hours',
                   'state', 'received', 'assessed'
            FROM intake_report WHERE status NOT IN ('received', 'in_review')
            """
        )
        cursor.execute(
            """
            INSERT INTO cases_caseevent (public_id, report_id, at, kind, from_state, to_state)
            SELECT gen_random_uuid(), id,
                   created_at + interval '72 hours' + random() * interval '96 hours',
                   'state', 'assessed', 'notice_sent'
            FROM intake_report
            WHERE status IN ('notice_sent', 'referred_police', 'sent_to_partner')
               OR (status = 'closed' AND id % 2 = 0)
            """
        )
        # Clusters of 1 to 40 consecutive reports (by id), labelled by their smallest id.
        cursor.execute(
            """
            INSERT INTO entities_reportcluster (report_id, label, computed_at)
            SELECT id, id - (id % (1 + (id / 40) % 40)), now() FROM intake_report
            """
        )
        cursor.execute(
            """
            WITH bank AS (
              INSERT INTO hashing_bank (name, source, description, category, enabled,
                                        victim_submitted, created_at)
              VALUES ('bench list', '', '', 'csam', true, false, now()) RETURNING id
            ), entry AS (
              INSERT INTO hashing_bankentry (bank_id, hash_type, value, label, added_via,
                                             added_at, enabled)
              SELECT bank.id, 'md5', md5(n::text), '', 'bench', now(), true
              FROM bank, generate_series(1, 1000) AS n RETURNING id
            )
            INSERT INTO hashing_reportmatch (report_id, entry_id, hash_type, query_value,
                                             distance, matched_at)
            SELECT r.id, (SELECT min(id) FROM entry) + r.id % 1000, 'md5', md5(r.id::text), 0,
                   r.created_at
            FROM intake_report r WHERE r.id % 100 = 7
            """
        )
        cursor.execute(
            """
            INSERT INTO directory_platform (code, name, channel, abuse_email, child_abuse_email,
                web_form_url, hostnames, notes, contact_checked, active, updated_at)
            SELECT 'bench_' || n, 'Platform ' || n, 'none', '', '', '', '[]', '', false, true,
                   now()
            FROM generate_series(1, 6) AS n
            ON CONFLICT (code) DO NOTHING
            """
        )
        cursor.execute(
            """
            INSERT INTO entities_entity (kind, digest, digest_version, value_ciphertext,
                                         platform, flags, created_at)
            SELECT 'url', sha256(id::text::bytea), 1, '\\x00'::bytea, '', '', created_at
            FROM intake_report WHERE id % 50 = 3
            """
        )
        cursor.execute(
            """
            INSERT INTO takedown_target (public_id, report_id, entity_id, platform_id, state,
                created_at, first_noticed_at, removed_at, escalation_level)
            SELECT gen_random_uuid(), r.id, e.id,
                   (SELECT min(id) FROM directory_platform WHERE code LIKE 'bench_%%')
                     + r.id % 6,
                   CASE WHEN r.id % 3 = 0 THEN 'online' ELSE 'removed' END,
                   r.created_at, r.created_at + interval '1 day',
                   CASE WHEN r.id % 3 = 0 THEN NULL
                        ELSE r.created_at + interval '1 day'
                             + random() * interval '200 hours'
                   END, 0
            FROM intake_report r JOIN entities_entity e ON e.digest = sha256(r.id::text::bytea)
            WHERE r.id % 50 = 3
            """
        )
    print(f"  derived rows made in SQL in {time.perf_counter() - started:.0f} s")


def _median_ms(action: Callable[[], object], repeat: int) -> float:
    action()  # warm-up
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def measure(repeat: int) -> float:
    from django.conf import settings
    from django.test import Client

    from hotline.accounts.models import User
    from hotline.statistics import dashboard as d
    from staff_login import log_in, make_staff

    # As benchmarks/staff_queue.py: no test instrumentation, only the client's host name, and
    # unhashed static names (the manifest needs `collectstatic`).
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
    }
    # A new account per run (audit events keep the earlier ones).
    client = Client()
    log_in(client, make_staff(f"bench-stats{User.objects.count()}", role="analyst"))

    def page() -> None:
        response = client.get("/staff/statistics/")
        assert response.status_code == 200, response.status_code

    cpu_before = backend_cpu_seconds()
    page_ms = _median_ms(page, repeat)
    cpu_ms = (backend_cpu_seconds() - cpu_before) * 1000 / (repeat + 1)
    filters = d.default_filters()
    print(
        f"default view ({filters.start} to {filters.end}, "
        f"{d.reports_in(filters).count():,} reports)"
    )
    verdict = "met" if page_ms < TARGET_MS else "MISSED"
    print(f"| page, default view | {page_ms:.0f} | {cpu_ms:.0f} | {verdict} |")
    rolled = d.rollup_built_at() is not None
    parts: dict[str, Callable[[], object]] = {
        "count": lambda: d.total(filters, rolled=rolled),
        "per week": lambda: d.series(filters, rolled=rolled),
        "by type, platform, age, gender, province, language, channel, outcome": lambda: [
            d.counted(filters, dimension, rolled=rolled) for dimension in d.DIMENSION_LABELS
        ],
        "clusters growing fastest": lambda: d.clusters_growing_fastest(filters, rolled=rolled),
        "hash matches": lambda: d.hash_matches(filters, rolled=rolled),
        "time to assessment + action": lambda: (
            d.time_to_assessment(filters, rolled=rolled),
            d.time_to_action(filters, rolled=rolled),
        ),
        "takedown per platform": lambda: d.takedown_by_platform(filters),
        "quarter vs last year": lambda: d.quarter_comparison(filters, rolled=rolled),
        "one chart (by type, SVG)": lambda: client.get("/staff/statistics/chart/category.svg"),
    }
    for name, action in parts.items():
        print(f"|   {name} | {_median_ms(action, repeat):.0f} | | |")
    return page_ms


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--reports", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--database", default=DEFAULT_URL)
    parser.add_argument("--reuse", action="store_true")
    parser.add_argument("--keep", action="store_true", help="do not drop the database")
    parser.add_argument("--live", action="store_true", help="without the daily rollup")
    args = parser.parse_args()
    os.environ.setdefault("HOTLINE_LOG_LEVEL", "WARNING")
    _setup_django(args.database)
    from hotline.intake.models import Report
    from hotline.statistics.models import RollupBuild
    from hotline.statistics.rollup import rollup_rebuild

    print(f"load average at start: {os.getloadavg()[0]:.1f}")
    try:
        if not (args.reuse and Report.objects.count() == args.reports):
            load(args.reports)
        if args.live:
            RollupBuild.objects.all().delete()
            print("rollup: not built (--live): counts computed from the reports")
        else:
            print(f"rollup rebuilt by the database in {rollup_rebuild():.1f} s")
        print("| measured | median ms | PostgreSQL CPU ms | target < 500 ms |")
        print("| --- | ---: | ---: | --- |")
        page_ms = measure(args.repeat)
        print(f"load average at end: {os.getloadavg()[0]:.1f}")
    finally:
        if not args.keep:
            _drop(args.database)
    return 0 if page_ms < TARGET_MS else 1


def _drop(url: str) -> None:
    """Drop the benchmark's database (it is throwaway)."""
    import psycopg
    from django.db import connections

    connections.close_all()
    name = url.rsplit("/", 1)[1]
    admin = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    sys.exit(main())
