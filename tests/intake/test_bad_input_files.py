"""Bad files: too many, too large, lying about their type, bombs, damaged. Nothing is saved."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.test import Client
from reporter_support import (
    assert_khmer_error,
    assert_nothing_saved,
    good_report,
    photo_bytes,
    png_bomb,
    receipt_code,
    upload,
    upload_dir_files,
)

from hotline.intake.models import EvidenceFile, Report

pytestmark = pytest.mark.django_db

MB = 1024 * 1024


def refused_name_km(name: str) -> str:
    return f"យើងមិនអាចទទួលឯកសារ “{name}” បានទេ។ សូមផ្ញើរូបថត រូបថតអេក្រង់ ឯកសារ PDF ឬវីដេអូ។"


def damaged_km(name: str) -> str:
    return f"រូបភាព “{name}” ខូច ឬធំពេក ដូច្នេះយើងមិនអាចប្រើវាបានទេ។"


def post_files(*files: object, **changes: object) -> tuple[int, str]:
    client = Client()
    response = client.post("/report/", good_report(client, evidence_files=list(files), **changes))
    return response.status_code, response.content.decode()


def test_a_good_photo_is_accepted_so_the_refusals_below_mean_something() -> None:
    status, html = post_files(upload("photo.jpg", photo_bytes()))
    assert status == 200
    assert receipt_code(html)
    assert EvidenceFile.objects.count() == 1
    assert len(upload_dir_files()) == 1


def test_one_file_too_many_is_refused() -> None:
    files = [upload(f"p{i}.png", photo_bytes(fmt="PNG", seed=i), "image/png") for i in range(6)]
    status, html = post_files(*files)
    assert status == 400
    assert_khmer_error(html, "សូមផ្ញើឯកសារមិនឱ្យលើសពី ៥ ទេ។")
    assert_nothing_saved()


def test_far_too_many_files_stop_at_the_request_parser_with_a_plain_page() -> None:
    files = [upload(f"p{i}.png", b"\x89PNG tiny", "image/png") for i in range(30)]
    status, html = post_files(*files)
    assert status == 400
    assert "យើងមិនអាចអានអ្វីដែលអ្នកបានផ្ញើបានទេ" in html
    assert_nothing_saved()


def test_a_file_over_the_size_limit_is_refused_and_no_plaintext_copy_lingers(
    settings: object, tmp_path: Path
) -> None:
    # Django spools uploads over 2 MB to a temporary file: it must be gone afterwards.
    spool = tmp_path / "spool"
    spool.mkdir()
    settings.FILE_UPLOAD_TEMP_DIR = str(spool)  # type: ignore[attr-defined]
    big = photo_bytes() + b"\x00" * (10 * MB)
    status, html = post_files(upload("big.jpg", big))
    assert status == 400
    assert_khmer_error(html, "ឯកសារ “big.jpg” ធំពេក (ទំហំធំបំផុតដែលអាចផ្ញើបានគឺ ១០ MB)។")
    assert_nothing_saved()
    assert list(spool.iterdir()) == []


@pytest.mark.parametrize(
    ("name", "data", "claimed"),
    [
        ("photo.jpg", b"<!doctype html><html><script>alert(1)</script></html>", "image/jpeg"),
        ("photo.jpg", b"\n\n  <html><body onload=x()>", "image/jpeg"),
        (
            "photo.jpg",
            b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00"
            + b"\x00" * 44
            + b"PE\x00\x00L\x01",
            "image/jpeg",
        ),
        ("picture.png", b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 56, "image/png"),
        (
            "logo.png",
            b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
            "image/png",
        ),
        ("report.pdf", b"PK\x03\x04\x14\x00\x00\x00\x08\x00" + b"\x00" * 40, "application/pdf"),
        ("notes.txt", b"PK\x03\x04\x14\x00\x00\x00\x08\x00" + b"\x00" * 40, "text/plain"),
        ("clip.mp4", b"#!/bin/sh\nrm -rf /\n\x00\x00", "video/mp4"),
    ],
)
def test_a_file_that_lies_about_its_type_is_refused(name: str, data: bytes, claimed: str) -> None:
    status, html = post_files(upload(name, data, claimed))
    assert status == 400
    assert_khmer_error(html, refused_name_km(name))
    assert_nothing_saved()


def test_one_bad_file_among_good_ones_saves_none_of_them() -> None:
    status, html = post_files(
        upload("a.jpg", photo_bytes(seed=1)),
        upload("b.jpg", b"<html>not a photo</html>"),
        upload("c.jpg", photo_bytes(seed=3)),
    )
    assert status == 400
    assert_khmer_error(html, refused_name_km("b.jpg"))
    assert_nothing_saved()


@pytest.mark.parametrize(
    ("width", "height"),
    [
        (20_000, 20_000),  # 400 Mpx: past Pillow's own bomb limit
        (9_000, 9_000),  # 81 Mpx: under Pillow's limit, over ours (64 Mpx)
        (40_000, 1),  # longer than any side we accept
    ],
)
def test_decompression_bomb_is_refused(width: int, height: int) -> None:
    bomb = png_bomb(width, height)
    assert len(bomb) < 200_000  # small on the wire, huge when decoded
    status, html = post_files(upload("bomb.png", bomb, "image/png"))
    assert status == 400
    assert_khmer_error(html, damaged_km("bomb.png"))
    assert_nothing_saved()


def _damaged() -> list[tuple[str, bytes]]:
    jpeg = photo_bytes(size=(640, 480))
    png = photo_bytes(fmt="PNG", size=(320, 240))
    return [
        ("half.jpg", jpeg[: len(jpeg) // 2]),
        ("header-only.jpg", jpeg[:200]),
        ("half.png", png[: len(png) // 2]),
        ("garbage.png", png[:33] + bytes(range(256)) * 20),
        ("flipped.jpg", jpeg[:600] + bytes(b ^ 0xFF for b in jpeg[600:2000]) + jpeg[2000:]),
        ("webp.webp", b"RIFF\x24\x00\x00\x00WEBPVP8 " + b"\x00" * 24),
        ("gif.gif", b"GIF89a\x10\x00\x10\x00\x80\x00\x00" + b"\x00" * 10),
    ]


@pytest.mark.parametrize(("name", "data"), _damaged(), ids=[n for n, _ in _damaged()])
def test_damaged_or_truncated_image_is_refused(name: str, data: bytes) -> None:
    status, html = post_files(upload(name, data))
    assert status == 400
    assert_khmer_error(html, damaged_km(name))
    assert_nothing_saved()


def test_an_empty_file_is_refused() -> None:
    # (No file chosen arrives without a file name and is simply no file.)
    status, html = post_files(upload("empty.jpg", b""))
    assert status == 400
    assert_khmer_error(html, "ឯកសារ “empty.jpg” ទទេ គ្មានអ្វីនៅខាងក្នុងទេ។")
    assert_nothing_saved()


def test_no_file_chosen_is_not_an_error() -> None:
    client = Client()
    body = (
        b'--B\r\nContent-Disposition: form-data; name="reporter_role"\r\n\r\nmyself\r\n'
        b'--B\r\nContent-Disposition: form-data; name="categories"\r\n\r\nother\r\n'
        b'--B\r\nContent-Disposition: form-data; name="evidence_files"; filename=""\r\n'
        b"Content-Type: application/octet-stream\r\n\r\n\r\n--B--\r\n"
    )
    response = client.post("/report/", data=body, content_type="multipart/form-data; boundary=B")
    assert response.status_code == 200
    assert receipt_code(response.content.decode())
    assert EvidenceFile.objects.count() == 0


def test_reply_with_a_bad_file_adds_nothing() -> None:
    client = Client()
    code = receipt_code(client.post("/report/", good_report(client)).content.decode())
    response = client.post(
        "/status/reply/",
        {"code": code, "message": "more", "evidence_files": [upload("x.jpg", b"<html>")]},
    )
    assert response.status_code == 400
    assert_khmer_error(response.content.decode(), refused_name_km("x.jpg"))
    report = Report.objects.get()
    assert report.messages.count() == 0
    assert report.files.count() == 0
    assert upload_dir_files() == []
