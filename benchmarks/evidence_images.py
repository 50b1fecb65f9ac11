"""Benchmark preparing uploaded images: in the web process (before) vs in the confined child.

    .venv/bin/python benchmarks/evidence_images.py            # about 2 minutes

Each case runs in a fresh Python process (so that its peak resident size, ru_maxrss, belongs to
that case alone) for each of two paths:

- `in-process` (the baseline: how intake prepared images up to commit 074d0ae):
  `hash_image_bytes` (decode + PDQ) then a second decode to re-encode the working copy, both in
  the calling (web) process;
- `child` (now): `intake.scrub.image.image_scrub`, one decode, PDQ and working copy in a child
  started by `hotline.sandbox.sandbox_run`.

Printed per case and path: wall seconds (median of --repeat runs) and how much the calling
process's peak resident memory grew. Images are generated (noise and gradients), never real.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

HERE = Path(__file__).resolve().parent
CASES = {
    "screenshot 1080x2400 PNG": "png_photo(1080, 2400)",
    "phone photo 4000x3000 JPEG (12 MP)": "jpeg_photo(4000, 3000)",
    "PNG 7999x7999, 1-bit, all black": "png_bomb(7999, 7999)",
}
WORKER = textwrap.dedent(
    """
    import io, json, resource, sys, time
    sys.path.insert(0, {support!r})
    import numpy as np
    from PIL import Image
    from reporter_images import jpeg_photo, png_bomb, png_photo
    data = {case}
    path = {path!r}
    if path == "in-process":
        from hotline.hashing.hashers import hash_image_bytes
        def prepare(data):
            # The former intake path: decode for PDQ, decode again for the working copy.
            hash_image_bytes(data)
            with Image.open(io.BytesIO(data)) as image:
                image.load()
                clean = Image.frombytes(image.mode, image.size, image.tobytes())
            out = io.BytesIO()
            clean.save(out, format="JPEG" if image.format == "JPEG" else "PNG")
            return out.getvalue()
    else:
        from hotline.intake.scrub.image import image_scrub
        def prepare(data):
            return image_scrub(data).working
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    prepare(data)
    seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({{"seconds": seconds, "growth_mb": (after - before) / 1024,
                      "input_kb": len(data) / 1024}}))
    """
)
SUPPORT = textwrap.dedent(
    '''
    """Generated test images for the benchmark (noise and gradients)."""
    import io, struct, zlib
    import numpy as np
    from PIL import Image

    def _pixels(width, height):
        rng = np.random.default_rng(7)
        small = rng.integers(0, 255, (max(1, height // 16), max(1, width // 16), 3), np.uint8)
        return Image.fromarray(small).resize((width, height))

    def png_photo(width, height):
        out = io.BytesIO(); _pixels(width, height).save(out, format="PNG"); return out.getvalue()

    def jpeg_photo(width, height):
        out = io.BytesIO(); _pixels(width, height).save(out, format="JPEG", quality=90)
        return out.getvalue()

    def _chunk(kind, body):
        crc = struct.pack(">I", zlib.crc32(kind + body))
        return struct.pack(">I", len(body)) + kind + body + crc

    def png_bomb(width, height):
        row = b"\\x00" * (1 + (width + 7) // 8)
        compressor = zlib.compressobj(9)
        body = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
        header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
        return (b"\\x89PNG\\r\\n\\x1a\\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", body)
                + _chunk(b"IEND", b""))
    '''
)


def run(case: str, path: str, support: Path) -> dict[str, float]:
    code = WORKER.format(support=str(support), case=case, path=path)
    completed = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=600
    )
    result: dict[str, float] = json.loads(completed.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as folder:
        support = Path(folder)
        (support / "reporter_images.py").write_text(SUPPORT)
        print(f"{'case':40} {'path':11} {'input':>9} {'seconds':>8} {'parent +MB':>11}")
        for name, case in CASES.items():
            for path in ("in-process", "child"):
                runs = [run(case, path, support) for _ in range(args.repeat)]
                seconds = statistics.median(r["seconds"] for r in runs)
                growth = statistics.median(r["growth_mb"] for r in runs)
                size = f"{runs[0]['input_kb']:.0f} KB"
                print(f"{name:40} {path:11} {size:>9} {seconds:8.2f} {growth:11.0f}")


if __name__ == "__main__":
    main()
