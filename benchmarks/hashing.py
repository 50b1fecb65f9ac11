"""Benchmark image hashing end to end: JPEG bytes -> PDQ + MD5 + SHA-256, on one core.

    .venv/bin/python benchmarks/hashing.py [--images 60] [--size 1024x768]

Images are generated (shapes, gradients and noise), encoded as JPEG quality 90, then hashed with
hotline.hashing.hashers.hash_image_bytes exactly as intake does; the split into decode, PDQ and
digests is measured on the same images.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import os
import statistics
import time

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from hotline.hashing.hashers import decode_rgb, hash_image_bytes, pdq_of_rgb


def synthetic_jpeg(width: int, height: int, seed: int) -> bytes:
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width]
    base = np.stack([x * 255 // width, y * 255 // height, (x ^ y) & 255], -1).astype(np.uint8)
    image = Image.fromarray(base, "RGB")
    draw = ImageDraw.Draw(image)
    for _ in range(40):
        x0, x1 = sorted(rng.integers(0, width, 2).tolist())
        y0, y1 = sorted(rng.integers(0, height, 2).tolist())
        fill = tuple(rng.integers(0, 256, 3).tolist())
        (draw.ellipse if rng.random() < 0.5 else draw.rectangle)((x0, y0, x1, y1), fill=fill)
    image = image.filter(ImageFilter.GaussianBlur(1))
    noisy = np.asarray(image, dtype=np.int16) + rng.integers(-12, 13, (height, width, 3))
    out = io.BytesIO()
    Image.fromarray(np.clip(noisy, 0, 255).astype(np.uint8)).save(out, "JPEG", quality=90)
    return out.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=60)
    parser.add_argument("--size", default="1024x768")
    args = parser.parse_args()
    width, height = map(int, args.size.split("x"))
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core, as the target says
    images = [synthetic_jpeg(width, height, seed) for seed in range(args.images)]
    hash_image_bytes(images[0])  # warm-up

    # Interleaved so that load from other processes hits both measurements alike.
    end_to_end, decode, pdq, digests = [], [], [], []
    for data in images:
        t0 = time.perf_counter()
        hash_image_bytes(data)
        t1 = time.perf_counter()
        rgb = decode_rgb(data)
        t2 = time.perf_counter()
        pdq_of_rgb(rgb)
        t3 = time.perf_counter()
        hashlib.md5(data, usedforsecurity=False).hexdigest()
        hashlib.sha256(data).hexdigest()
        digests.append(time.perf_counter() - t3)
        end_to_end.append(t1 - t0)
        decode.append(t2 - t1)
        pdq.append(t3 - t2)
    total = sum(end_to_end)

    mean_kb = statistics.mean(map(len, images)) / 1024
    print(f"## Hashing {args.images} JPEG images of {width}x{height} (mean {mean_kb:.0f} KiB)\n")
    print("| figure | value |\n| --- | --- |")
    print(f"| images/s end to end, one core | {args.images / total:.1f} |")
    print(f"| ms per image end to end (median) | {statistics.median(end_to_end) * 1e3:.2f} |")
    print(f"| ms decode + RGB (Pillow) | {statistics.median(decode) * 1e3:.2f} |")
    print(f"| ms PDQ (pdqhash, full resolution) | {statistics.median(pdq) * 1e3:.2f} |")
    print(f"| ms MD5 + SHA-256 | {statistics.median(digests) * 1e3:.3f} |")


if __name__ == "__main__":
    main()
