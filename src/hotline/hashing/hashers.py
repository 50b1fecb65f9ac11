"""Compute PDQ, MD5 and SHA-256 of image bytes.

Pure library code: no Django, no database, no network. The intake app calls `hash_image_bytes`
on every uploaded image and `hotline hash` calls it on local files, so its signature is a
contract: `hash_image_bytes(data: bytes) -> ImageHashes`.

PDQ is computed by the `pdqhash` binding of Meta's C++ reference core on the image as Pillow
decodes it, converted to RGB, at full resolution (no pre-resize, no EXIF rotation): this is how
`shared/pdq-reference/expected.csv` was produced, so the output equals it bit for bit.
"""

from __future__ import annotations

import hashlib
import io
import struct
import warnings
import zlib
from dataclasses import dataclass
from typing import Final

import numpy as np
import pdqhash
from PIL import Image, UnidentifiedImageError

# A 1024x768 photo is 0.8 Mpx and a 200 Mpx phone sensor bins to 12 Mpx by default; 64 Mpx keeps
# the decoded RGB buffer under 200 MB. Pillow's own bomb guard (89 Mpx warning) is looser.
MAX_PIXELS: Final = 64_000_000
# Very long thin images cost little memory but make PDQ's downsampling meaningless.
MAX_SIDE: Final = 32_768
# Formats a reporter plausibly has; everything else is refused before any decoder runs.
ALLOWED_FORMATS: Final = ("JPEG", "PNG", "WEBP", "GIF", "BMP", "TIFF", "AVIF")
# Modes that hold more than 8 bits per channel; Pillow's RGB conversion clips them, which would
# produce a hash of a different (mostly white) picture.
_HIGH_DEPTH_MODES: Final = frozenset({"I", "F", "I;16", "I;16L", "I;16B", "I;16N"})
_PNG_SIGNATURE: Final = b"\x89PNG\r\n\x1a\n"
_TIFF_BITS_PER_SAMPLE: Final = 258


class HashingError(Exception):
    """An input that cannot be hashed; `message` is plain language safe to show a reporter."""

    code = "hashing_error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class EmptyImageError(HashingError):
    """The input has no bytes."""

    code = "empty"


class CorruptImageError(HashingError):
    """The bytes are not a decodable image of an accepted format."""

    code = "corrupt"


class TruncatedImageError(HashingError):
    """The image ends before all of its pixels."""

    code = "truncated"


class ImageTooLargeError(HashingError):
    """The image's dimensions exceed the limits (includes decompression bombs)."""

    code = "too_large"


class UnsupportedImageError(HashingError):
    """The image decodes but is of a kind PDQ is not computed for (bit depth, animation, mode)."""

    code = "unsupported"


class HighBitDepthError(UnsupportedImageError):
    """The image has more than 8 bits per channel."""

    code = "bit_depth"


class AnimatedImageError(UnsupportedImageError):
    """The image has more than one frame."""

    code = "animated"


@dataclass(frozen=True, slots=True)
class FileDigests:
    """Exact hashes of a file's bytes, lowercase hex."""

    md5: str
    sha256: str


@dataclass(frozen=True, slots=True)
class ImageHashes:
    """PDQ and exact hashes of one image; `pdq_hex` is 64 lowercase hex digits, MSB first."""

    md5: str
    sha256: str
    pdq_hex: str
    quality: int


def file_digests(data: bytes) -> FileDigests:
    """Return the MD5 and SHA-256 of `data`."""
    return FileDigests(
        md5=hashlib.md5(data, usedforsecurity=False).hexdigest(),
        sha256=hashlib.sha256(data).hexdigest(),
    )


def hash_image_bytes(
    data: bytes, *, max_pixels: int = MAX_PIXELS, max_side: int = MAX_SIDE
) -> ImageHashes:
    """Return the PDQ, quality, MD5 and SHA-256 of an encoded image.

    Raises a `HashingError` subclass with a plain message for anything that cannot be hashed.
    Thread-safe apart from the warnings filter (Python's warnings state is process-wide).
    """
    if not data:
        raise EmptyImageError("The file is empty.")
    digests = file_digests(data)
    rgb = decode_rgb(data, max_pixels=max_pixels, max_side=max_side)
    pdq_hex, quality = pdq_of_rgb(rgb)
    return ImageHashes(md5=digests.md5, sha256=digests.sha256, pdq_hex=pdq_hex, quality=quality)


def pdq_of_rgb(rgb: np.ndarray) -> tuple[str, int]:
    """Return the PDQ hex and quality of an HxWx3 uint8 RGB array."""
    bits, quality = pdqhash.compute(np.ascontiguousarray(rgb, dtype=np.uint8))
    return np.packbits(np.asarray(bits, dtype=np.uint8)).tobytes().hex(), int(quality)


