"""Benchmark a police referral package with 50 evidence files: build + verify under 10 s.

    .venv/bin/python benchmarks/referral_package.py                 # SQLite, 50 files, 3 runs
    .venv/bin/python benchmarks/referral_package.py --db postgresql --files 50 --runs 3

Set-up (not timed): a throwaway data directory and database (a SQLite file, or a PostgreSQL
database through the `postgres` superuser at 127.0.0.1, dropped afterwards); one report whose
reporter kept the originals for police, with `--files` generated pictures (Pillow: random
shapes over stripes with noise, 1024x768 PNG of about 1.6 MB, never real imagery) stored
encrypted as intake stores them; assessed; a liaison account.

Timed, per run: `referral_package_produce` (decrypt every original, custody record, report.json,
the PDF through WeasyPrint, manifest, Ed25519 signature) with evidence files included, writing
the ZIP to disk; then `hotline verify-package FILE` (`call_command`: signature, every file's
SHA-256 and size, the label and the registry).
"""

from __future__ import annotations

import argparse
import io
import os
import random
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGET_SECONDS = 10.0
ADMIN_URL = "postgres://postgres@127.0.0.1:5432/postgres"


def setup_django(db: str, data_dir: Path) -> str | None:
    os.environ["HOTLINE_DATA_DIR"] = str(data_dir)
    os.environ["HOTLINE_CREATE_KEY_FILE"] = "1"
    os.environ["HOTLINE_LOG_LEVEL"] = "WARNING"
    os.environ["DJANGO_SETTINGS_MODULE"] = "hotline.settings"
    name = None
    if db == "postgresql":
        import psycopg

        name = f"bench_referral_{secrets.token_hex(4)}"
        with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        os.environ["HOTLINE_DATABASE_URL"] = ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    return name


def picture(seed: int, size: tuple[int, int] = (1024, 768)) -> bytes:
    """A generated PNG: random coloured shapes over fine stripes."""
    from PIL import Image, ImageDraw

    rng = random.Random(seed)
    image = Image.new("RGB", size, (rng.randrange(256), rng.randrange(256), rng.randrange(256)))
    draw = ImageDraw.Draw(image)
    for x in range(0, size[0], 4):
        draw.line([(x, 0), (x, size[1])], fill=(0, 0, 0) if x % 8 else (255, 255, 255))
    for _ in range(60):
        x0, y0 = rng.randrange(size[0]), rng.randrange(size[1])
        box = [x0, y0, x0 + rng.randrange(10, 200), y0 + rng.randrange(10, 200)]
        colour = (rng.randrange(256), rng.randrange(256), rng.randrange(256))
        (draw.ellipse if rng.random() < 0.5 else draw.rectangle)(box, fill=colour)
    # Camera-like noise, so the files weigh what phone pictures weigh (about 1-2 MB each).
    noise = Image.effect_noise(size, 40).convert("RGB")
    image = Image.blend(image, noise, 0.35)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def make_case(files: int) -> tuple[object, object]:
    from hotline.accounts.services import staff_create
    from hotline.assessment.services import assess_report
    from hotline.cases.services import report_state_change
    from hotline.intake.evidence import evidence_prepare
    from hotline.intake.services import ReportInput, report_submit

    evidence = [evidence_prepare(filename=f"p{i}.png", data=picture(i)) for i in range(files)]
    report = report_submit(
        data=ReportInput(
            reporter_role="myself",
            categories=["sextortion"],
            platforms=["telegram"],
            links=["https://t.me/bench_channel"],
            narrative="គេគំរាមខ្ញុំ ហើយទាមទារលុយ។ He asked for money on Telegram.",
            keep_original_for_police=True,
            language="km",
        ),
        evidence=evidence,
    ).report
    password = "a long enough passphrase 42"
    senior = staff_create(username="bench-senior", password=password, role="senior_analyst")
    liaison = staff_create(username="bench-liaison", password=password, role="liaison")
    report_state_change(
        actor=senior, report_id=report.pk, expected_state="received", to_state="in_review"
    )
    values = {
        "report_type": "sextortion",
        "legal_status": "illegal_national",
        "victim_age": "pubescent",
        "gender": "female",
        "severity": "c",
        "hosting_country": "kh",
        "content_type": "image",
    }
    assess_report(actor=senior, report=report, values=values, expected_version=0)
    return report, liaison


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--files", type=int, default=50)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    data_dir = Path(tempfile.mkdtemp(prefix="bench-referral-"))
    name = setup_django(args.db, data_dir)
    try:
        from django.core.management import call_command

        from hotline.referrals.services import referral_package_produce

        started = time.perf_counter()
        report, liaison = make_case(args.files)
        print(
            f"set-up: {args.files} evidence files stored in {time.perf_counter() - started:.1f} s"
        )
        rows = []
        for run in range(1, args.runs + 1):
            cpu0, wall0 = time.process_time(), time.perf_counter()
            produced = referral_package_produce(
                actor=liaison, report=report, language="km", include_evidence=True
            )
            path = data_dir / produced.filename
            path.write_bytes(produced.data)
            wall1 = time.perf_counter()
            out = io.StringIO()
            call_command("verify-package", str(path), stdout=out)
            wall2, cpu2 = time.perf_counter(), time.process_time()
            assert out.getvalue().startswith("OK"), out.getvalue()
            rows.append(
                (wall1 - wall0, wall2 - wall1, wall2 - wall0, cpu2 - cpu0, len(produced.data))
            )
            print(
                f"run {run}: build {wall1 - wall0:.2f} s, verify {wall2 - wall1:.2f} s, "
                f"total {wall2 - wall0:.2f} s (CPU {cpu2 - cpu0:.2f} s), "
                f"{len(produced.data) / 1e6:.1f} MB"
            )
        total = statistics.median(r[2] for r in rows)
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False
        ).stdout.strip()
        load = " ".join(f"{x:.2f}" for x in os.getloadavg())
        print(
            f"median total {total:.2f} s vs target < {TARGET_SECONDS:.0f} s: "
            f"{'met' if total < TARGET_SECONDS else 'MISSED'} "
            f"(db {args.db}, commit {commit}, load average {load})"
        )
        return 0 if total < TARGET_SECONDS else 1
    finally:
        if name is not None:
            import psycopg
            from django.db import connections

            connections.close_all()
            with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
