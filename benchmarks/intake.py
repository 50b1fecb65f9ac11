"""Benchmark report intake: the public form and the partner batch API, against a bare ceiling.

    .venv/bin/python benchmarks/intake.py --db both        # about 5 minutes on a quiet machine

For each database (a throwaway SQLite file; a throwaway PostgreSQL database created with the
postgres superuser at 127.0.0.1) it starts the production web server (gunicorn exactly as
`hotline run` starts it: 2 processes x 4 threads by default) for each path twice - once with
OpenHotline, once with the ceiling app in
benchmarks/ceiling (same settings, middleware and database; a bare view that validates a
similar form, encrypts one field and inserts one row) - and drives each with wrk at 50
concurrent connections. The form is posted with a real CSRF cookie/token pair and a fresh
submission_token per request; batches carry 100 reports, an Idempotency-Key and partner
references. Accepted reports are counted in the database, not only from HTTP status codes.
The background worker is not running: new reports wait to be queued, as they do under a burst.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import resource
import secrets
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from hotline.core.management.commands.run import gunicorn_command

HERE = Path(__file__).resolve().parent
LUA = HERE / "lua" / "post.lua"
PYTHON = sys.executable
FORM_TYPE = {"Content-Type": "application/x-www-form-urlencoded"}

# Targets from issue 3 (2-core machine, PostgreSQL).
FORM_TARGET_PER_S = 500
FORM_TARGET_P99_MS = 100
BATCH_TARGET_PER_S = 8000
GTHREAD = "gunicorn gthread"  # note of the runs with gunicorn's own worker (--compare-gthread)

NARRATIVE = (
    "A man I met on Facebook asked me for photos. After I sent some he said he will send them "
    "to my family and my school unless I pay him 200 dollars by ABA this week. He writes to "
    "me every day on Telegram and I am scared. I blocked him on Facebook but he made a new "
    "account. I still have the messages and screenshots on my phone."
)
FORM_FIELDS: list[tuple[str, str]] = [
    ("in_danger", "no"),
    ("reporter_role", "myself"),
    ("victim_age", "16_17"),
    ("categories", "sextortion"),
    ("platforms", "facebook"),
    ("platforms", "telegram"),
    ("links", "https://www.facebook.com/profile.php?id=100000000001\nhttps://t.me/example_x"),
    ("usernames", "@example_x\nSok Dara"),
    ("phones", "+855 12 345 678"),
    ("payment_accounts", "ABA 000 123 456"),
    ("started", "two weeks ago"),
    ("money", "demanded"),
    ("amount", "200 USD"),
    ("payment_methods", "aba"),
    ("narrative", NARRATIVE),
    ("help_wanted", "counsellor"),
    ("contact", "telegram @me_example"),
    ("consent_contact", "on"),
]


def batch_report(index: int) -> dict[str, object]:
    """Return one partner report; partner_reference carries the @ID@ wrk fills in."""
    return {
        "reporter_role": "someone_i_know",
        "categories": ["sextortion", "grooming"] if index % 2 else ["child_images"],
        "victim_age": "13_15",
        "platforms": ["telegram", "facebook"],
        "links": ["https://t.me/example_channel", f"https://example.org/item/{index}"],
        "usernames": ["@example_channel"],
        "phones": ["+855 12 345 678"],
        "money": "demanded",
        "amount": "100 USD",
        "payment_methods": ["wing"],
        "narrative": NARRATIVE,
        "language": "en",
        "partner_reference": "ref-@ID@",
    }


@dataclass
class Result:
    """One wrk run against one server."""

    db: str
    path: str  # form or batch
    server: str  # hotline or ceiling
    note: str
    reports_per_s: float
    requests_ok: int
    requests_bad: int
    rows_added: int
    p50_ms: float
    p99_ms: float
    cpu: dict[str, float]

    @property
    def cpu_ms_per_report(self) -> float:
        """Web server + database CPU per accepted report: steadier than wall-clock figures
        on a machine that other work shares."""
        if not self.reports_per_s:
            return float("inf")
        return (self.cpu["web"] + self.cpu["postgres"]) * 1000 / self.reports_per_s


# --- processes and databases -------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def cpu_seconds(pids: list[int]) -> float:
    """Return the user+system CPU seconds these processes have used so far."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        with contextlib.suppress(OSError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
    return total / tick


