"""The blurred greyscale preview of an evidence image: pure Pillow, no Django, no database."""

from __future__ import annotations

import io

from PIL import Image, ImageFilter

PREVIEW_PX = 240  # the preview's longer side
# The picture is shrunk to this many pixels on its longer side before it is blown up again and
# blurred: shapes and colours are gone, only the layout of light and dark is left to tell
# whether two pictures are the same scene. The clear bytes never reach the browser.
PREVIEW_DETAIL_PX = 12


def preview_bytes(data: bytes) -> bytes:
    """Return the blurred greyscale JPEG preview of an encoded image (pure: no database)."""
    with Image.open(io.BytesIO(data)) as image:
        # Decode no more than needed: a JPEG at 1/2..1/8 scale (draft), then a box reduction,
        # so a 12-megapixel photo never sits in memory at full size in the web process.
        image.draft("L", (PREVIEW_PX, PREVIEW_PX))
        image.thumbnail((PREVIEW_PX, PREVIEW_PX), reducing_gap=2.0)
        grey = image.convert("L")
    grey.thumbnail((PREVIEW_DETAIL_PX, PREVIEW_DETAIL_PX), Image.Resampling.BOX)
    width, height = grey.size
    scale = PREVIEW_PX / max(width, height)
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    blurred = grey.resize(size, Image.Resampling.BILINEAR).filter(
        ImageFilter.GaussianBlur(radius=PREVIEW_PX / 30)
    )
    out = io.BytesIO()
    blurred.save(out, format="JPEG", quality=60)
    return out.getvalue()
