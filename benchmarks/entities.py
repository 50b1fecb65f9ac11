"""Entity benchmarks: extraction throughput, bulk linking and cluster lookups.

Run: `.venv/bin/python benchmarks/entities.py extract [--mb 8]`
     `.venv/bin/python benchmarks/entities.py link [--reports 1000000 --mentions 3000000]`
The link benchmark needs PostgreSQL (--database, default
postgres://postgres@127.0.0.1:5432/hotline_bench_entities); it creates and fills that database.
It runs `entities_link_bulk(exclusive=True)` (the maintenance-window path) unless --online.

The text is generated: English, Khmer and mixed sentences, about one identifier per 300 bytes
(links, handles, phone numbers, wallets, payment accounts), plus digits, dates and prices that
must not be extracted. MB means 10^6 bytes of UTF-8.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

from hotline.entities.extract import extract_entities

PROSE = [
    "He said he would send the photos to my family unless I paid him before Friday.",
    "I met this person online and after a few weeks he asked me for pictures.",
    "The account was created on 12/03/2024 and has about 1500 followers.",
    "They asked for $300 and then another 500 dollars the next day.",
    "ខ្ញុំត្រូវបានគេគំរាមថានឹងផ្សព្វផ្សាយរូបភាពរបស់ខ្ញុំ ប្រសិនបើខ្ញុំមិនបង់លុយ។",
    "គាត់បានផ្ញើសារមកខ្ញុំរៀងរាល់ថ្ងៃ ហើយទាមទារឱ្យខ្ញុំផ្ញើរូបថតបន្ថែម។",
    "កូនស្រីរបស់ខ្ញុំអាយុ ១៤ ឆ្នាំ ត្រូវបានគេបោកប្រាស់តាមអនឡាញ។",
    "Please help, I am scared. គាត់ថានឹងផ្ញើទៅឪពុកម្តាយខ្ញុំ.",
    "Version 2.5 of the app, order number 48213, room 301, floor 3.",
]
ENTITIES = [
    "https://t.me/{name}",
    "t.me/+{token}",
    "Telegram @{name}",
    "https://www.facebook.com/profile.php?id=1000{digits}",
    "my FB is {name}.{digits3}",
    "https://drive.google.com/drive/folders/1{token}{token}",
    "https://mega.nz/file/{mega}#{token}{token}",
    "០១២ ៣៤៥ ៦៧៨",
    "+855 97 {digits3} {digits4}",
    "Wing {phone}",
    "ABA: 000 {digits3} {digits3}",
    "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t",
    "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4",
    "{name}@gmail.com",
    "tiktok.com/@{name}",
]
_ALNUM = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def generate(size_bytes: int, seed: int = 1) -> str:
    """Return mixed report text of roughly `size_bytes` UTF-8 bytes."""
    rng = random.Random(seed)
    parts: list[str] = []
    total = 0
    while total < size_bytes:
        if rng.random() < 0.25:
            piece = rng.choice(ENTITIES).format(
                name="".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(8)) + "_kh",
                token="".join(rng.choice(_ALNUM) for _ in range(11)),
                mega="".join(rng.choice(_ALNUM) for _ in range(8)),
                digits=str(rng.randrange(10**8, 10**9)),
                digits3=str(rng.randrange(100, 1000)),
                digits4=str(rng.randrange(1000, 10000)),
                phone="0"
                + rng.choice(["12", "15", "77", "89", "96"])
                + str(rng.randrange(10**5, 10**6)),
            )
        else:
            piece = rng.choice(PROSE)
        parts.append(piece)
        total += len(piece.encode()) + 1
    return " ".join(parts)


def bench_extract(megabytes: float) -> None:
    text = generate(int(megabytes * 1_000_000))
    size = len(text.encode())
    # Split into report-sized chunks as the background task sees them (and one whole run).
    chunks = [text[i : i + 4000] for i in range(0, len(text), 4000)]
    extract_entities(chunks[0])  # warm caches and imports
    # CPU time of this process (one core) is the figure; wall time is shown too because the
    # machine may be shared, which stretches wall time but not CPU time.
    best = {"chunks": (float("inf"), float("inf")), "whole": (float("inf"), float("inf"))}
    found = 0
    for _ in range(3):
        for name in ("chunks", "whole"):
            wall, cpu = time.perf_counter(), time.process_time()
            if name == "chunks":
                found = sum(len(extract_entities(chunk)) for chunk in chunks)
            else:
                extract_entities(text)
            elapsed = (time.process_time() - cpu, time.perf_counter() - wall)
            best[name] = min(best[name], elapsed)
    print(f"text: {size / 1e6:.2f} MB UTF-8, {len(text):,} characters, {found:,} entities")
    for name, label in (("chunks", "4 kB reports"), ("whole", "one document")):
        cpu, wall = best[name]
        rate, wall_rate = size / 1e6 / cpu, size / 1e6 / wall
        print(f"{label}: {rate:.2f} MB/s CPU time ({wall_rate:.2f} MB/s wall), best of 3")


def _setup_django(url: str) -> None:
    import os
    import tempfile

    import psycopg

    name = url.rsplit("/", 1)[1]
    admin = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')
    os.environ["HOTLINE_DATABASE_URL"] = url
    # One data directory (so one key file) per benchmark database: digests stay comparable
    # between runs, which --lookups-only relies on.
    data_dir = Path(tempfile.gettempdir()) / f"bench-entities-{name}"
    data_dir.mkdir(exist_ok=True)
    os.environ.setdefault("HOTLINE_DATA_DIR", str(data_dir))
    os.environ.setdefault("HOTLINE_CREATE_KEY_FILE", "1")
    os.environ["DJANGO_SETTINGS_MODULE"] = "hotline.settings"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def _make_reports(count: int) -> list[int]:
    from django.db import connection

    from hotline.intake.services import ReportInput, report_submit

    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE intake_report RESTART IDENTITY CASCADE")
        cursor.execute("TRUNCATE entities_entity RESTART IDENTITY CASCADE")
    data = ReportInput(reporter_role="victim", categories=["sextortion"], narrative="generated")
    template = report_submit(data=data, evidence=[]).report
    columns = [
        f.column
        for f in type(template)._meta.concrete_fields
        if f.column not in ("id", "public_id", "receipt_digest")
    ]
    quoted = ", ".join(f'"{c}"' for c in columns)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO intake_report (public_id, {quoted}) SELECT gen_random_uuid(), {quoted}"
            " FROM intake_report, generate_series(2, %s) WHERE id = %s",
            [count, template.pk],
        )
        cursor.execute("ANALYZE intake_report")
        cursor.execute("SELECT id FROM intake_report ORDER BY id")
        return [row[0] for row in cursor.fetchall()]


def _make_mentions(report_ids: list[int], total: int, seed: int = 3) -> list[Any]:
    """Return mentions shaped like offender operations.

    An operation (one sextortion ring, one marketplace) owns a few identifiers (a Telegram group,
    phone numbers, payment accounts, wallets, drive folders); operations' popularity is heavy-
    tailed (most are named by a handful of reports, a few by thousands). A report names one or
    two of its operation's identifiers and, a third of the time, one-off identifiers of its own.
    One identifier in a hundred is shared with another operation, so clusters merge sometimes.
    """
    from hotline.entities.bulk import BulkMention

    rng = random.Random(seed)
    kinds = [
        ("handle", "telegram", "https://t.me/grp_{}"),
        ("url", "telegram", "https://t.me/+Inv{}xYz"),
        ("phone", "", "+8551{:08d}"),
        ("payment_account", "aba", "aba:{:09d}"),
        ("payment_account", "wing", "wing:0{:08d}"),
        ("tron", "tron", "T{:033d}"),
        ("url", "mega", "https://mega.nz/folder/{:08d}"),
        ("handle", "facebook", "https://www.facebook.com/profile.php?id=1000{:09d}"),
    ]
    operations = max(1, len(report_ids) // 10)
    serial = 0

    def identifier() -> tuple[str, str, str]:
        nonlocal serial
        serial += 1
        kind, platform, pattern = kinds[serial % len(kinds)]
        return kind, pattern.format(serial), platform

    owned = [[identifier() for _ in range(rng.randint(2, 6))] for _ in range(operations)]
    for members in owned:
        if rng.random() < 0.01:
            members.append(rng.choice(owned[rng.randrange(len(owned))]))
    mentions: list[Any] = []
    per_report = total / len(report_ids)
    for report_id in report_ids:
        operation = owned[int(operations * rng.random() ** 2)]  # heavy-tailed popularity
        count = max(1, round(rng.gauss(per_report, 0.8)))
        for _ in range(count):
            kind, value, platform = rng.choice(operation) if rng.random() < 0.67 else identifier()
            mentions.append(BulkMention(report_id, kind, value, platform))
    return mentions


def bench_link(
    reports: int, mentions_total: int, url: str, lookups_only: bool, online: bool
) -> None:
    _setup_django(url)
    from hotline.entities import bulk
    from hotline.entities.keys import entity_digest
    from hotline.entities.models import Entity

    if lookups_only:
        from hotline.intake.models import Report

        ids = list(Report.objects.order_by("id").values_list("id", flat=True)[:reports])
        mentions = _make_mentions(ids, mentions_total)
        print("lookups on the data of an earlier run")
    else:
        started = time.perf_counter()
        report_ids = _make_reports(reports)
        elapsed = time.perf_counter() - started
        print(f"setup: {len(report_ids):,} reports in {elapsed:.1f} s (not timed)")
        mentions = _make_mentions(report_ids, mentions_total)
        print(f"generated {len(mentions):,} mentions")
        started = time.perf_counter()
        result = bulk.entities_link_bulk(mentions=mentions, exclusive=not online)
        linked = time.perf_counter() - started
        started = time.perf_counter()
        clusters = bulk.clusters_compute()
        clustered = time.perf_counter() - started
        mode = "online, per-row FK checks" if online else "exclusive, set-wise FK checks"
        print(
            f"link ({mode}): {result.mentions:,} mentions, {result.entities_new:,} entities,"
            f" {result.links_new:,} links in {linked:.1f} s"
        )
        print(
            f"cluster: {clusters:,} clusters in {clustered:.1f} s; total {linked + clustered:.1f} s"
        )

    rng = random.Random(5)
    timings = []
    sizes = []
    for mention in rng.sample(mentions, 1000):
        started = time.perf_counter()
        # The generated values are not all valid (phone ranges, TRON checksums), so the lookup
        # starts from the canonical value; parsing a pasted identifier adds about 0.05 ms.
        entity = Entity.objects.filter(digest=entity_digest(mention.kind, mention.value)).first()
        if entity is None:
            continue  # lookups-only mode regenerates mentions; not all were linked
        label = bulk.entity_cluster_label(entity_id=entity.pk)
        size = bulk.cluster_size(label=label) if label is not None else 1
        timings.append(time.perf_counter() - started)
        sizes.append(size)
    timings.sort()
    sizes.sort()
    middle, tail = timings[len(timings) // 2], timings[int(len(timings) * 0.99)]
    print(
        f"lookup identifier -> cluster id and size ({len(timings)} lookups): median"
        f" {middle * 1000:.2f} ms, p99 {tail * 1000:.2f} ms"
        f" (cluster sizes median {sizes[len(sizes) // 2]}, max {sizes[-1]:,})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    sub = parser.add_subparsers(dest="bench", required=True)
    extract = sub.add_parser("extract", help="extraction throughput")
    extract.add_argument("--mb", type=float, default=8.0)
    link = sub.add_parser("link", help="bulk linking and clustering on PostgreSQL")
    link.add_argument("--reports", type=int, default=1_000_000)
    link.add_argument("--mentions", type=int, default=3_000_000)
    link.add_argument(
        "--database",
        default="postgres://postgres@127.0.0.1:5432/hotline_bench_entities",
        help="PostgreSQL URL (the database is created and overwritten)",
    )
    link.add_argument("--lookups-only", action="store_true", help="reuse an earlier run's data")
    link.add_argument(
        "--online",
        action="store_true",
        help="link without exclusive locks (foreign keys checked row by row at commit)",
    )
    args = parser.parse_args()
    if args.bench == "extract":
        bench_extract(args.mb)
    elif args.bench == "link":
        bench_link(args.reports, args.mentions, args.database, args.lookups_only, args.online)


if __name__ == "__main__":
    main()