def system_busy_seconds() -> float:
    """Return the CPU seconds all processes on the machine have used (from /proc/stat)."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def fsync_ms(directory: Path, rounds: int = 50) -> float:
    """Return the median time to write 4 KiB and fsync it: what one durable commit waits for."""
    times = []
    path = directory / "fsync-probe"
    with open(path, "wb") as handle:
        for _ in range(rounds):
            start = time.perf_counter()
            handle.write(b"\0" * 4096)
            handle.flush()
            os.fsync(handle.fileno())
            times.append(time.perf_counter() - start)
    path.unlink()
    return statistics.median(times) * 1000


def wait_until_quiet(*, below: float, timeout: float) -> None:
    """Wait (up to `timeout` s) until the machine's load is under `below` cores.

    The servers under test are idle here, so this is other people's work (a test suite, a
    build); measuring while it runs would understate what OpenHotline can do.
    """
    deadline = time.monotonic() + timeout
    announced = False
    while True:
        start = system_busy_seconds()
        time.sleep(2)
        load = (system_busy_seconds() - start) / 2
        if load < below:
            return
        if time.monotonic() > deadline:
            print(f"  (machine still busy: {load:.2f} cores; measuring anyway)", flush=True)
            return
        if not announced:
            print(f"  (waiting for a quiet machine: {load:.2f} cores busy)", flush=True)
            announced = True


def children_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def pids_named(name: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                if (entry / "comm").read_text().strip() == name:
                    found.append(int(entry.name))
    return found


def children_of(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                if int(stat[1]) == pid:
                    found.append(int(entry.name))
    return found


class Database:
    """A throwaway database and how to reach it."""

    def __init__(self, kind: str, data_dir: Path, postgres_url: str) -> None:
        self.kind = kind
        self.data_dir = data_dir
        if kind == "sqlite":
            self.path = data_dir / "hotline.sqlite3"
            self.url = f"sqlite:///{self.path}"
        else:
            import psycopg

            self.admin_url = postgres_url
            self.name = f"hotline_bench_{os.getpid()}"
            with psycopg.connect(postgres_url, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{self.name}"')
                conn.execute(f'CREATE DATABASE "{self.name}"')
            self.url = urllib.parse.urlunsplit(
                urllib.parse.urlsplit(postgres_url)._replace(path=f"/{self.name}")
            )

    def count(self, table: str) -> int:
        if self.kind == "sqlite":
            with contextlib.closing(sqlite3.connect(self.path, timeout=60)) as conn:
                return int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])
        import psycopg

        with psycopg.connect(self.url) as conn:
            row = conn.execute(f"SELECT count(*) FROM {table}").fetchone()
            return int(row[0]) if row else 0

    def checkpoint(self) -> None:
        if self.kind == "sqlite":
            with contextlib.closing(sqlite3.connect(self.path, timeout=60)) as conn:
                conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            return
        import psycopg

        with psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute("CHECKPOINT")

    def server_pids(self) -> list[int]:
        """Return PostgreSQL's shared processes and the backends serving our database."""
        if self.kind != "postgres":
            return []
        ours = []
        for pid in pids_named("postgres"):
            with contextlib.suppress(OSError):
                title = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
                is_backend = "127.0.0.1(" in title or "[local]" in title or "::1(" in title
                if not is_backend or f" {self.name} " in title:
                    ours.append(pid)
        return ours

    def drop(self) -> None:
        if self.kind == "postgres":
            import psycopg

            with psycopg.connect(self.admin_url, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


def base_env(db: Database, *, access_log: bool) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        HOTLINE_DATA_DIR=str(db.data_dir),
        HOTLINE_CREATE_KEY_FILE="1",
        HOTLINE_DATABASE_URL=db.url,
        # wrk runs no browser, so the form is posted without a proof of work, on the
        # no-JavaScript path; its budgets are raised. What a proof adds per POST is measured
        # by benchmarks/proof_of_work.py (see benchmarks/README.md).
        HOTLINE_THROTTLE_SUBMITS_PER_10_MIN="100000000",
        HOTLINE_THROTTLE_UNSOLVED_SUBMITS_PER_MIN="100000000",
        HOTLINE_ACCESS_LOG=str(db.data_dir / "access.log") if access_log else "/dev/null",
        PYTHONPATH=os.pathsep.join([str(HERE), *filter(None, [os.environ.get("PYTHONPATH")])]),
    )
    return env


