"""hash_image_bytes against Meta's reference images and against inputs it must refuse."""

from __future__ import annotations

import csv
import io
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

from hotline.hashing import hashers
from hotline.hashing.hashers import (
    AnimatedImageError,
    CorruptImageError,
    EmptyImageError,
    HashingError,
    HighBitDepthError,
    ImageTooLargeError,
    TruncatedImageError,
    hash_image_bytes,
)

REFERENCE_DIR = Path(__file__).resolve().parents[3] / "shared" / "pdq-reference"
if not REFERENCE_DIR.is_dir():  # a worktree checked out elsewhere keeps shared/ beside it
    REFERENCE_DIR = Path("/work/shared/pdq-reference")
REFERENCE_ROWS = list(csv.DictReader((REFERENCE_DIR / "expected.csv").open(encoding="utf-8")))


def hamming(a: str, b: str) -> int:
    return (int(a, 16) ^ int(b, 16)).bit_count()


def test_reference_set_is_complete() -> None:
    # Guards against a silently empty parametrisation below.
    assert len(REFERENCE_ROWS) >= 30
    assert sum(1 for row in REFERENCE_ROWS if row["pdq_meta_wasm"]) >= 15


@pytest.mark.parametrize("row", REFERENCE_ROWS, ids=[r["file"] for r in REFERENCE_ROWS])
def test_matches_meta_reference(row: dict[str, str]) -> None:
    data = (REFERENCE_DIR / row["file"]).read_bytes()
    hashes = hash_image_bytes(data)
    assert hashes.pdq_hex == row["pdq"]
    assert hashes.quality == int(row["quality"])
    assert hashes.md5 == row["md5"]
    assert hashes.sha256 == row["sha256"]
    if row["pdq_meta_wasm"]:
        assert hamming(hashes.pdq_hex, row["pdq_meta_wasm"]) <= 10


def encode(image: Image.Image, fmt: str, **params: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **params)
    return buffer.getvalue()


