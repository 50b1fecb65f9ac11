"""Child job `image` (run by `hotline.sandbox.child`): decode once, PDQ, clean working copy.

Arguments: pixel limit, side limit. Reads the image on stdin; writes one JSON line, then (when
accepted) the working copy's bytes:

    {"status": "ok", "format": "PNG", "pdq": "<64 hex>" or "", "quality": 0-100 or null}
    {"status": "refused", "code": "<HashingError code>"}

The image is decoded once. PDQ is computed from those pixels exactly as `hash_image_bytes`
computes it (as decoded, no EXIF rotation: the hash must equal other systems' hash of the same
file). The working copy is then made from the same pixels: turned upright as its EXIF
orientation says (the orientation goes with the metadata, and a phone photo would otherwise
show sideways), rebuilt from its pixels alone (no EXIF, GPS, ICC, XMP or comments) and encoded
as JPEG when it was a JPEG, PNG otherwise (WebP and GIF included: the first frame, lossless).
"""

from __future__ import annotations

import io
import json
import sys
from typing import Final

from PIL import ExifTags, Image, ImageOps

from hotline.hashing.hashers import HashingError, decode_image, pdq_of_rgb, pdq_refusal, rgb_of

_ARGUMENTS: Final = 2
JPEG_QUALITY: Final = 92
# Modes Pillow writes to PNG as they are; anything else (CMYK, YCbCr, LAB, HSV, F) becomes RGB.
_PNG_MODES: Final = frozenset({"1", "L", "LA", "P", "RGB", "RGBA", "I", "I;16"})
# Kept: how to draw the pixels, nothing about who made them or where.
_KEPT_INFO: Final = ("transparency",)


def prepare(data: bytes, *, max_pixels: int, max_side: int) -> tuple[dict[str, object], bytes]:
    """Return the JSON header and working copy for one image (see the module docstring)."""
    try:
        image = decode_image(data, max_pixels=max_pixels, max_side=max_side)
    except HashingError as exc:
        return {"status": "refused", "code": exc.code}, b""
    with image:
        source_format = image.format
        pdq, quality = _pdq(image, data)
        # The same decoded image, changed in place: no second picture-sized buffer.
        if image.getexif().get(ExifTags.Base.Orientation, 1) != 1:
            ImageOps.exif_transpose(image, in_place=True)
        # Saving writes EXIF, XMP and ICC only when given them, and a JPEG comment or PNG ICC
        # profile from `info`: without it, the pixels alone are written.
        image.info = {key: image.info[key] for key in _KEPT_INFO if key in image.info}
        out = io.BytesIO()
        if source_format == "JPEG":
            clean = image if image.mode in {"RGB", "L"} else image.convert("RGB")
            clean.save(out, format="JPEG", quality=JPEG_QUALITY)
            working_format = "JPEG"
        else:
            clean = image if image.mode in _PNG_MODES else image.convert(_rgb_mode(image))
            clean.save(out, format="PNG")
            working_format = "PNG"
    header: dict[str, object] = {
        "status": "ok",
        "format": working_format,
        "pdq": pdq,
        "quality": quality,
    }
    return header, out.getvalue()


def _pdq(image: Image.Image, data: bytes) -> tuple[str, int | None]:
    """PDQ of the decoded pixels, or ("", None) for a kind of image PDQ does not cover."""
    if pdq_refusal(image, data) is not None:
        return "", None
    try:
        rgb = rgb_of(image)
    except HashingError:
        return "", None  # a colour mode PDQ is not defined for
    # PDQ's two float buffers (8 bytes a pixel) come on top of the RGB array: the peak. `rgb` is
    # released on return, before the working copy is encoded.
    pdq, quality = pdq_of_rgb(rgb)
    return pdq, quality


def _rgb_mode(image: Image.Image) -> str:
    return "RGBA" if "A" in image.mode else "RGB"


def main(args: list[str]) -> int:
    """Prepare the image on stdin under the limits in args; write the result on stdout."""
    if len(args) != _ARGUMENTS:
        return 2
    data = sys.stdin.buffer.read()
    try:
        header, working = prepare(data, max_pixels=int(args[0]), max_side=int(args[1]))
    except MemoryError:
        # Over the address-space limit: an image that decodes to more than we can hold.
        header, working = {"status": "refused", "code": "too_large"}, b""
    except (OSError, ValueError) as exc:
        # Encoding the clean copy failed (a mode or palette Pillow cannot write back).
        sys.stderr.write(f"image_child failed: {type(exc).__name__}\n")
        header, working = {"status": "refused", "code": "corrupt"}, b""
    sys.stdout.buffer.write(json.dumps(header).encode() + b"\n" + working)
    return 0