def manage(env: dict[str, str], settings: str, *args: str) -> str:
    out = subprocess.run(
        [PYTHON, "-m", "django", *args],
        env={**env, "DJANGO_SETTINGS_MODULE": settings},
        check=False,
        capture_output=True,
        text=True,
    )
    if out.returncode:
        raise SystemExit(f"`django-admin {' '.join(args)}` failed:\n{out.stderr[-3000:]}")
    return out.stdout


@contextlib.contextmanager
def server(
    env: dict[str, str],
    settings: str,
    *,
    processes: int,
    threads: int,
    log: Path,
    worker_class: str | None = None,
) -> Iterator[tuple[str, int]]:
    """Run gunicorn as `hotline run` does; yield its base URL and master pid.

    `worker_class` replaces `hotline run`'s worker (to compare with gunicorn's own gthread).
    """
    port = free_port()
    command = gunicorn_command(host="127.0.0.1", port=port, processes=processes, threads=threads)
    if worker_class:
        command[command.index("--worker-class") + 1] = worker_class
    with open(log, "ab") as log_file:
        proc = subprocess.Popen(
            command,
            env={**env, "DJANGO_SETTINGS_MODULE": settings},
            stdout=log_file,
            stderr=log_file,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{base}/healthz", timeout=2) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit(f"the web server did not start; see {log}") from None
                time.sleep(0.2)
        yield base, proc.pid
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def csrf_pair(base: str) -> tuple[str, str]:
    """GET the form page once; return its csrftoken cookie and the form's token."""
    with urllib.request.urlopen(f"{base}/report/", timeout=10) as answer:
        cookies = answer.headers.get_all("Set-Cookie") or []
        page = answer.read().decode()
    cookie = next(c.split(";", 1)[0] for c in cookies if c.startswith("csrftoken="))
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    if match is None:
        raise SystemExit(f"no CSRF token in {base}/report/")
    return cookie, match.group(1)


# --- one measurement ----------------------------------------------------------------------


def wrk(
    url: str, *, body_file: Path, tag: str, headers: list[str], seconds: int, connections: int
) -> dict[str, float]:
    command = [
        "wrk",
        "-t2",
        f"-c{connections}",
        f"-d{seconds}s",
        "--timeout",
        "10s",
        "-s",
        str(LUA),
        url,
        "--",
        str(body_file),
        tag,
        *headers,
    ]
    out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    line = next(x for x in out.splitlines() if x.startswith("WRK_JSON "))
    return dict(json.loads(line.removeprefix("WRK_JSON ")))


def sample_answer(url: str, *, body: str, headers: list[str]) -> str:
    """POST one request like wrk's and return its status and the start of its text."""
    request = urllib.request.Request(
        url,
        data=body.replace("@ID@", f"sample-{secrets.token_hex(6)}").encode(),
        headers=dict(h.split(": ", 1) for h in headers)
        | ({} if any(h.startswith("Content-Type") for h in headers) else FORM_TYPE),
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            status, text = answer.status, answer.read()
    except urllib.error.HTTPError as error:
        status, text = error.code, error.read()
    words = re.sub(r"<[^>]+>|\s+", " ", text.decode(errors="replace")).strip()
    return f"HTTP {status}: {words[:300]}"


def measure(
    *,
    db: Database,
    base: str,
    master: int,
    path: str,
    server_name: str,
    note: str,
    args: argparse.Namespace,
    work: Path,
    token: str,
) -> Result:
    if path == "form":
        cookie, csrf = csrf_pair(base)
        fields = [("csrfmiddlewaretoken", csrf), *FORM_FIELDS]
        body = urllib.parse.urlencode(fields) + "&submission_token=@ID@"
        headers = [f"Cookie: {cookie}"]
        url = f"{base}/report/"
        per_request = 1
    else:
        body = json.dumps({"reports": [batch_report(i) for i in range(args.batch_size)]})
        headers = [
            "Content-Type: application/json",
            f"Authorization: Bearer {token}",
            "Idempotency-Key: key-@ID@",
        ]
        url = f"{base}/api/v1/reports/batch"
        per_request = args.batch_size
    body_file = work / f"{path}-{server_name}.body"
    body_file.write_text(body)
    table = "ceiling_ceilingreport" if server_name == "ceiling" else "intake_report"
    run_tag = secrets.token_hex(4)
    # Start each run with the database's dirty pages written out, so a checkpoint left over
    # from the previous run does not land in this one.
    db.checkpoint()
    wait_until_quiet(below=args.quiet_below, timeout=args.quiet_timeout)
    # Warm up: import everything lazily imported, open database connections, fill caches.
    wrk(
        url,
        body_file=body_file,
        tag=f"w{run_tag}",
        headers=headers,
        seconds=args.warmup,
        connections=args.connections,
    )
    before = db.count(table)
    web = [master, *children_of(master)]
    postgres = db.server_pids()
    cpu_before = (
        cpu_seconds(web),
        cpu_seconds(postgres),
        children_seconds(),
        system_busy_seconds(),
    )
    wall = time.monotonic()
    figures = wrk(
        url,
        body_file=body_file,
        tag=f"m{run_tag}",
        headers=headers,
        seconds=args.duration,
        connections=args.connections,
    )
    wall = time.monotonic() - wall
    cpu = {
        "web": (cpu_seconds(web) - cpu_before[0]) / wall,
        "postgres": (cpu_seconds(postgres) - cpu_before[1]) / wall,
        "wrk": (children_seconds() - cpu_before[2]) / wall,
        "all": (system_busy_seconds() - cpu_before[3]) / wall,
    }
    cpu["other"] = max(0.0, cpu["all"] - cpu["web"] - cpu["postgres"] - cpu["wrk"])
    time.sleep(1)  # let requests that were in flight when wrk stopped commit
    added = db.count(table) - before
    bad = int(
        figures["status_errors"]
        + figures["connect_errors"]
        + figures["read_errors"]
        + figures["write_errors"]
        + figures["timeouts"]
    )
    ok = int(figures["requests"]) - int(figures["status_errors"])
    seconds = figures["duration_us"] / 1e6
    if bad:
        print(
            f"  {server_name} {path}: {bad} failed requests; a sample answer: "
            + sample_answer(url, body=body, headers=headers),
            flush=True,
        )
    if added < ok * per_request:
        raise SystemExit(
            f"{server_name} {path}: wrk saw {ok} successful requests but only {added} rows "
            "were stored - the benchmark is not measuring what it claims"
        )
    return Result(
        db=db.kind,
        path=path,
        server=server_name,
        note=note,
        reports_per_s=ok * per_request / seconds,
        requests_ok=ok,
        requests_bad=bad,
        rows_added=added,
        p50_ms=figures["p50_us"] / 1000,
        p99_ms=figures["p99_us"] / 1000,
        cpu=cpu,
    )


# --- the run ------------------------------------------------------------------------------


def partner_token(env: dict[str, str]) -> str:
    """Create a partner with `hotline createpartner` and return its bearer token."""
    out = subprocess.run(
        [PYTHON, "-m", "hotline.cli", "createpartner", "Benchmark partner"],
        env={**env, "DJANGO_SETTINGS_MODULE": "hotline.settings"},
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return next(line.strip() for line in out.splitlines() if line.strip().startswith("ohp_"))


def run_database(kind: str, args: argparse.Namespace) -> list[Result]:
    work = Path(tempfile.mkdtemp(prefix=f"hotline-bench-{kind}-"))
    db = Database(kind, work, args.postgres_url)
    results: list[Result] = []
    try:
        env = base_env(db, access_log=True)
        manage(env, "ceiling.settings", "migrate", "--run-syncdb", "--verbosity", "0")
        manage(env, "hotline.settings", "compilemessages_if_needed")
        # As `hotline run` does: pages name static files from the collected manifest.
        manage(env, "hotline.settings", "collectstatic", "--noinput", "--verbosity", "0")
        token = partner_token(env) if "batch" in args.paths else ""
        ceiling_env = {**env, "CEILING_TOKEN": token}
        runs: list[tuple[str, str, str, bool]] = []  # path, server, note, access log
        for path in args.paths:
            # Interleaved, so a change in the machine's load touches both servers alike.
            for _ in range(args.repeat):
                runs.append((path, "ceiling", "", True))
                runs.append((path, "hotline", "", True))
                if args.compare_gthread:
                    runs.append((path, "hotline", GTHREAD, True))
                if args.access_log == "both":
                    runs.append((path, "ceiling", "no access log", False))
                    runs.append((path, "hotline", "no access log", False))
        for path, server_name, note, access_log in runs:
            settings = "ceiling.settings" if server_name == "ceiling" else "hotline.settings"
            server_env = {**ceiling_env, **base_env(db, access_log=access_log)}
            with server(
                server_env,
                settings,
                processes=args.processes,
                threads=args.threads,
                log=work / f"gunicorn-{server_name}.log",
                worker_class="gthread" if note == GTHREAD else None,
            ) as (base, master):
                result = measure(
                    db=db,
                    base=base,
                    master=master,
                    path=path,
                    server_name=server_name,
                    note=note,
                    args=args,
                    work=work,
                    token=token,
                )
            results.append(result)
            print_result(result)
    finally:
        db.drop()
        if args.keep:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    return results


def print_result(r: Result) -> None:
    unit = "reports/s"
    print(
        f"  {r.db:8} {r.path:5} {r.server:8} {r.reports_per_s:8.0f} {unit}  "
        f"p50 {r.p50_ms:6.1f} ms  p99 {r.p99_ms:6.1f} ms  "
        f"errors {r.requests_bad}  cores: web {r.cpu['web']:.2f} pg {r.cpu['postgres']:.2f} "
        f"wrk {r.cpu['wrk']:.2f} other {r.cpu['other']:.2f}  "
        f"cpu/report {r.cpu_ms_per_report:.2f} ms" + (f"  ({r.note})" if r.note else ""),
        flush=True,
    )


def medians(results: list[Result]) -> list[Result]:
    """Keep, for each database, path, server and note, the run with the median throughput."""
    groups: dict[tuple[str, str, str, str], list[Result]] = {}
    for r in results:
        groups.setdefault((r.db, r.path, r.server, r.note), []).append(r)
    return [
        sorted(runs, key=lambda r: r.reports_per_s)[(len(runs) - 1) // 2]
        for runs in groups.values()
    ]


def summary(results: list[Result]) -> str:
    results = medians(results)
    lines = [
        "| database | path | server | reports/s | p50 ms | p99 ms | of ceiling | target "
        "| CPU ms/report | cores: web / db / wrk / other |",
        "| --- | --- | --- | ---: | ---: | ---: | ---: | --- | ---: | --- |",
    ]
    for r in results:
        ceiling = next(
            (
                c
                for c in results
                if (c.db, c.path, c.server, c.note)
                == (r.db, r.path, "ceiling", "" if r.note == GTHREAD else r.note)
            ),
            None,
        )
        ratio = (
            f"{r.reports_per_s / ceiling.reports_per_s:.2f}"
            if ceiling and r.server == "hotline"
            else ""
        )
        target = ""
        if r.server == "hotline" and r.db == "postgres" and not r.note:
            if r.path == "form":
                met = r.reports_per_s >= FORM_TARGET_PER_S and r.p99_ms < FORM_TARGET_P99_MS
                target = f"≥ {FORM_TARGET_PER_S}/s, p99 < {FORM_TARGET_P99_MS} ms: " + (
                    "met" if met else "MISSED"
                )
            else:
                met = r.reports_per_s >= BATCH_TARGET_PER_S
                target = f"≥ {BATCH_TARGET_PER_S}/s: " + ("met" if met else "MISSED")
        server_name = r.server + (f" ({r.note})" if r.note else "")
        lines.append(
            f"| {r.db} | {r.path} | {server_name} | {r.reports_per_s:,.0f} | {r.p50_ms:.1f} | "
            f"{r.p99_ms:.1f} | {ratio} | {target} | {r.cpu_ms_per_report:.2f} | "
            f"{r.cpu['web']:.2f} / {r.cpu['postgres']:.2f} / {r.cpu['wrk']:.2f} / "
            f"{r.cpu['other']:.2f} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument(
        "--paths", default="form,batch", help="comma-separated: form, batch (default both)"
    )
    parser.add_argument("--duration", type=int, default=20, help="seconds measured per run")
    parser.add_argument("--warmup", type=int, default=5, help="seconds of warm-up per run")
    parser.add_argument("--connections", type=int, default=50)
    # The defaults of `hotline run` (same environment variables): what an operator runs.
    parser.add_argument(
        "--processes",
        type=int,
        default=int(os.environ.get("HOTLINE_WEB_PROCESSES", "2")),
        help="gunicorn processes (default as `hotline run`: 2)",
    )
    parser.add_argument(
        "--threads",
        type=int,
        default=int(os.environ.get("HOTLINE_WEB_THREADS", "4")),
        help="gunicorn threads per process (default as `hotline run`: 4)",
    )
    parser.add_argument("--batch-size", type=int, default=100)
    parser.add_argument(
        "--repeat", type=int, default=1, help="runs per server and path; the table shows medians"
    )
    parser.add_argument(
        "--access-log",
        choices=["on", "both"],
        default="on",
        help="'both' repeats every run with gunicorn's access log off",
    )
    parser.add_argument(
        "--compare-gthread",
        action="store_true",
        help="also run OpenHotline under gunicorn's plain gthread worker (before issue 9)",
    )
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get(
            "HOTLINE_BENCH_POSTGRES", "postgres://postgres@127.0.0.1:5432/postgres"
        ),
        help="superuser connection used to create and drop the throwaway database",
    )
    parser.add_argument(
        "--quiet-below",
        type=float,
        default=0.25,
        help="before each run wait until the machine uses fewer cores than this",
    )
    parser.add_argument("--quiet-timeout", type=float, default=600, help="seconds (0: no wait)")
    parser.add_argument("--keep", action="store_true", help="keep the data dir and logs")
    args = parser.parse_args()
    # Stopped with SIGTERM: still stop the servers and drop the throwaway database.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(1))
    args.paths = [p.strip() for p in args.paths.split(",") if p.strip()]
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed (Debian: apt-get install wrk)")
    kinds = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    started = datetime.now(UTC)
    print(
        f"OpenHotline intake benchmark, {started:%Y-%m-%d %H:%M} UTC, {os.cpu_count()} cores, "
        f"gunicorn {args.processes} processes x {args.threads} threads, "
        f"wrk 2 threads {args.connections} connections, {args.duration} s per run, "
        f"fsync {fsync_ms(Path(tempfile.gettempdir())):.1f} ms",
        flush=True,
    )
    results: list[Result] = []
    for kind in kinds:
        results.extend(run_database(kind, args))
    print()
    print(summary(results))


if __name__ == "__main__":
    main()