def gradient_rgb(width: int = 320, height: int = 240, seed: int = 0) -> Image.Image:
    """Draw a synthetic picture: a gradient with random shapes, structured enough for PDQ."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width]
    base = np.stack([x * 255 // width, y * 255 // height, (x + y) * 255 // (width + height)], -1)
    image = Image.fromarray(base.astype(np.uint8), "RGB")
    draw = ImageDraw.Draw(image)
    for _ in range(12):
        x0, x1 = sorted(rng.integers(0, width, 2).tolist())
        y0, y1 = sorted(rng.integers(0, height, 2).tolist())
        colour = tuple(rng.integers(0, 256, 3).tolist())
        if rng.random() < 0.5:
            draw.rectangle((x0, y0, x1, y1), fill=colour)
        else:
            draw.ellipse((x0, y0, x1, y1), fill=colour)
    return image


def png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def raw_png(width: int, height: int, *, bit_depth: int = 8, colour_type: int = 2) -> bytes:
    """Build a PNG by hand (Pillow cannot write 16-bit RGB, nor lie about dimensions)."""
    channels = {0: 1, 2: 3}[colour_type]
    ihdr = struct.pack(">IIBBBBB", width, height, bit_depth, colour_type, 0, 0, 0)
    row = b"\x00" + bytes(range(256)) * (width * channels * bit_depth // 8 // 256 + 1)
    row = row[: 1 + width * channels * bit_depth // 8]
    idat = zlib.compress(row * min(height, 64))
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", ihdr)
        + png_chunk(b"IDAT", idat)
        + png_chunk(b"IEND", b"")
    )


def test_generated_jpeg_and_png_agree() -> None:
    image = gradient_rgb()
    jpeg = hash_image_bytes(encode(image, "JPEG", quality=95))
    png = hash_image_bytes(encode(image, "PNG"))
    assert len(png.pdq_hex) == 64
    assert png.quality > 50
    assert png.md5 != jpeg.md5
    assert hamming(png.pdq_hex, jpeg.pdq_hex) <= 10


def test_different_images_are_far_apart() -> None:
    a = hash_image_bytes(encode(gradient_rgb(seed=1).rotate(90, expand=True), "PNG"))
    b = hash_image_bytes(encode(gradient_rgb(seed=2), "PNG"))
    assert hamming(a.pdq_hex, b.pdq_hex) > 31


def test_empty() -> None:
    with pytest.raises(EmptyImageError, match="empty"):
        hash_image_bytes(b"")


def test_not_an_image() -> None:
    with pytest.raises(CorruptImageError):
        hash_image_bytes(b"this is a text file, not an image\n" * 20)


def test_corrupt_jpeg_body() -> None:
    data = bytearray(encode(gradient_rgb(), "JPEG"))
    # Keep the header so the decoder starts, then destroy the entropy-coded data and markers.
    data[600:] = b"\xff" * (len(data) - 600)
    with pytest.raises((CorruptImageError, TruncatedImageError)):
        hash_image_bytes(bytes(data))


@pytest.mark.parametrize("fmt", ["JPEG", "PNG"])
def test_truncated(fmt: str) -> None:
    data = encode(gradient_rgb(), fmt)
    with pytest.raises(TruncatedImageError, match="incomplete"):
        hash_image_bytes(data[: len(data) // 2])


def test_huge_side_refused_before_decoding() -> None:
    with pytest.raises(ImageTooLargeError, match="40000x1"):
        hash_image_bytes(raw_png(40_000, 1))
    # The header alone decides: with garbage instead of pixel data the answer is the same (a
    # decoder that had started would have failed on the data: corrupt, not too large).
    header = raw_png(40_000, 1).split(b"IDAT")[0][:-4]
    garbage = header + png_chunk(b"IDAT", b"not zlib data") + png_chunk(b"IEND", b"")
    with pytest.raises(ImageTooLargeError, match="40000x1"):
        hash_image_bytes(garbage)
    with pytest.raises(CorruptImageError):  # the same garbage under a small header is decoded
        hash_image_bytes(raw_png(40, 1).split(b"IDAT")[0][:-4] + garbage[len(header) :])


def test_pixel_limit_is_configurable() -> None:
    data = encode(gradient_rgb(200, 200), "PNG")
    with pytest.raises(ImageTooLargeError):
        hash_image_bytes(data, max_pixels=10_000)
    assert hash_image_bytes(data).quality > 0


@pytest.mark.parametrize(
    "side",
    [
        20_000,  # 400 Mpx: Pillow raises DecompressionBombError while opening
        10_000,  # 100 Mpx: Pillow only warns; the warning must become an error
    ],
)
def test_decompression_bomb(side: int) -> None:
    # A header claiming huge dimensions with almost no data behind it.
    with pytest.raises(ImageTooLargeError, match="too large"):
        hash_image_bytes(raw_png(side, side, colour_type=0), max_pixels=10**12, max_side=10**6)


def test_default_limits_also_stop_bombs() -> None:
    with pytest.raises(ImageTooLargeError):
        hash_image_bytes(raw_png(10_000, 10_000, colour_type=0))


def test_cmyk_jpeg_is_hashed_like_its_rgb_original() -> None:
    # Meta's reference set includes a CMYK JPEG with an expected hash, so CMYK is converted,
    # not refused (see docs/decisions/hashing.md).
    image = gradient_rgb()
    cmyk = hash_image_bytes(encode(image.convert("CMYK"), "JPEG", quality=95))
    rgb = hash_image_bytes(encode(image, "JPEG", quality=95))
    assert hamming(cmyk.pdq_hex, rgb.pdq_hex) <= 10


def test_16_bit_greyscale_png() -> None:
    array = (np.arange(256 * 64, dtype=np.uint16).reshape(64, 256) * 4).astype(np.uint16)
    data = encode(Image.fromarray(array), "PNG")
    assert data[24] == 16
    with pytest.raises(HighBitDepthError, match="8 bits"):
        hash_image_bytes(data)


def test_16_bit_rgb_png() -> None:
    data = raw_png(64, 64, bit_depth=16)
    assert Image.open(io.BytesIO(data)).mode == "RGB"  # Pillow hides the depth; we must not
    with pytest.raises(HighBitDepthError):
        hash_image_bytes(data)


def test_16_bit_tiff() -> None:
    array = np.full((32, 32), 40_000, dtype=np.uint16)
    with pytest.raises(HighBitDepthError):
        hash_image_bytes(encode(Image.fromarray(array), "TIFF"))


def test_8_bit_tiff_is_hashed() -> None:
    assert hash_image_bytes(encode(gradient_rgb(), "TIFF")).quality > 0


@pytest.mark.parametrize("fmt", ["GIF", "PNG", "WEBP"])
def test_animated(fmt: str) -> None:
    frames = [gradient_rgb(seed=s) for s in range(3)]
    data = encode(frames[0], fmt, save_all=True, append_images=frames[1:], duration=100)
    with pytest.raises(AnimatedImageError, match="Animated"):
        hash_image_bytes(data)


def test_single_frame_gif_is_hashed() -> None:
    assert len(hash_image_bytes(encode(gradient_rgb(), "GIF")).pdq_hex) == 64


def test_refused_format() -> None:
    # ICO decodes in Pillow but is not a format a reporter's photo comes in.
    with pytest.raises(CorruptImageError, match="supported format"):
        hash_image_bytes(encode(gradient_rgb(64, 64), "ICO"))


def test_every_error_is_a_hashing_error_with_a_code() -> None:
    for cls in (
        EmptyImageError,
        CorruptImageError,
        TruncatedImageError,
        ImageTooLargeError,
        HighBitDepthError,
        AnimatedImageError,
    ):
        assert issubclass(cls, HashingError)
        assert cls.code != HashingError.code
    assert hashers.MAX_PIXELS < Image.MAX_IMAGE_PIXELS  # ours trips before Pillow's warning
