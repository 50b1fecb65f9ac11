"""preview_bytes: any picture a working copy can be becomes a small grey blurred JPEG."""

from __future__ import annotations

import io

import pytest
from PIL import Image, ImageFilter, ImageStat

from assessment_support import picture
from hotline.viewing.preview import PREVIEW_PX, preview_bytes


def encoded(image: Image.Image, fmt: str = "PNG") -> bytes:
    out = io.BytesIO()
    image.save(out, format=fmt)
    return out.getvalue()


@pytest.mark.parametrize(
    "data",
    [
        encoded(Image.new("RGBA", (300, 200), (255, 0, 0, 0))),
        encoded(Image.new("P", (64, 640), 3)),
        encoded(Image.new("1", (1, 1), 1)),
        encoded(Image.new("L", (5000, 3), 200)),
        encoded(Image.open(io.BytesIO(picture(1))).convert("RGB"), "JPEG"),
    ],
    ids=["transparent", "palette-tall", "one-pixel", "thin-strip", "jpeg"],
)
def test_every_kind_of_working_copy_gets_a_grey_preview_within_the_size(data: bytes) -> None:
    preview = Image.open(io.BytesIO(preview_bytes(data)))
    assert preview.format == "JPEG"
    assert preview.mode == "L"
    assert max(preview.size) <= PREVIEW_PX
    assert min(preview.size) >= 1


def test_the_preview_keeps_no_fine_detail() -> None:
    data = picture(5, size=(1200, 900))

    def edges(image: Image.Image) -> float:
        grey = image.convert("L").resize((240, 180))
        return float(ImageStat.Stat(grey.filter(ImageFilter.FIND_EDGES)).mean[0])

    original = Image.open(io.BytesIO(data))
    blurred = Image.open(io.BytesIO(preview_bytes(data)))
    assert edges(blurred) < edges(original) / 10
    # No colour survives: the preview is one channel.
    assert len(blurred.getbands()) == 1