def decode_rgb(
    data: bytes, *, max_pixels: int = MAX_PIXELS, max_side: int = MAX_SIDE
) -> np.ndarray:
    """Decode an image to an HxWx3 uint8 array; refuse anything but a plain still image."""
    with decode_image(data, max_pixels=max_pixels, max_side=max_side) as image:
        refusal = pdq_refusal(image, data)
        if refusal is not None:
            raise refusal
        return rgb_of(image)


def decode_image(
    data: bytes, *, max_pixels: int = MAX_PIXELS, max_side: int = MAX_SIDE
) -> Image.Image:
    """Decode an image once, within the pixel limits; the caller closes it.

    Raises `CorruptImageError`, `TruncatedImageError` or `ImageTooLargeError`. An animated or
    high-bit-depth image decodes (its first frame); `pdq_refusal` says whether PDQ applies.
    """
    with warnings.catch_warnings():
        # Pillow warns (rather than raises) between 1x and 2x its limit; a bomb is an error here.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(io.BytesIO(data), formats=ALLOWED_FORMATS)
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise _too_large() from exc
        except UnidentifiedImageError as exc:
            raise CorruptImageError(
                "The file is not an image in a supported format (JPEG, PNG, WebP, GIF, BMP, TIFF,"
                " AVIF), or it is damaged."
            ) from exc
        except (OSError, SyntaxError, ValueError, EOFError, struct.error, zlib.error) as exc:
            raise CorruptImageError("The image is damaged and cannot be read.") from exc
        try:
            _check_size(image, max_pixels=max_pixels, max_side=max_side)
            image.load()
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            image.close()
            raise _too_large() from exc
        except (OSError, SyntaxError, ValueError, EOFError, struct.error, zlib.error) as exc:
            image.close()
            if "truncated" in str(exc).lower() or isinstance(exc, EOFError):
                raise TruncatedImageError(
                    "The image file is incomplete (it may have been cut off while copying)."
                ) from exc
            raise CorruptImageError("The image is damaged and cannot be read.") from exc
        except BaseException:
            image.close()
            raise
    return image


def pdq_refusal(image: Image.Image, data: bytes) -> UnsupportedImageError | None:
    """Return why PDQ is not computed for this decoded image (animated, >8 bits), or None."""
    if getattr(image, "n_frames", 1) > 1 or getattr(image, "is_animated", False):
        return AnimatedImageError(
            "Animated images (several frames) are not supported; save one frame as a still image."
        )
    if image.mode in _HIGH_DEPTH_MODES or _source_bit_depth(image, data) > 8:
        return _high_depth()
    return None


def rgb_of(image: Image.Image) -> np.ndarray:
    """Return a decoded still image as an HxWx3 uint8 RGB array (what PDQ is computed on)."""
    try:
        rgb = image if image.mode == "RGB" else image.convert("RGB")
    except ValueError as exc:
        raise UnsupportedImageError(
            f"Images in the {image.mode} colour mode are not supported."
        ) from exc
    return np.asarray(rgb, dtype=np.uint8)


def _too_large() -> ImageTooLargeError:
    return ImageTooLargeError("The image's dimensions are too large to process safely.")


def _check_size(image: Image.Image, *, max_pixels: int, max_side: int) -> None:
    width, height = image.size
    if width <= 0 or height <= 0:
        raise CorruptImageError("The image has no pixels.")
    if width > max_side or height > max_side or width * height > max_pixels:
        raise ImageTooLargeError(
            f"The image is {width}x{height} pixels; the limit is {max_pixels:,} pixels"
            f" and {max_side:,} pixels per side."
        )


def _source_bit_depth(image: Image.Image, data: bytes) -> int:
    # Pillow silently reduces 16-bit RGB PNG and TIFF to 8 bits, so the mode alone does not tell.
    if image.format == "PNG" and data.startswith(_PNG_SIGNATURE) and len(data) > 24:
        return data[24]  # IHDR bit depth: signature(8) + length(4) + type(4) + width + height
    if image.format == "TIFF":
        tags = getattr(image, "tag_v2", None)
        bits = tags.get(_TIFF_BITS_PER_SAMPLE) if tags is not None else None
        if isinstance(bits, tuple):
            return max((int(b) for b in bits), default=8)
        if isinstance(bits, int):
            return bits
    return 8


def _high_depth() -> HighBitDepthError:
    return HighBitDepthError(
        "Images with more than 8 bits per channel (for example 16-bit PNG or TIFF) are not"
        " supported; export the image as an 8-bit JPEG or PNG."
    )
