"""Staff pages with 200,000 reports in PostgreSQL: the queue, a filter, a search, a report page.

Run: `.venv/bin/python benchmarks/staff_queue.py [--reports 200000] [--repeat 30] [--reuse]`
Target (issue 11): each page answers in under 150 ms median, server-side.

It creates (or reuses with --reuse, when it already holds --reports reports) the PostgreSQL
database given by --database (default postgres://postgres@127.0.0.1:5432/hotline_bench_queue)
and fills it fast: reports with real vault ciphertexts of generated English, Khmer and mixed
narratives and identifiers, priorities, states, categories, platforms, ages and languages
drawn from a fixed seed, an assignment for one report in five, and every report's search terms
(computed by the real tokeniser and digests, written with COPY). Then, logged in as an analyst
with a password and a TOTP code (tests/staff_login.py), it times `Client.get` in-process
(middleware, view, queries, template; no network) for each page --repeat times, interleaved,
after one warm-up, and prints the medians against the target, and EXPLAIN ANALYZE of the
queue's queries with --explain.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "tests"))  # staff_login: the real password + TOTP login

TARGET_MS = 150.0
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/hotline_bench_queue"

PROSE = [
    "He said he would send the photos to my family unless I paid him before Friday.",
    "I met this person online and after a few weeks he asked me for pictures.",
    "They asked for $300 and then another 500 dollars the next day.",
    "My daughter is scared to go to school because the pictures were shared in a group.",
    "The account pretends to be a modelling agency and asks girls for videos.",
    "ខ្ញុំត្រូវបានគេគំរាមថានឹងផ្សព្វផ្សាយរូបភាពរបស់ខ្ញុំ ប្រសិនបើខ្ញុំមិនបង់លុយ។",
    "គាត់បានផ្ញើសារមកខ្ញុំរៀងរាល់ថ្ងៃ ហើយទាមទារឱ្យខ្ញុំផ្ញើរូបថតបន្ថែម។",
    "កូនស្រីរបស់ខ្ញុំអាយុ ១៤ ឆ្នាំ ត្រូវបានគេបោកប្រាស់តាមអនឡាញ។",
    "Please help, I am scared. គាត់ថានឹងផ្ញើទៅឪពុកម្តាយខ្ញុំ.",
]
# Words that make narratives differ (names, places, apps), so terms have a realistic spread:
# a few very common, most rare.
VOCABULARY = [
    f"{a}{b}" for a in ("sok", "dara", "vanna", "chan", "kim", "lina") for b in range(400)
]
STATES = [
    ("received", 30),
    ("in_review", 10),
    ("assessed", 10),
    ("notice_sent", 10),
    ("referred_police", 5),
    ("sent_to_partner", 5),
    ("closed", 15),
    ("no_action", 10),
    ("out_of_scope", 3),
    ("duplicate", 2),
]
CATEGORIES = [
    "sextortion",
    "grooming",
    "child_images",
    "selling_group",
    "nonconsensual",
    "live_abuse",
    "other",
]
PLATFORMS = ["facebook", "messenger", "telegram", "tiktok", "instagram", "whatsapp"]
AGES = ["", "under_13", "13_15", "16_17", "adult"]


def _setup_django(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1]
    admin = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')
    os.environ["HOTLINE_DATABASE_URL"] = url
    # One data directory (one key file) per benchmark database: --reuse needs the same keys.
    data_dir = Path(tempfile.gettempdir()) / f"bench-queue-{name}"
    data_dir.mkdir(exist_ok=True)
    os.environ["HOTLINE_DATA_DIR"] = str(data_dir)
    os.environ["HOTLINE_CREATE_KEY_FILE"] = "1"
    os.environ["DJANGO_SETTINGS_MODULE"] = "hotline.settings"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def _narrative(rng: random.Random) -> tuple[list[str], dict[str, list[str]]]:
    parts = [rng.choice(PROSE) for _ in range(rng.randint(1, 3))]
    for word in rng.sample(VOCABULARY, 3):
        parts.insert(rng.randrange(len(parts) + 1), word)
    fields: dict[str, list[str]] = {"links": [], "usernames": [], "phones": []}
    if rng.random() < 0.5:
        fields["usernames"].append(f"@{rng.choice(VOCABULARY)}_{rng.randrange(100)}")
    if rng.random() < 0.3:
        fields["phones"].append(f"0{rng.choice(['12', '77', '96'])} {rng.randrange(10**5, 10**6)}")
    if rng.random() < 0.3:
        fields["links"].append(f"https://t.me/{rng.choice(VOCABULARY)}{rng.randrange(1000)}")
    return parts, fields


def load(count: int, *, batch: int = 5000, seed: int = 11) -> None:
    """Replace every report with `count` generated ones, their assignments and search terms."""
    from django.db import connection, transaction

    from hotline.accounts.models import User
    from hotline.cases.models import Assignment
    from hotline.intake.models import Report
    from hotline.search.keys import term_digester
    from hotline.search.models import SearchIndexed
    from hotline.search.services import TOKENIZER_VERSION
    from hotline.search.tokens import document_terms
    from hotline.vault import services as vault

    rng = random.Random(seed)
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE intake_report RESTART IDENTITY CASCADE")
    assignees = [
        User.objects.get_or_create(username=f"bench{i}", defaults={"is_staff": True})[0]
        for i in range(8)
    ]
    digest = term_digester()
    cache: dict[str, frozenset[bytes]] = {}

    def digests_of(piece: str) -> frozenset[bytes]:
        # The real tokeniser and digests, once per distinct sentence, word or identifier: a
        # report's terms are the union of its pieces' (they are joined by spaces, which no
        # term spans), and tokenising 200,000 whole narratives took most of the load time.
        if piece not in cache:
            cache[piece] = frozenset(digest(term) for term in document_terms([piece]))
        return cache[piece]

    now = datetime.now(UTC)
    states, weights = zip(*STATES, strict=True)
    started = time.perf_counter()
    made = 0
    while made < count:
        size = min(batch, count - made)
        reports: list[Report] = []
        texts: list[list[str]] = []
        sealed: list[tuple[bytes, str]] = []
        for _ in range(size):
            parts, fields = _narrative(rng)
            narrative = " ".join(parts)
            public_id = uuid.uuid4()
            details = {"narrative": narrative, **fields, "started": "", "amount": "", "contact": ""}
            sealed.append(
                (
                    json.dumps(details, ensure_ascii=False).encode(),
                    f"intake.report:{public_id}:details",
                )
            )
            texts.append([*parts, *fields["links"], *fields["usernames"], *fields["phones"]])
            created = now - timedelta(minutes=rng.randrange(60 * 24 * 180))
            reports.append(
                Report(
                    public_id=public_id,
                    created_at=created,
                    updated_at=created,
                    language=rng.choice(["km", "km", "en"]),
                    reporter_role="myself",
                    victim_age=rng.choice(AGES),
                    categories=rng.sample(CATEGORIES, rng.randint(1, 2)),
                    platforms=rng.sample(PLATFORMS, rng.randint(0, 2)),
                    status=rng.choices(states, weights)[0],
                    priority=rng.choice([0, 10, 20, 20, 30, 40, 60, 80, 100, 120, 200]),
                    pipeline_queued=True,
                )
            )
        for report, blob in zip(reports, vault.encrypt_many(sealed), strict=True):
            report.details_ciphertext = blob
        with transaction.atomic():
            Report.objects.bulk_create(reports, batch_size=1000)
            Assignment.objects.bulk_create(
                [
                    Assignment(report=r, assignee=rng.choice(assignees), assigned_at=now)
                    for r in reports
                    if rng.random() < 0.2
                ],
                batch_size=1000,
            )
            SearchIndexed.objects.bulk_create(
                [
                    SearchIndexed(report=r, version=TOKENIZER_VERSION, indexed_at=now)
                    for r in reports
                ],
                batch_size=1000,
            )
            with connection.cursor() as cursor:
                pg = cursor.cursor  # psycopg's own cursor: COPY is several times bulk_create
                with pg.copy("COPY search_searchterm (digest, report_id) FROM STDIN") as copy:
                    for report, pieces in zip(reports, texts, strict=True):
                        for key in {key for piece in pieces for key in digests_of(piece)}:
                            copy.write_row((key, report.pk))
        made += size
        rate = made / (time.perf_counter() - started)
        print(f"loaded {made:,} reports ({rate:,.0f}/s)", flush=True)
    with connection.cursor() as cursor:
        for table in ("intake_report", "cases_assignment", "search_searchterm"):
            cursor.execute(f"VACUUM ANALYZE {table}")
        cursor.execute("SELECT count(*) FROM search_searchterm")
        print(f"search terms: {cursor.fetchone()[0]:,} rows")


def _search_word() -> str:
    # A name word present in about 1 report in 800 (3 of 2,400 words per report).
    return VOCABULARY[7]


PAGES = {
    "queue, default order": "/staff/",
    "queue, filtered (category + language)": "/staff/?category=grooming&language=en",
    "queue, search (a name)": "/staff/?q=" + _search_word(),
    "queue, search (a common Khmer word) + filter": "/staff/?q=%E1%9E%9A%E1%9E%BC%E1%9E%94"
    "%E1%9E%90%E1%9E%8F&state=all&platform=telegram",
}


def bench(repeat: int, *, explain: bool) -> list[tuple[str, float, float]]:
    """Time each page `repeat` times (interleaved); return (page, median ms, median CPU ms).

    The CPU figure is this process's (Django: middleware, view, template), not PostgreSQL's:
    steadier than the wall time on a shared machine, and the part that grows with Python work.
    """
    from django.conf import settings
    from django.db import connection, reset_queries
    from django.test import Client

    from hotline.accounts.models import User
    from hotline.intake.models import Report
    from staff_login import log_in, make_staff

    # Not setup_test_environment(): its instrumented template rendering (a signal and a copy of
    # the context per template, for assertions) would be timed too. Only the client's host name.
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    # Unhashed static names, as the test suite does: the manifest needs `collectstatic`.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
    }
    # A new account per run (audit events keep the earlier ones).
    staff = make_staff(f"bench{User.objects.count()}", role="analyst")
    client = Client()
    log_in(client, staff)
    first = client.get("/staff/")
    assert first.status_code == 200, first.status_code
    report = Report.objects.order_by("-priority", "created_at", "id").first()
    assert report is not None
    pages = {**PAGES, "report page": f"/staff/reports/{report.public_id}/"}
    times: dict[str, list[float]] = {name: [] for name in pages}
    cpu_times: dict[str, list[float]] = {name: [] for name in pages}  # Django's process only
    for url in pages.values():  # warm-up: templates, caches, the database's buffers
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
    for _ in range(repeat):
        for name, url in pages.items():
            start, cpu = time.perf_counter(), time.process_time()
            response = client.get(url)
            times[name].append((time.perf_counter() - start) * 1000)
            cpu_times[name].append((time.process_time() - cpu) * 1000)
            assert response.status_code == 200
    if explain:
        settings.DEBUG = True
        for name, url in pages.items():
            reset_queries()
            client.get(url)
            selects = [q for q in connection.queries if q["sql"].startswith("SELECT")]
            slowest = sorted(selects, key=lambda q: -float(q["time"]))[:2]
            for query in slowest:
                print(f"\n== {name}: {query['time']} s\n{query['sql'][:400]}")
                with connection.cursor() as cursor:
                    cursor.execute("EXPLAIN ANALYZE " + query["sql"])
                    print("\n".join(row[0] for row in cursor.fetchall()))
        settings.DEBUG = False
    return [
        (name, statistics.median(times[name]), statistics.median(cpu_times[name])) for name in pages
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--database", default=DEFAULT_URL)
    parser.add_argument("--reports", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--reuse", action="store_true", help="keep the reports if enough exist")
    parser.add_argument("--explain", action="store_true", help="print EXPLAIN ANALYZE")
    args = parser.parse_args()
    _setup_django(args.database)
    from hotline.intake.models import Report

    if not (args.reuse and Report.objects.count() == args.reports):
        load(args.reports)
    else:
        from django.db import connection

        with connection.cursor() as cursor:  # statistics as a migration may have changed them
            cursor.execute("ANALYZE search_searchterm")
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    results = bench(args.repeat, explain=args.explain)
    print(
        f"\n{Report.objects.count():,} reports, median of {args.repeat} (server-side, in-process)"
    )
    for name, median, cpu in results:
        verdict = "met" if median < TARGET_MS else "MISSED"
        print(
            f"  {name:46s} {median:6.1f} ms (< {TARGET_MS:.0f}: {verdict}; Django CPU {cpu:.1f} ms)"
        )
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
