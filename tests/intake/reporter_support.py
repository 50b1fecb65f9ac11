"""Shared helpers for the reporter-facing tests: a form token, a good report, "nothing saved"."""

from __future__ import annotations

import html
import io
import json
import os
import re
import struct
import subprocess
import sys
import time
import zlib
from pathlib import Path
from typing import Any

import numpy as np
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from hotline.intake.models import EvidenceFile, EvidenceHash, Message, Report
from hotline.vault import services as vault

CODE_RE = re.compile(r'<p class="receipt" id="receipt-code">([^<]+)</p>')
KHMER = re.compile(r"[\u1780-\u17ff]")


def form_token(client: Client) -> str:
    """Open the report form and return its one-time submission token."""
    return form_token_and_challenge(client)[0]


def form_token_and_challenge(client: Client) -> tuple[str, str]:
    """Open the report form; return its one-time token and its proof-of-work challenge."""
    page = client.get("/report/").content.decode()
    token = re.search(r'name="submission_token" value="([^"]+)"', page)
    challenge = re.search(r'data-hotline-pow="([^"]+)"', page)
    assert token
    assert challenge
    return token.group(1), html.unescape(challenge.group(1))


def solve_proof(challenge_json: str) -> str:
    """Solve a form's challenge as its script does; return the `proof` field's value."""
    from altcha import Challenge, Payload, solve_challenge

    challenge = Challenge.from_dict(json.loads(challenge_json))
    solution = solve_challenge(challenge)
    assert solution is not None
    return Payload(challenge, solution).to_base64()


def good_report(client: Client, *, solve: bool = True, **changes: Any) -> dict[str, Any]:
    """Return a valid report POST (a fresh token, its proof of work solved), with `changes`.

    With solve=False the POST is what a browser without JavaScript sends (no proof).
    """
    token, challenge = form_token_and_challenge(client)
    data: dict[str, Any] = {
        "submission_token": token,
        "in_danger": "no",
        "reporter_role": "myself",
        "categories": ["sextortion"],
        "platforms": ["telegram"],
        "narrative": "He says he will send the video to my class unless I pay.",
        "money": "demanded",
    }
    if solve:
        data["proof"] = solve_proof(challenge)
    data.update(changes)
    return data


def within_one_window(window_seconds: int, *, needed: float = 20) -> None:
    """Wait, if need be, until `needed` seconds fit in the current throttle window.

    Throttle windows are fixed (hotline.core.throttle): a test that fills one must not cross
    into the next, where the count starts again.
    """
    left = window_seconds - time.time() % window_seconds
    if left < needed:
        time.sleep(left + 0.05)


# Every place a public form may send the browser (docs/decisions/public-navigation.md): fixed
# addresses, so no code, answer or token can ride along in a URL.
SAFE_LOCATIONS = frozenset(
    {
        "/",
        "/report/",
        "/report/receipt/",
        "/status/",
        "/status/?not-found",
        "/escrow/",
        "/escrow/done/",
    }
)


def browser_post(client: Client, path: str, data: Any = None, **extra: Any) -> Any:
    """POST as a browser does and follow the answer; return the page it finally shows.

    Every redirect on the way must be a 303 See Other to one of SAFE_LOCATIONS (a page that
    answers without redirecting, such as a 403 or a 429, is returned as it is).
    """
    response = client.post(path, {} if data is None else data, follow=True, **extra)
    for url, status in response.redirect_chain:
        assert status == 303, (url, status)
        assert url in SAFE_LOCATIONS, url
    return response


def shown_again(response: Any, path: str = "/report/") -> bool:
    """Return whether a refused POST (from browser_post) sent the browser back to `path`.

    A form with errors is answered 303 to its GET page, which shows the answers and errors
    kept in a sealed draft (docs/decisions/public-navigation.md): no longer a 400.
    """
    return response.status_code == 200 and response.redirect_chain == [(path, 303)]


# What outcome() says of a form sent back (303) to its page with its errors: a 400 before PRG.
REFUSED = "sent back to the form with its errors"


