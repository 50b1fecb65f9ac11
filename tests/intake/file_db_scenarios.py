"""Run a reporter scenario in a fresh process against a real SQLite database file.

pytest's SQLite test database lives in memory with a shared cache: it has no file to search
and its table locks fail at once instead of waiting. Some questions need the real thing (the
database file and its WAL as `hotline run` writes them, writers that wait for each other), so
tests run this module as a script:

    python file_db_scenarios.py <scenario> <data-dir> [json-arguments]

It configures the app exactly as an operator would (HOTLINE_DATA_DIR, a key file, SQLite in
WAL mode), migrates, runs the scenario through Django's test client and prints a JSON result
on the last line of stdout. Logs go to stderr at DEBUG level so a test can search them.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import sys
import threading
from pathlib import Path
from typing import Any


def _setup(data_dir: Path) -> None:
    os.environ["HOTLINE_DATA_DIR"] = str(data_dir)
    os.environ["HOTLINE_CREATE_KEY_FILE"] = "1"
    os.environ["HOTLINE_LOG_LEVEL"] = "DEBUG"
    os.environ.pop("HOTLINE_DATABASE_URL", None)
    os.environ.pop("HOTLINE_UPLOAD_DIR", None)
    os.environ["DJANGO_SETTINGS_MODULE"] = "hotline.settings"
    import django

    django.setup()
    from django.core.management import call_command
    from django.test.utils import setup_test_environment

    setup_test_environment()  # lets the test client talk to the app ("testserver" host)
    call_command("migrate", verbosity=0)
    call_command("compilemessages_if_needed")
    call_command("collectstatic", interactive=False, verbosity=0)  # as `hotline run` does


def _token(client: Any) -> str:
    import re

    page = client.get("/report/").content.decode()
    match = re.search(r'name="submission_token" value="([^"]+)"', page)
    assert match
    return match.group(1)


def _code(html: str) -> str:
    import re

    match = re.search(r'<p class="receipt" id="receipt-code">([^<]+)</p>', html)
    return match.group(1) if match else ""


def double_submit(data_dir: Path, args: dict[str, Any]) -> dict[str, Any]:
    """Post the same form from several threads at once; report the codes and the count."""
    from django.db import connection
    from django.test import Client

    from hotline.intake.models import Report

    data = {
        "submission_token": _token(Client()),
        "reporter_role": "myself",
        "categories": ["sextortion"],
        "narrative": "double click",
    }
    threads_count = int(args.get("threads", 4))
    barrier = threading.Barrier(threads_count)
    results: list[tuple[int, str]] = []

    def post() -> None:
        barrier.wait()
        response = Client().post("/report/", data, follow=True)
        results.append((response.status_code, _code(response.content.decode())))
        connection.close()

    threads = [threading.Thread(target=post) for _ in range(threads_count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return {"results": results, "reports": Report.objects.count()}


def report_with_secrets(data_dir: Path, args: dict[str, Any]) -> dict[str, Any]:
    """Submit a report, look it up, reply and add a file, all from one client address.

    A second plain sqlite3 connection stays open meanwhile, so SQLite keeps its WAL file; the
    database, WAL and shared-memory files are copied to `snapshot/` before anything closes.
    """
    from django.test import Client

    from hotline.intake.models import Report

    address = args["address"]
    keeper = sqlite3.connect(data_dir / "hotline.sqlite3")
    keeper.execute("SELECT count(*) FROM sqlite_master").fetchone()
    client = Client(REMOTE_ADDR=address, HTTP_X_FORWARDED_FOR=address)
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = client.post(
        "/report/",
        {
            "submission_token": _token(client),
            "in_danger": "no",
            "reporter_role": "myself",
            "categories": ["sextortion"],
            "narrative": args["narrative"],
            "usernames": args["username"],
            "contact": args["contact"],
            "consent_contact": "on",
            "keep_original_for_police": "on",
            "evidence_files": [
                SimpleUploadedFile("note.txt", args["file_text"].encode(), "text/plain")
            ],
        },
        follow=True,
    )
    code = _code(response.content.decode())
    processed = False
    if args.get("process"):
        # What the worker does next (entities, hashes, priority), run here in-line.
        from hotline.intake.tasks import report_process

        report_process(Report.objects.get().pk)
        processed = True
    lookup = client.post("/status/", {"code": code}, follow=True)
    reply = client.post("/status/reply/", {"code": code, "message": args["reply"]}, follow=True)
    wrong = client.post("/status/", {"code": "2345-6789-ABCD-EFGH-J"}, follow=True)
    snapshot = data_dir / "snapshot"
    snapshot.mkdir()
    for suffix in ("", "-wal", "-shm"):
        source = data_dir / f"hotline.sqlite3{suffix}"
        if source.exists():
            shutil.copy2(source, snapshot / source.name)
    keeper.close()
    return {
        "statuses": [
            response.status_code,
            lookup.status_code,
            reply.status_code,
            wrong.status_code,
        ],
        "code": code,
        "processed": processed,
        "reports": Report.objects.count(),
        "snapshot": sorted(p.name for p in snapshot.iterdir()),
        "headers": dict(response.headers),
    }


SCENARIOS = {"double_submit": double_submit, "report_with_secrets": report_with_secrets}


def main() -> None:
    scenario, data_dir = sys.argv[1], Path(sys.argv[2])
    args = json.loads(sys.argv[3]) if len(sys.argv) > 3 else {}
    _setup(data_dir)
    result = SCENARIOS[scenario](data_dir, args)
    sys.stdout.write("\n" + json.dumps(result) + "\n")


if __name__ == "__main__":
    main()
