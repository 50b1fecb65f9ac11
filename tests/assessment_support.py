"""Generated pictures and reports for assessment and evidence-viewing tests (no real imagery)."""

from __future__ import annotations

import io
import random

from PIL import Image, ImageDraw

from hotline.intake.evidence import evidence_prepare
from hotline.intake.models import Report
from hotline.intake.services import ReportInput, report_submit

VALUES = {
    "report_type": "sextortion",
    "legal_status": "illegal_national",
    "victim_age": "pubescent",
    "gender": "female",
    "severity": "c",
    "hosting_country": "kh",
    "content_type": "image",
}


def picture(seed: int, size: tuple[int, int] = (320, 240)) -> bytes:
    """Return a PNG of random coloured shapes over fine stripes (lots of detail to blur)."""
    rng = random.Random(seed)
    image = Image.new("RGB", size, (rng.randrange(256), rng.randrange(256), rng.randrange(256)))
    draw = ImageDraw.Draw(image)
    for x in range(0, size[0], 4):
        draw.line([(x, 0), (x, size[1])], fill=(0, 0, 0) if x % 8 else (255, 255, 255))
    for _ in range(30):
        x0, y0 = rng.randrange(size[0]), rng.randrange(size[1])
        box = [x0, y0, x0 + rng.randrange(10, 90), y0 + rng.randrange(10, 90)]
        colour = (rng.randrange(256), rng.randrange(256), rng.randrange(256))
        (draw.ellipse if rng.random() < 0.5 else draw.rectangle)(box, fill=colour)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def report_with(
    *pictures: bytes,
    links: list[str] | None = None,
    hashes: list[tuple[str, str, int | None]] | None = None,
) -> Report:
    prepared = [evidence_prepare(filename=f"photo{i}.png", data=d) for i, d in enumerate(pictures)]
    data = ReportInput(
        reporter_role="myself",
        categories=["sextortion"],
        links=links or [],
        hashes=hashes or [],
    )
    return report_submit(data=data, evidence=prepared).report
