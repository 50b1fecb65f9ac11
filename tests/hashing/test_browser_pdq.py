"""The browser's PDQ and MD5 (static/hashing/pdq.js, in headless chromium) agree with the server's.

Target (issue 4): over Meta's reference images and generated PNG and JPEG images, mean Hamming
distance at most 2 bits and no image more than 10 bits from `hash_image_bytes` of the same file.
"""

from __future__ import annotations

import base64
import csv
import io
import re
import statistics
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFilter
from playwright.sync_api import Route, sync_playwright
from pytest_django.live_server_helper import LiveServer

from hotline.hashing.hashers import hash_image_bytes
from hotline.intake.forms import parse_hashes

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

CHROMIUM = "/usr/bin/chromium"
REFERENCE_DIR = Path(__file__).resolve().parents[3] / "shared" / "pdq-reference"
if not REFERENCE_DIR.is_dir():
    REFERENCE_DIR = Path("/work/shared/pdq-reference")

HASH_IN_PAGE = """async ({data, type}) => {
    const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
    return await OpenHotlineHashing.hashFile(new Blob([bytes], {type}));
}"""


def generated(seed: int, fmt: str) -> bytes:
    rng = np.random.default_rng(seed)
    width, height = int(rng.integers(200, 900)), int(rng.integers(200, 900))
    image = Image.new("RGB", (width, height), tuple(rng.integers(0, 256, 3).tolist()))
    draw = ImageDraw.Draw(image)
    for _ in range(25):
        x0, x1 = sorted(rng.integers(0, width, 2).tolist())
        y0, y1 = sorted(rng.integers(0, height, 2).tolist())
        fill = tuple(rng.integers(0, 256, 3).tolist())
        (draw.ellipse if rng.random() < 0.5 else draw.rectangle)((x0, y0, x1, y1), fill=fill)
    image = image.filter(ImageFilter.GaussianBlur(float(rng.uniform(0, 2))))
    out = io.BytesIO()
    image.save(out, fmt, **({"quality": int(rng.integers(60, 96))} if fmt == "JPEG" else {}))
    return out.getvalue()


def inputs() -> list[tuple[str, bytes, str]]:
    rows = list(csv.DictReader((REFERENCE_DIR / "expected.csv").open(encoding="utf-8")))
    types = {".jpg": "image/jpeg", ".png": "image/png", ".webp": "image/webp"}
    items = [
        (row["file"], (REFERENCE_DIR / row["file"]).read_bytes(), types[Path(row["file"]).suffix])
        for row in rows
    ]
    items += [(f"generated-{s}.png", generated(s, "PNG"), "image/png") for s in range(8)]
    items += [(f"generated-{s}.jpg", generated(100 + s, "JPEG"), "image/jpeg") for s in range(8)]
    # Photos taken sideways: the server hashes the stored pixels without applying the EXIF
    # orientation, and so must the browser (a rotated image has an unrelated PDQ).
    for orientation, fmt, mime in [
        (6, "JPEG", "image/jpeg"),
        (3, "JPEG", "image/jpeg"),
        (8, "PNG", "image/png"),
        (6, "WEBP", "image/webp"),
    ]:
        image = Image.open(io.BytesIO(generated(200 + orientation, "PNG")))
        exif = Image.Exif()
        exif[0x0112] = orientation
        out = io.BytesIO()
        image.save(out, fmt, exif=exif.tobytes())
        items.append((f"exif-orientation-{orientation}.{fmt.lower()}", out.getvalue(), mime))
    return items


def hamming(a: str, b: str) -> int:
    return (int(a, 16) ^ int(b, 16)).bit_count()


def test_browser_hashes_agree_with_server(live_server: LiveServer) -> None:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (scripts/test does).")
    items = inputs()
    assert len(items) >= 50
    distances: dict[str, int] = {}
    foreign: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=["--no-sandbox", "--disable-gpu"]
        )
        page = browser.new_page()
        page.on(
            "request",
            lambda req: None if req.url.startswith(live_server.url) else foreign.append(req.url),
        )
        # The script is served by OpenHotline's own static files.
        page.goto(f"{live_server.url}/static/hashing/pdq.js")
        page.add_script_tag(url="/static/hashing/pdq.js")
        for name, data, mime in items:
            result = page.evaluate(
                HASH_IN_PAGE, {"data": base64.b64encode(data).decode(), "type": mime}
            )
            server = hash_image_bytes(data)
            assert result["md5"] == server.md5, name
            assert result["sha256"] == server.sha256, name
            assert len(result["pdq"]) == 64, name
            distances[name] = hamming(result["pdq"], server.pdq_hex)
        browser.close()
    assert foreign == []
    worst = max(distances, key=lambda n: distances[n])
    assert distances[worst] <= 10, f"{worst}: {distances[worst]} bits; all: {distances}"
    assert statistics.mean(distances.values()) <= 2, distances


