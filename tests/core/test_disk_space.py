"""Free disk space as operators and staff see it: /healthz, `hotline status`, staff banner.

A small tmpfs stands for the upload folder (tests/full_disk.py): real free space, filled.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client

from full_disk import fill, small_filesystem
from hotline.core import selectors
from hotline.core.models import EmergencyContact
from staff_login import staff_client

pytestmark = pytest.mark.django_db

MB = 1_000_000


@pytest.fixture
def uploads(tmp_path: Path, settings: Any) -> Iterator[Path]:
    """An upload folder on its own 16 MB file system: "ok" empty, "low" under 8 MB, "full"
    under 4 MB (the largest submission)."""
    with small_filesystem(tmp_path / "uploads", size="16m") as folder:
        settings.UPLOAD_DIR = folder
        settings.HOTLINE_DISK_LOW_BYTES = 8 * MB
        settings.HOTLINE_MAX_REQUEST_BYTES = 4 * MB
        yield folder


@pytest.fixture
def staff() -> Client:
    return staff_client("analyst")[0]


def staff_page(client: Client) -> str:
    response = client.get("/staff/")
    assert response.status_code == 200
    return response.content.decode()


def status_command(capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    try:
        call_command("status")
    except SystemExit as exit_:
        return int(exit_.code or 0), capsys.readouterr().out
    return 0, capsys.readouterr().out


def test_staff_pages_warn_when_the_upload_folder_runs_low_then_full(
    uploads: Path, staff: Client
) -> None:
    page = staff_page(staff)
    assert "Disk space is low" not in page
    assert "Disk full" not in page
    filler = fill(uploads, leave=6 * MB)
    page = staff_page(staff)
    assert "Disk space is low: new reports will be refused once it is full." in page
    assert f"free for uploads ({uploads})" in page

    filler.unlink()
    fill(uploads)
    assert "Disk full: new reports may be refused now." in staff_page(staff)


def test_healthz_and_status_say_low_then_full(
    uploads: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    response = Client().get("/healthz")
    assert (response.status_code, json.loads(response.content)["disk"]) == (200, "ok")

    filler = fill(uploads, leave=6 * MB)
    response = Client().get("/healthz")
    body = json.loads(response.content)
    assert (response.status_code, body["status"], body["disk"]) == (200, "ok", "low")
    assert 5 * MB < body["disk_free_bytes"]["uploads"] <= 6 * MB
    code, out = status_command(capsys)
    assert code == 1
    assert re.search(rf"Disk: LOW: 5\.\d MB free for uploads \({uploads}\)\. Free some", out)

    filler.unlink()
    fill(uploads)
    response = Client().get("/healthz")
    body = json.loads(response.content)
    assert (response.status_code, body["status"], body["disk"]) == (503, "error", "full")
    code, out = status_command(capsys)
    assert code == 1
    assert "Disk: FULL: new reports may be refused: 0.0 MB free for uploads" in out


def test_outage_page_falls_back_to_the_installed_emergency_numbers(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A process that never read the contacts (started while the database was away)."""
    monkeypatch.setattr(selectors, "_last_known_contacts", None)
    contacts = selectors.emergency_contacts_last_known()
    assert [(c.name_en, c.phone) for c in contacts][:2] == [
        ("Police", "117"),
        ("Child Helpline Cambodia", "1280"),
    ]

    # A page read them after an operator changed one: that is what the outage page shows.
    EmergencyContact.objects.filter(phone="117").update(phone="012 345 678")
    selectors.emergency_contacts()
    assert [c.phone for c in selectors.emergency_contacts_last_known()][:2] == [
        "012 345 678",
        "1280",
    ]
