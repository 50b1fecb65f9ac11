"""A real web server on a real full file system: uploads folder full, SQLite data folder full.

A small tmpfs is mounted for each test (tests/full_disk.py); the limits are set so that an
empty one has room ("ok") and a filled one is "full".
"""

from __future__ import annotations

import contextlib
import io
import json
import re
import secrets
import sqlite3
import subprocess
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from full_disk import fill, small_filesystem
from process_helpers import (
    HOTLINE,
    Install,
    WebClient,
    base_env,
    free_port,
    http_get,
    kill_group,
    log_of,
    wait_for,
)

pytestmark = pytest.mark.slow

# A submission may be 2 x 1 MB + 2 MB (so "full" below 4 MB free); "low" below 8 MB.
LIMITS = {
    "HOTLINE_MAX_FILE_BYTES": "1000000",
    "HOTLINE_MAX_FILES": "2",
    "HOTLINE_DISK_LOW_BYTES": "8000000",
}
KIND_PAGE_KM = "សូមព្យាយាមម្តងទៀត"  # "please try again"


def photo() -> bytes:
    """A generated noise photo of about 300 KB (never real imagery)."""
    pixels = np.random.default_rng(3).integers(0, 255, (400, 400, 3), dtype=np.uint8)
    out = io.BytesIO()
    Image.fromarray(pixels).save(out, format="JPEG", quality=95)
    return out.getvalue()


def post_report(base: str, client: WebClient, files: list[bytes]) -> tuple[int, str]:
    """POST a report from the form (multipart, with `files`) in Khmer; return status, page."""
    fields = {
        **client.form_fields("/report/"),
        "in_danger": "no",
        "reporter_role": "myself",
        "categories": "sextortion",
        "narrative": "He says he will send the video to my class unless I pay.",
    }
    boundary = secrets.token_hex(16)
    body = io.BytesIO()
    for name, value in fields.items():
        body.write(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
            f"{value}\r\n".encode()
        )
    for index, data in enumerate(files):
        body.write(
            f'--{boundary}\r\nContent-Disposition: form-data; name="evidence_files"; '
            f'filename="photo{index}.jpg"\r\nContent-Type: image/jpeg\r\n\r\n'.encode()
        )
        body.write(data + b"\r\n")
    body.write(f"--{boundary}--\r\n".encode())
    request = urllib.request.Request(
        base + "/report/",
        data=body.getvalue(),
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
    )
    try:
        with client.opener.open(request, timeout=60) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def start_web(env: dict[str, str], log: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    with log.open("wb") as out:
        web = subprocess.Popen(
            [HOTLINE, "run", "--no-worker", "--port", str(port), "--processes", "1"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    web.log_path = log  # type: ignore[attr-defined]
    base = f"http://127.0.0.1:{port}"
    wait_for(lambda: http_get(f"{base}/healthz")[0] == 200, timeout=120, what="/healthz", alive=web)
    return web, base


def khmer_client(base: str) -> WebClient:
    # No language cookie and no Accept-Language header: the site's default, Khmer.
    return WebClient(base)


def empty_the_write_ahead_log(database: Path) -> None:
    """Copy SQLite's write-ahead log into the database and truncate it to nothing.

    After a checkpoint SQLite writes the log again from its start, over space the file
    already holds: the start-up's migrations leave a log of about 4 MB, and a report fits
    in it however full the disk is (it is then stored; nothing is lost). Emptied, the log
    must grow for the next write, so a full folder is full for the database too.
    """
    with contextlib.closing(sqlite3.connect(database, timeout=30)) as connection:
        busy, _, _ = connection.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    assert busy == 0
    assert database.with_name(database.name + "-wal").stat().st_size == 0


def report_count(database: Path) -> int:
    """Count the stored reports, reading the database file directly (the web server refuses)."""
    with contextlib.closing(sqlite3.connect(database, timeout=30)) as connection:
        (count,) = connection.execute("SELECT COUNT(*) FROM intake_report").fetchone()
    return int(count)


def healthz(base: str) -> tuple[int, dict[str, object]]:
    status, body = http_get(f"{base}/healthz")
    return status, json.loads(body)


@pytest.fixture
def full_uploads(install: Install, tmp_path: Path) -> Iterator[Path]:
    with small_filesystem(tmp_path / "uploads", size="16m") as uploads:
        install.env.update(LIMITS, HOTLINE_UPLOAD_DIR=str(uploads))
        yield uploads
        install.stop_all()  # before the unmount


def test_uploads_on_a_full_disk_answer_a_kind_503_and_leave_no_row_and_no_file(
    install: Install, full_uploads: Path
) -> None:
    web = install.start("run", "--no-worker", "--port", str(port := free_port()))
    base = f"http://127.0.0.1:{port}"
    wait_for(lambda: http_get(f"{base}/healthz")[0] == 200, timeout=120, what="/healthz", alive=web)
    assert healthz(base)[1]["disk"] == "ok"
    filler = fill(full_uploads, leave=100_000)  # room to open a file, not to write a photo

    status, page = post_report(base, khmer_client(base), [photo()])
    assert status == 503, page
    assert KIND_PAGE_KM in page
    assert '<html lang="km">' in page
    assert "receipt-code" not in page
    assert sorted(p.name for p in full_uploads.iterdir()) == [filler.name]  # no .tmp left
    count = "from hotline.intake.models import Report; print(Report.objects.count())"
    assert install.shell(count) == "0"

    status, answer = healthz(base)
    assert (status, answer["status"], answer["disk"]) == (503, "error", "full")
    assert answer["disk_free_bytes"]["uploads"] < 4_000_000  # type: ignore[index]
    status_command = install.run("status")
    assert status_command.returncode == 1
    assert "Disk: FULL: new reports may be refused: " in status_command.stdout
    assert str(full_uploads) in status_command.stdout

    # Space freed: the same server takes the report.
    filler.unlink()
    status, page = post_report(base, khmer_client(base), [photo()])
    assert status == 200, page
    assert "receipt-code" in page
    assert healthz(base)[0] == 200
    output = log_of(web)
    assert "503: the disk cannot be used (OSError)" in output
    assert "Traceback" not in output


def test_a_full_sqlite_data_folder_answers_a_kind_503_and_healthz_says_so(
    tmp_path: Path,
) -> None:
    """The SQLite default: database, keys and uploads in one data folder that fills up."""
    with small_filesystem(tmp_path / "data", size="32m") as data_dir:
        env = {**base_env(data_dir, None), **LIMITS}
        env.pop("HOTLINE_DATABASE_URL", None)  # the SQLite default, whatever the suite runs on
        web, base = start_web(env, tmp_path / "web.log")
        try:
            client = khmer_client(base)
            assert healthz(base)[1]["disk"] == "ok"
            empty_the_write_ahead_log(data_dir / "hotline.sqlite3")
            filler = fill(data_dir)

            status, page = post_report(base, client, [])
            assert status == 503, page
            assert KIND_PAGE_KM in page
            assert "receipt-code" not in page
            assert report_count(data_dir / "hotline.sqlite3") == 0
            status, answer = healthz(base)
            assert (status, answer["disk"]) == (503, "full")

            filler.unlink()
            status, page = post_report(base, client, [])
            assert status == 200, page
            assert re.search(r'id="receipt-code">[^<]+<', page)
            assert healthz(base)[1]["disk"] == "ok"
            assert "503: the database cannot be used (OperationalError)" in log_of(web)
        finally:
            kill_group(web)