DEVICE_FORM = """<!doctype html><html><body>
<form method="post" enctype="multipart/form-data" action="/nowhere">
  <input type="hidden" name="device_hashes">
  <div data-hotline-evidence data-remove-label="Remove" data-earlier-label="Earlier">
    <fieldset data-hotline-evidence-choice hidden>
      <label><input type="radio" name="evidence_way" value="file"> file</label>
      <label><input type="radio" name="evidence_way" value="fingerprint"> fingerprint</label>
    </fieldset>
    <div data-hotline-evidence-file>
      <input type="file" name="evidence_files" multiple>
      <ul data-hotline-evidence-file-list></ul>
    </div>
    <div data-hotline-device-hash hidden>
      <input type="file" name="evidence" accept="image/*" multiple data-hotline-device-hash-input>
      <ul data-hotline-device-hash-list></ul>
      <p data-hotline-device-hash-error hidden>could not be read</p>
    </div>
  </div>
</form>
<script src="/static/hashing/pdq.js"></script>
<script src="/static/hashing/device-hash.js"></script>
</body></html>"""


def test_device_hash_form_sends_only_hashes(live_server: LiveServer) -> None:
    pictures = [generated(300, "JPEG"), generated(301, "PNG")]
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=["--no-sandbox", "--disable-gpu"]
        )
        page = browser.new_page()
        page.goto(f"{live_server.url}/static/hashing/device-hash.js")
        page.set_content(DEVICE_FORM)
        # The choice is shown only once the script runs; choosing a fingerprint shows its box.
        page.locator('input[name="evidence_way"][value="fingerprint"]').check()
        page.locator("[data-hotline-device-hash]").wait_for(state="visible")
        picker = page.locator("[data-hotline-device-hash-input]")
        assert picker.get_attribute("name") is None  # the pictures themselves are never sent
        picker.set_input_files(
            [
                {"name": "a.jpg", "mimeType": "image/jpeg", "buffer": pictures[0]},
                {"name": "b.png", "mimeType": "image/png", "buffer": pictures[1]},
            ]
        )
        page.locator("[data-hotline-device-hash-list] li").nth(1).wait_for()
        lines = page.locator('input[name="device_hashes"]').input_value().splitlines()
        assert (
            page.evaluate("document.querySelector('[data-hotline-device-hash-input]').value") == ""
        )

        picker.set_input_files([{"name": "c.jpg", "mimeType": "image/jpeg", "buffer": b"junk"}])
        page.locator("[data-hotline-device-hash-error]").wait_for(state="visible")
        # A file that cannot be read adds nothing.
        assert page.locator('input[name="device_hashes"]').input_value().splitlines() == lines

        # What the browser sends when the form is submitted: the hashes field and nothing else.
        sent_bodies: list[bytes] = []

        def capture(route: Route) -> None:
            sent_bodies.append(route.request.post_data_buffer or b"")
            route.fulfill(status=200, body="sent")

        page.route("**/nowhere", capture)
        page.evaluate("document.querySelector('form').requestSubmit()")
        page.wait_for_url("**/nowhere")
        browser.close()

    (body,) = sent_bodies
    names = sorted(re.findall(rb'; name="([^"]*)"', body))
    assert names == [b"device_hashes", b"evidence_files", b"evidence_way"]
    assert re.findall(rb'filename="([^"]*)"', body) == [b""]  # the upload input stays empty
    for picture in pictures:
        assert picture[100:164] not in body
    assert "\r\n".join(lines).encode() in body

    servers = [hash_image_bytes(data) for data in pictures]
    assert sorted(line for line in lines if not line.startswith("pdq:")) == sorted(
        [f"md5:{h.md5}" for h in servers] + [f"sha256:{h.sha256}" for h in servers]
    )
    # Pictures may finish hashing in either order; each browser PDQ is near its server PDQ.
    sent = [line.split(":") for line in lines if line.startswith("pdq:")]
    assert len(sent) == 2
    for server in servers:
        assert min(hamming(pdq, server.pdq_hex) for _, pdq, _ in sent) <= 10
    assert {int(q) for _, _, q in sent} == {h.quality for h in servers}
    # The field is what intake's form reads.
    parsed = parse_hashes("\n".join(lines))
    assert sorted(kind for kind, _, _ in parsed) == ["md5"] * 2 + ["pdq"] * 2 + ["sha256"] * 2
