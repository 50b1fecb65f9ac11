"""The annual report and the public figures page with 1,000,000 reports in PostgreSQL.

Run: `nice .venv/bin/python benchmarks/statistics_report.py [--reports 1000000] [--keep]`
Target (issue 13): the annual report (`hotline stats report --year Y`) builds in under 60 s.

It creates a throwaway PostgreSQL database (default
postgres://postgres@127.0.0.1:5432/hotline_bench_stats_report), migrates it, and generates the
reports inside PostgreSQL (INSERT ... SELECT over generate_series: no row crosses the wire),
spread over one year, with categories (one or two), platforms (none to two), ages and states
drawn at random, and for one report in ten a removed takedown target (removed up to 20 days
after its first notice). Then it times, in process: the annual report's figures and HTML
(`report_html`), the whole PDF (`report_pdf`, figures included), publishing one quarter
(`quarter_publish`), and the public page (`Client.get("/figures/")`, median of 20). The
database is dropped at the end unless --keep.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

TARGET_S = 60.0
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/hotline_bench_stats_report"
YEAR = 2025


def _admin_url(url: str) -> tuple[str, str]:
    return url.rsplit("/", 1)[0] + "/postgres", url.rsplit("/", 1)[1]


def _create(url: str) -> None:
    import psycopg

    admin, name = _admin_url(url)
    with psycopg.connect(admin, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists:
            # Never drop a database this run did not create (it may be someone else's).
            raise SystemExit(f"database {name} exists: drop it or give another --database")
        conn.execute(f'CREATE DATABASE "{name}"')


def _drop(url: str) -> None:
    import psycopg
    from django.db import connections

    connections.close_all()
    admin, name = _admin_url(url)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')


def _setup_django(url: str) -> None:
    os.environ["HOTLINE_DATABASE_URL"] = url
    os.environ["HOTLINE_DATA_DIR"] = tempfile.mkdtemp(prefix="bench-stats-")
    os.environ["HOTLINE_CREATE_KEY_FILE"] = "1"
    os.environ["DJANGO_SETTINGS_MODULE"] = "hotline.settings"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


GENERATE_REPORTS = """
INSERT INTO intake_report (
  public_id, receipt_digest_version, created_at, updated_at, source, partner_reference,
  language, reporter_role, victim_age, categories, platforms, payment_methods, money,
  in_danger, help_wanted, consent_contact, keep_original_for_police, details_ciphertext,
  status, priority, base_priority, priority_reasons, pipeline_queued)
SELECT
  gen_random_uuid(), 1, t, t, 'web', '', 'km', 'myself',
  (ARRAY['', 'under_13', '13_15', '16_17', 'adult'])[1 + floor(random() * 5)::int],
  CASE WHEN random() < 0.8
    THEN jsonb_build_array((ARRAY['sextortion','grooming','child_images','selling_group',
      'nonconsensual','live_abuse','other'])[1 + floor(random() * 7)::int])
    ELSE '["sextortion", "grooming"]'::jsonb END,
  CASE WHEN random() < 0.1 THEN '[]'::jsonb
    WHEN random() < 0.8 THEN jsonb_build_array((ARRAY['facebook','messenger','telegram',
      'tiktok','instagram','whatsapp','website'])[1 + floor(random() * 7)::int])
    ELSE '["facebook", "telegram"]'::jsonb END,
  '[]'::jsonb, 'none', false, '[]'::jsonb, false, false, ''::bytea,
  (ARRAY['received','in_review','assessed','notice_sent','referred_police',
    'sent_to_partner','closed','no_action','out_of_scope','duplicate'])
    [1 + floor(random() * 10)::int],
  0, 0, '[]'::jsonb, true
FROM (
  SELECT make_timestamptz(%(year)s, 1, 1, 0, 0, 0, 'Asia/Phnom_Penh')
         + random() * interval '364 days' AS t
  FROM generate_series(1, %(count)s)
) AS times
"""

GENERATE_TARGETS = [
    """
