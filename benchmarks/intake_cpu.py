"""CPU per accepted report, in one process, without a load generator: where intake's time goes.

    .venv/bin/python benchmarks/intake_cpu.py --db postgres            # about a minute
    .venv/bin/python benchmarks/intake_cpu.py --db postgres --profile 30

A companion to benchmarks/intake.py. It posts the same form and the same batches through
Django's test client, one request at a time, to OpenHotline and to the ceiling app, and prints
the CPU time (process_time) and database queries each report costs. CPU time is what caps
throughput on a small machine, and unlike wall-clock throughput it stays nearly steady while
other work shares the machine, so it is the figure to compare before and after a change. The
test client's own overhead is in both columns. `--profile N` prints the N most expensive
functions (cProfile, CPU time) of OpenHotline's form path.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import re
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
from collections.abc import Callable
from pathlib import Path
from typing import Any

from intake import FORM_FIELDS, Database, base_env, batch_report, manage

PYTHON = sys.executable


def statements_of(post: Callable[[], None], connection: Any) -> int:
    """Return how many SQL statements one call of `post` sends (BEGIN/COMMIT not counted)."""
    statements: list[str] = []

    def count(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        statements.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        post()
    return len(statements)


def child(server: str, args: argparse.Namespace) -> None:
    """Run inside a Django process: post forms and batches, print one JSON line of figures."""
    import django

    django.setup()
    from django.db import connection
    from django.test import Client

    # As a browser: the form page's masked CSRF token and cookie, checked on every POST.
    client = Client(HTTP_HOST="127.0.0.1", enforce_csrf_checks=True)
    page = client.get("/report/").content.decode()
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert csrf is not None, "no CSRF token on /report/"
    form = urllib.parse.urlencode([("csrfmiddlewaretoken", csrf.group(1)), *FORM_FIELDS])
    tag = secrets.token_hex(4)
    counter = 0

    def post_form() -> None:
        nonlocal counter
        counter += 1
        answer = client.post(
            "/report/",
            f"{form}&submission_token={tag}-{counter}",
            content_type="application/x-www-form-urlencoded",
        )
        if server == "ceiling":
            assert answer.status_code == 200, answer.status_code
            return
        # OpenHotline answers 303 (docs/decisions/public-navigation.md); the browser then GETs
        # the receipt: both are the cost of one report, unless --post-only.
        assert answer.status_code == 303, answer.status_code
        if not args.post_only:
            receipt = client.get(answer["Location"])
            assert receipt.status_code == 200, receipt.status_code

    if server == "hotline":
        from hotline.intake.partners import partner_create

        token = partner_create(name=f"cpu {tag}")[1]
    else:
        token = os.environ["CEILING_TOKEN"]
    template = json.dumps({"reports": [batch_report(i) for i in range(args.batch_size)]})

    def post_batch() -> None:
        nonlocal counter
        counter += 1
        parts = template.split("@ID@")
        body = parts[0] + "".join(f"{tag}-{counter}-{k}{p}" for k, p in enumerate(parts[1:]))
        answer = client.post(
            "/api/v1/reports/batch",
            body,
            content_type="application/json",
            headers={"Authorization": f"Bearer {token}", "Idempotency-Key": f"{tag}-{counter}"},
        )
        assert answer.status_code == 201, (answer.status_code, answer.content[:300])

    figures: dict[str, float] = {}
    for name, post, count, per in (
        ("form", post_form, args.requests, 1),
        ("batch", post_batch, max(1, args.requests // 20), args.batch_size),
    ):
        for _ in range(max(3, count // 10)):
            post()
        queries = statements_of(post, connection)
        cpu, wall = time.process_time(), time.perf_counter()
        for _ in range(count):
            post()
        figures[f"{name}_cpu_ms"] = (time.process_time() - cpu) * 1000 / (count * per)
        figures[f"{name}_wall_ms"] = (time.perf_counter() - wall) * 1000 / (count * per)
        figures[f"{name}_queries"] = queries
    print("FIGURES " + json.dumps(figures), flush=True)
    if args.profile and server == "hotline":
        profiler = cProfile.Profile(time.process_time)
        profiler.enable()
        for _ in range(args.requests):
            post_form()
        profiler.disable()
        pstats.Stats(profiler, stream=sys.stdout).sort_stats("cumulative").print_stats(args.profile)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="postgres")
    parser.add_argument("--requests", type=int, default=400, help="form posts per round")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds (median)")
    parser.add_argument("--batch-size", type=int, default=100)
    parser.add_argument("--profile", type=int, default=0, metavar="N")
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get(
            "HOTLINE_BENCH_POSTGRES", "postgres://postgres@127.0.0.1:5432/postgres"
        ),
    )
    parser.add_argument(
        "--post-only",
        action="store_true",
        help="time the report POST alone, without the GET of the receipt it redirects to",
    )
    parser.add_argument("--child", choices=["hotline", "ceiling"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args)
        return

    work = Path(tempfile.mkdtemp(prefix="hotline-cpu-"))
    db = Database(args.db, work, args.postgres_url)
    try:
        env = {**base_env(db, access_log=False), "CEILING_TOKEN": secrets.token_urlsafe(16)}
        manage(env, "ceiling.settings", "migrate", "--run-syncdb", "--verbosity", "0")
        manage(env, "hotline.settings", "compilemessages_if_needed")
        # The receipt page (GET after the report's 303) names versioned static files.
        manage(env, "hotline.settings", "collectstatic", "--noinput", "--verbosity", "0")
        results: dict[str, list[dict[str, float]]] = {"hotline": [], "ceiling": []}
        for round_number in range(args.rounds):
            for server in ("ceiling", "hotline"):
                command = [PYTHON, __file__, "--child", server, "--requests", str(args.requests)]
                command += ["--batch-size", str(args.batch_size)]
                if args.post_only:
                    command.append("--post-only")
                if args.profile and round_number == args.rounds - 1:
                    command += ["--profile", str(args.profile)]
                settings = "ceiling.settings" if server == "ceiling" else "hotline.settings"
                run = subprocess.run(
                    command,
                    env={**env, "DJANGO_SETTINGS_MODULE": settings},
                    check=False,
                    capture_output=True,
                    text=True,
                )
                if run.returncode:
                    raise SystemExit(f"{server} failed:\n{run.stderr[-3000:]}")
                out = run.stdout
                for line in out.splitlines():
                    if line.startswith("FIGURES "):
                        results[server].append(json.loads(line.removeprefix("FIGURES ")))
                    elif args.profile:
                        print(line)
    finally:
        db.drop()
        shutil.rmtree(work, ignore_errors=True)

    def median(server: str, key: str) -> float:
        return statistics.median(r[key] for r in results[server])

    print(f"\n{args.db}, median of {args.rounds} rounds, one request at a time (test client)\n")
    print("| path | server | CPU ms/report | wall ms/report | queries/request |")
    print("| --- | --- | ---: | ---: | ---: |")
    for path in ("form", "batch"):
        for server in ("ceiling", "hotline"):
            print(
                f"| {path} | {server} | {median(server, f'{path}_cpu_ms'):.3f} | "
                f"{median(server, f'{path}_wall_ms'):.3f} | "
                f"{median(server, f'{path}_queries'):.0f} |"
            )
        ratio = median("ceiling", f"{path}_cpu_ms") / median("hotline", f"{path}_cpu_ms")
        print(f"| {path} | hotline ÷ ceiling (throughput, CPU-bound) | {ratio:.2f} | | |")


if __name__ == "__main__":
    main()