def outcome(response: Any) -> int | str:
    """Return REFUSED for a report sent back to the form, else the final page's status."""
    return REFUSED if shown_again(response) else int(response.status_code)


def receipt_code(html: str) -> str:
    """Return the receipt code shown on a page, or '' when there is none."""
    match = CODE_RE.search(html)
    return match.group(1) if match else ""


def upload_dir_files() -> list[Path]:
    """Return every file in the upload folder (temporary files included)."""
    folder = Path(settings.UPLOAD_DIR)
    return sorted(p for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


def assert_nothing_saved() -> None:
    """Assert that no report, file, hash, token or message was stored, on disk or in the DB."""
    assert Report.objects.count() == 0
    assert EvidenceFile.objects.count() == 0
    assert EvidenceHash.objects.count() == 0
    assert Message.objects.count() == 0
    assert upload_dir_files() == []


def assert_khmer_error(html: str, expected: str) -> None:
    """Assert the page shows `expected` (a Khmer message) inside an error box."""
    assert expected in html, expected
    boxes = re.findall(r'<div class="error" role="alert"[^>]*>(.*?)</div>', html, re.S)
    assert any(expected in box for box in boxes), "message is not in an error box"
    assert '<html lang="km">' in html


def upload(name: str, data: bytes, content_type: str = "image/jpeg") -> SimpleUploadedFile:
    """Wrap bytes as an uploaded file whose name and type may lie."""
    return SimpleUploadedFile(name, data, content_type=content_type)


def photo_bytes(*, fmt: str = "JPEG", size: tuple[int, int] = (160, 120), seed: int = 7) -> bytes:
    """Generate a photo-like image (noise and a gradient; never real imagery)."""
    rng = np.random.default_rng(seed)
    width, height = size
    gradient = np.linspace(0, 255, width, dtype=np.uint8)[None, :, None]
    pixels = (rng.integers(0, 60, (height, width, 3), dtype=np.uint8) + gradient // 2).astype(
        np.uint8
    )
    out = io.BytesIO()
    Image.fromarray(pixels).save(out, format=fmt)
    return out.getvalue()


def _png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def png_bomb(width: int, height: int) -> bytes:
    """Build a valid 1-bit PNG of width x height pixels, all black: tiny on disk, huge decoded.

    Written chunk by chunk (never decoded here), so generating it costs little memory.
    """
    row = b"\x00" + b"\x00" * ((width + 7) // 8)  # filter byte + packed bits
    compressor = zlib.compressobj(9)
    parts = []
    block = row * max(1, (1 << 20) // len(row))
    rows_per_block = len(block) // len(row)
    remaining = height
    while remaining > 0:
        count = min(rows_per_block, remaining)
        parts.append(compressor.compress(block[: count * len(row)]))
        remaining -= count
    parts.append(compressor.flush())
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)  # bit depth 1, greyscale
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", b"".join(parts))
        + _png_chunk(b"IEND", b"")
    )


def run_file_db_scenario(name: str, data_dir: Path, **args: Any) -> tuple[dict[str, Any], str]:
    """Run a scenario of file_db_scenarios.py in a fresh process; return its result and logs."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HOTLINE_")}
    completed = subprocess.run(
        [
            sys.executable,
            str(Path(__file__).with_name("file_db_scenarios.py")),
            name,
            str(data_dir),
            json.dumps(args),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr[-5000:]
    result = json.loads(completed.stdout.strip().splitlines()[-1])
    return result, completed.stdout + completed.stderr


def submit_evidence(
    data: bytes, *, name: str, content_type: str, keep_original: bool
) -> EvidenceFile:
    """Submit a good report with one file through the form; return the stored file record."""
    client = Client()
    post = good_report(client, evidence_files=[upload(name, data, content_type)])
    if keep_original:
        post["keep_original_for_police"] = "on"
    response = browser_post(client, "/report/", post)
    assert response.redirect_chain == [("/report/receipt/", 303)]
    assert receipt_code(response.content.decode())
    return EvidenceFile.objects.get()


def working_copy(record: EvidenceFile) -> bytes:
    """Return the decrypted copy staff see."""
    return vault.file_read(name=record.working_name, context=record.context)