INSERT INTO entities_entity (kind, digest, digest_version, value_ciphertext, platform, flags,
  created_at)
SELECT 'url', sha256(('bench-' || id)::text::bytea), 1, ''::bytea, '', '', created_at
FROM intake_report WHERE id % 10 = 0
""",
    """
INSERT INTO takedown_target (public_id, report_id, entity_id, platform_id, state, created_at,
  first_noticed_at, removed_at, escalation_level)
SELECT gen_random_uuid(), r.id, e.id,
  platforms.ids[1 + r.id % array_length(platforms.ids, 1)], 'removed', r.created_at,
  r.created_at + interval '2 hours',
  r.created_at + interval '2 hours' + random() * interval '20 days', 0
FROM intake_report r
JOIN entities_entity e ON e.digest = sha256(('bench-' || r.id)::text::bytea)
CROSS JOIN (SELECT array_agg(id) AS ids FROM directory_platform) platforms
WHERE r.id % 10 = 0
""",
]


def load(count: int) -> None:
    from django.db import connection

    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(GENERATE_REPORTS, {"year": YEAR, "count": count})
        for statement in GENERATE_TARGETS:
            cursor.execute(statement)
        cursor.execute("ANALYZE")
        cursor.execute("SELECT count(*) FROM intake_report")
        reports = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM takedown_target")
        targets = cursor.fetchone()[0]
    print(
        f"loaded {reports} reports and {targets} removed targets in "
        f"{time.perf_counter() - started:.1f} s"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--reports", type=int, default=1_000_000)
    parser.add_argument("--database", default=DEFAULT_URL)
    parser.add_argument("--keep", action="store_true", help="do not drop the database")
    args = parser.parse_args()

    print(f"load average before set-up: {os.getloadavg()}")
    _create(args.database)
    _setup_django(args.database)
    try:
        load(args.reports)
        from django.test import Client

        from hotline.accounts.services import staff_create
        from hotline.statistics.public import QuarterKey, quarter_publish
        from hotline.statistics.report import report_html, report_pdf

        print(f"load average before timing: {os.getloadavg()}")
        started = time.perf_counter()
        report_html(YEAR, "en")
        figures_s = time.perf_counter() - started
        started = time.perf_counter()
        pdf = report_pdf(YEAR, "km")
        pdf_s = time.perf_counter() - started

        admin = staff_create(
            username="bench-admin", password="a long enough passphrase 42", role="administrator"
        )
        started = time.perf_counter()
        quarter_publish(actor=admin, key=QuarterKey(YEAR, 1))
        publish_s = time.perf_counter() - started
        for quarter in (2, 3, 4):
            quarter_publish(actor=admin, key=QuarterKey(YEAR, quarter))
        from django.conf import settings

        # As benchmarks/staff_queue.py: the test client's host name, unhashed static names.
        settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
        settings.STORAGES = {
            **settings.STORAGES,
            "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
        }
        client = Client()
        assert client.get("/figures/").status_code == 200
        page_ms = []
        for _ in range(20):
            started = time.perf_counter()
            response = client.get("/figures/")
            page_ms.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200
        print(f"load average after: {os.getloadavg()}")
        verdict = "within" if pdf_s < TARGET_S else "OVER"
        print(f"annual report figures + HTML ({args.reports} reports): {figures_s:.1f} s")
        print(
            f"annual report PDF, Khmer ({len(pdf) // 1024} KiB): {pdf_s:.1f} s "
            f"({verdict} the {TARGET_S:.0f} s target)"
        )
        print(f"publish one quarter: {publish_s:.1f} s")
        print(f"public figures page (4 quarters): median {statistics.median(page_ms):.1f} ms")
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT
        ).stdout.strip()
        print(f"commit {commit}")
    finally:
        if not args.keep:
            _drop(args.database)
    return 0


if __name__ == "__main__":
    sys.exit(main())
