"""Uploaded photos: staff see a copy without EXIF/GPS; the original is kept only when asked."""

from __future__ import annotations

import hashlib
import io

import numpy as np
import pytest
from django.test import Client
from PIL import ExifTags, Image
from reporter_support import browser_post, good_report, receipt_code, upload, upload_dir_files

from hotline.hashing.hashers import hash_image_bytes
from hotline.intake.models import EvidenceFile
from hotline.vault import services as vault

pytestmark = pytest.mark.django_db

MAKER = "DistinctiveCameraMaker"
LATITUDE = (11.0, 33.0, 15.5)  # somewhere in Phnom Penh: a victim's home, in a real case


def jpeg_with_location() -> bytes:
    """Generate a JPEG carrying camera details and GPS coordinates in its EXIF."""
    rng = np.random.default_rng(3)
    gradient = np.linspace(0, 200, 200, dtype=np.uint8)[None, :, None]
    pixels = (rng.integers(0, 50, (150, 200, 3), dtype=np.uint8) + gradient).astype(np.uint8)
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = MAKER
    exif[ExifTags.Base.Model] = "ModelX9"
    exif[ExifTags.Base.DateTime] = "2025:01:02 03:04:05"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = LATITUDE
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (104.0, 55.0, 1.25)
    out = io.BytesIO()
    Image.fromarray(pixels).save(out, format="JPEG", exif=exif, quality=90)
    data = out.getvalue()
    # The generated file really carries what we want to see removed.
    with Image.open(io.BytesIO(data)) as check:
        assert check.getexif().get_ifd(ExifTags.IFD.GPSInfo)[2] == LATITUDE
    assert MAKER.encode() in data
    return data


def submit_photo(*, keep_original: bool) -> tuple[bytes, EvidenceFile]:
    original = jpeg_with_location()
    client = Client()
    data = good_report(client, evidence_files=[upload("IMG_0001.jpg", original)])
    if keep_original:
        data["keep_original_for_police"] = "on"
    response = browser_post(client, "/report/", data)
    assert response.status_code == 200
    assert receipt_code(response.content.decode())
    return original, EvidenceFile.objects.get()


@pytest.mark.parametrize("keep_original", [False, True])
def test_working_copy_has_no_exif_or_gps(keep_original: bool) -> None:
    original, record = submit_photo(keep_original=keep_original)
    working = vault.file_read(name=record.working_name, context=record.context)
    assert working != original
    assert MAKER.encode() not in working
    assert b"Exif\x00\x00" not in working
    with Image.open(io.BytesIO(working)) as image:
        assert image.format == "JPEG"
        assert dict(image.getexif()) == {}
        assert image.getexif().get_ifd(ExifTags.IFD.GPSInfo) == {}
        assert "exif" not in image.info
        assert image.size == (200, 150)  # same picture, only the metadata is gone


def test_original_is_not_kept_unless_the_reporter_asks() -> None:
    _original, record = submit_photo(keep_original=False)
    assert record.original_name is None
    assert len(upload_dir_files()) == 1  # the stripped working copy only


def test_original_is_kept_exactly_and_encrypted_when_the_reporter_asks() -> None:
    original, record = submit_photo(keep_original=True)
    assert record.original_name
    kept = vault.file_read(name=record.original_name, context=record.context + ":original")
    assert kept == original  # byte for byte, EXIF and all: evidence for the police
    files = upload_dir_files()
    assert len(files) == 2
    for path in files:  # at rest, neither copy shows its content
        raw = path.read_bytes()
        assert MAKER.encode() not in raw
        assert b"\xff\xd8\xff" not in raw[:16]


@pytest.mark.parametrize("keep_original", [False, True])
def test_hashes_are_of_the_original_bytes(keep_original: bool) -> None:
    original, record = submit_photo(keep_original=keep_original)
    working = vault.file_read(name=record.working_name, context=record.context)
    assert record.md5 == hashlib.md5(original).hexdigest()
    assert record.sha256 == hashlib.sha256(original).hexdigest()
    assert record.md5 != hashlib.md5(working).hexdigest()
    expected = hash_image_bytes(original)
    assert record.pdq == expected.pdq_hex
    assert record.pdq_quality == expected.quality
    assert len(record.pdq) == 64
    assert record.size == len(original)
