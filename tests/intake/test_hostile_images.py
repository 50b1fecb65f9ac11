"""Images are decoded once, in a confined child with memory, time and pixel caps.

The web process never decodes an uploaded image (one 186 KB PNG of 7,999 x 7,999 pixels raised
its memory by 1.6 GB); working copies are upright (EXIF orientation applied to the pixels) and
stored as what they are (a WebP or GIF re-encoded as PNG is stored as image/png, name .png).
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from django.test import Client
from PIL import ExifTags, Image, ImageOps
from reporter_support import (
    REFUSED,
    assert_khmer_error,
    assert_nothing_saved,
    browser_post,
    good_report,
    outcome,
    photo_bytes,
    png_bomb,
    submit_evidence,
    upload,
    working_copy,
)

from hotline.hashing.hashers import hash_image_bytes
from hotline.intake.models import EvidenceFile
from hotline.intake.scrub import image as image_scrub_module
from hotline.vault import services as vault

pytestmark = pytest.mark.django_db

MB = 1024 * 1024
SIDE = 7_999  # 63.98 million pixels: just under the pixel cap, so it is decoded
# Importing numpy, Pillow and Django already costs the parent this much; decoding the picture
# in the parent (as before) added 1.6 GB.
PARENT_GROWTH_LIMIT = 100 * MB


def damaged_km(name: str) -> str:
    return f"រូបភាព “{name}” ខូច ឬធំពេក ដូច្នេះយើងមិនអាចប្រើវាបានទេ។"


def record_filename(record: EvidenceFile) -> str:
    return vault.decrypt_text(record.filename_ciphertext, context=record.context + ":name")


def post_files(*files: object) -> tuple[int | str, str]:
    client = Client()
    response = browser_post(client, "/report/", good_report(client, evidence_files=list(files)))
    return outcome(response), response.content.decode()


def test_preparing_a_huge_png_keeps_the_web_process_small() -> None:
    # A fresh process: its peak resident size (ru_maxrss) is then this preparation's alone.
    script = textwrap.dedent(
        f"""
        import json, resource, sys
        import django
        django.setup()
        sys.path.insert(0, {str(Path(__file__).parent)!r})
        from reporter_support import png_bomb
        from hotline.intake.evidence import evidence_prepare
        data = png_bomb({SIDE}, {SIDE})
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        prepared = evidence_prepare(filename="big.png", data=data)
        after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        print(json.dumps({{"before_kib": before, "after_kib": after, "size": len(data),
                          "working": len(prepared.working), "pdq": prepared.pdq}}))
        """
    )
    completed = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "hotline.settings"},
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    result = json.loads(completed.stdout.strip().splitlines()[-1])
    assert result["size"] < 200_000  # small on the wire
    assert result["working"] > 0  # accepted: the picture was really decoded (in the child)
    growth = (result["after_kib"] - result["before_kib"]) * 1024
    assert growth < PARENT_GROWTH_LIMIT, f"parent grew by {growth / MB:.0f} MB"


def test_an_image_over_the_memory_cap_is_refused_kindly_and_nothing_saved(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # 300 MB of address space holds the child's Python, numpy and Pillow, not this picture.
    monkeypatch.setattr(image_scrub_module, "MEMORY_LIMIT_BYTES", 300 * MB)
    # Under the same cap an ordinary photo goes through: the refusal below is the picture's.
    assert image_scrub_module.image_scrub(photo_bytes(size=(1600, 1200))).pdq_hex
    status, html = post_files(upload("big.png", png_bomb(SIDE, SIDE), "image/png"))
    assert status == REFUSED
    assert_khmer_error(html, damaged_km("big.png"))
    assert_nothing_saved()


def test_an_image_over_the_time_cap_is_refused_kindly_and_nothing_saved(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(image_scrub_module, "TIMEOUT_SECONDS", 0.2)
    status, html = post_files(upload("slow.png", png_bomb(SIDE, SIDE), "image/png"))
    assert status == REFUSED
    assert_khmer_error(html, damaged_km("slow.png"))
    assert_nothing_saved()


def marked_photo(orientation: int) -> tuple[bytes, Image.Image]:
    """A 240x120 JPEG (wider than tall) with a red block at its stored top-left corner."""
    pixels = np.full((120, 240, 3), 40, dtype=np.uint8)
    pixels[:, :, 2] = np.linspace(0, 255, 240, dtype=np.uint8)[None, :]
    pixels[:30, :30] = (255, 0, 0)
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = orientation
    exif[ExifTags.Base.Make] = "DistinctiveCameraMaker"
    out = io.BytesIO()
    Image.fromarray(pixels).save(out, format="JPEG", exif=exif, quality=95)
    data = out.getvalue()
    with Image.open(io.BytesIO(data)) as image:
        assert image.getexif()[ExifTags.Base.Orientation] == orientation
        upright = ImageOps.exif_transpose(image)
    return data, upright


def red_corner(image: Image.Image) -> str:
    """Name the corner of the image where the red block is."""
    width, height = image.size
    rgb = image.convert("RGB")
    corners = {
        "top-left": (10, 10),
        "top-right": (width - 11, 10),
        "bottom-left": (10, height - 11),
        "bottom-right": (width - 11, height - 11),
    }
    red = [
        name
        for name, xy in corners.items()
        if (pixel := rgb.getpixel(xy)) and pixel[0] > 200 and pixel[1] < 60  # type: ignore[index]
    ]
    assert len(red) == 1, red
    return red[0]


@pytest.mark.parametrize(
    ("orientation", "corner"),
    [(6, "top-right"), (8, "bottom-left")],  # 6: turn 90° clockwise; 8: 90° anticlockwise
)
def test_working_copy_is_turned_upright_as_its_exif_orientation_says(
    orientation: int, corner: str
) -> None:
    data, upright = marked_photo(orientation)
    record = submit_evidence(
        data, name="IMG_0002.jpg", content_type="image/jpeg", keep_original=False
    )
    working = working_copy(record)
    assert b"DistinctiveCameraMaker" not in working
    with Image.open(io.BytesIO(working)) as image:
        assert image.format == "JPEG"
        assert dict(image.getexif()) == {}  # orientation gone with the rest: no double turn
        assert image.size == (120, 240)  # taller than wide, as the phone showed it
        assert red_corner(image) == corner
        difference = np.abs(np.asarray(image, dtype=int) - np.asarray(upright, dtype=int))
        assert difference.mean() < 3  # the same picture as a viewer shows the original
    # PDQ stays that of the original file as decoded, as every other system computes it.
    assert record.pdq == hash_image_bytes(data).pdq_hex


def _still(fmt: str) -> bytes:
    rng = np.random.default_rng(5)
    pixels = rng.integers(0, 255, (90, 120, 3), dtype=np.uint8)
    out = io.BytesIO()
    image = Image.fromarray(pixels)
    if fmt == "GIF":
        image = image.convert("P")
    image.save(out, format=fmt)
    return out.getvalue()


@pytest.mark.parametrize(
    ("fmt", "name", "claimed"),
    [("WEBP", "sticker.webp", "image/webp"), ("GIF", "meme.gif", "image/gif")],
)
def test_a_webp_or_gif_working_copy_is_stored_as_the_png_it_is(
    fmt: str, name: str, claimed: str
) -> None:
    data = _still(fmt)
    record = submit_evidence(data, name=name, content_type=claimed, keep_original=True)
    working = working_copy(record)
    assert working.startswith(b"\x89PNG\r\n\x1a\n")
    assert record.content_type == "image/png"
    assert record_filename(record) == f"{name}.png"  # the reporter's name, then what it is now
    with Image.open(io.BytesIO(working)) as image, Image.open(io.BytesIO(data)) as source:
        assert image.size == source.size
        assert np.array_equal(np.asarray(image.convert("RGB")), np.asarray(source.convert("RGB")))
    # The original, kept for the police, is still the file as sent.
    kept = vault.file_read(name=record.original_name or "", context=record.context + ":original")
    assert kept == data


def test_a_jpeg_working_copy_keeps_its_type_and_name() -> None:
    data = _still("JPEG")
    record = submit_evidence(
        data, name="photo.jpeg", content_type="image/jpeg", keep_original=False
    )
    assert working_copy(record).startswith(b"\xff\xd8\xff")
    assert record.content_type == "image/jpeg"
    assert record_filename(record) == "photo.jpeg"
