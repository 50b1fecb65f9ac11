"""Oversized requests are refused before their body is read; uploads never touch the disk."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.test import Client
from PIL import Image

from hotline.intake.models import Report

pytestmark = pytest.mark.django_db


def test_declared_oversize_body_is_refused_in_khmer(settings: object) -> None:
    limit = settings.HOTLINE_MAX_REQUEST_BYTES  # type: ignore[attr-defined]
    response = Client().generic(
        "POST", "/report/", data=b"x", CONTENT_TYPE="text/plain", CONTENT_LENGTH=str(limit + 1)
    )
    assert response.status_code == 413
    html = response.content.decode()
    assert '<html lang="km">' in html
    assert "អ្វីដែលអ្នកបានផ្ញើធំពេក។" in html  # "What you sent is too large."
    assert "too large" not in html
    assert Report.objects.count() == 0


def test_declared_oversize_api_body_gets_json_413(settings: object) -> None:
    limit = settings.HOTLINE_MAX_REQUEST_BYTES  # type: ignore[attr-defined]
    response = Client().generic(
        "POST",
        "/api/v1/reports",
        data=b"{}",
        CONTENT_TYPE="application/json",
        CONTENT_LENGTH=str(limit + 1),
    )
    assert response.status_code == 413
    assert response.json()["error"] == "too_large"


class _SpoolWatcher:
    """Record whether Django created any temporary upload file while a request ran."""

    def __init__(self) -> None:
        self.created: list[str] = []


def test_large_upload_is_never_spooled_to_a_temporary_file(
    settings: object, tmp_path: Path
) -> None:
    from django.core.files import uploadedfile

    spool = tmp_path / "spool"
    spool.mkdir()
    settings.FILE_UPLOAD_TEMP_DIR = str(spool)  # type: ignore[attr-defined]
    watcher = _SpoolWatcher()
    original_init = uploadedfile.TemporaryUploadedFile.__init__

    def spy(self: uploadedfile.TemporaryUploadedFile, *args: object, **kwargs: object) -> None:
        original_init(self, *args, **kwargs)  # type: ignore[arg-type]
        watcher.created.append(self.temporary_file_path())

    uploadedfile.TemporaryUploadedFile.__init__ = spy  # type: ignore[method-assign]
    noise = Image.effect_noise((1400, 1400), 90).convert("RGB")
    buffer = io.BytesIO()
    noise.save(buffer, format="PNG")
    assert len(buffer.getvalue()) > 2 * 1024 * 1024  # above Django's default spooling size
    buffer.seek(0)
    buffer.name = "noise.png"
    try:
        Client().post("/report/", {"evidence_files": buffer, "reporter_role": "myself"})
    finally:
        uploadedfile.TemporaryUploadedFile.__init__ = original_init  # type: ignore[method-assign]
    assert watcher.created == []
    assert list(spool.iterdir()) == []
