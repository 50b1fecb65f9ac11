"""Benchmark the blurred evidence preview (hotline.viewing.preview.preview_bytes).

    .venv/bin/python benchmarks/evidence_preview.py            # about 30 seconds

Each case runs in a fresh Python process (so its peak resident size, ru_maxrss, belongs to that
case alone). Printed per case: median wall milliseconds per preview over --repeat runs, and how
much the calling process's peak resident memory grew; each case twice: the pure function, and
as the web process runs it, in a confined child (hotline.sandbox), the child's memory not
counted (its limit is 1 GiB). Target: under 300 ms and 100 MiB for a 12 MP
photo (the report page asks for one preview per picture, each a request of its own). The
images are generated (noise and gradients), never real; decryption is not included.
"""

from __future__ import annotations

import argparse
import io
import json
import shutil
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CASES = {
    "screenshot 1080x2400 PNG": ("PNG", 1080, 2400, "RGB"),
    "phone photo 4000x3000 JPEG (12 MP)": ("JPEG", 4000, 3000, "RGB"),
    "PNG 7999x7999, 1-bit": ("PNG", 7999, 7999, "1"),
}
WORKER = textwrap.dedent(
    """
    import json, resource, statistics, sys, time
    sys.path.insert(0, {src!r})
    from hotline.viewing.preview import preview_bytes

    from hotline.sandbox import Limits, sandbox_run

    repeat, child = {repeat}, {child}
    limits = Limits(cpu_seconds=10, memory_bytes=1 << 30, file_bytes=0, wall_seconds=20,
                    output_bytes=512 * 1024)
    with open({path!r}, "rb") as f:
        data = f.read()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        if child:
            preview = sandbox_run(job="preview", data=data, limits=limits).stdout
        else:
            preview = preview_bytes(data)
        times.append(time.perf_counter() - start)
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({{"ms": statistics.median(times) * 1000, "grew_mib": (after - before) / 1024,
                      "input_kib": len(data) / 1024, "preview_bytes": len(preview)}}))
    """
)


def generated(fmt: str, width: int, height: int, mode: str) -> bytes:
    """Return an encoded test image: a gradient with noise, or all black for a 1-bit PNG."""
    import numpy as np
    from PIL import Image

    if mode == "1":
        image = Image.new("1", (width, height), 0)
    else:
        rng = np.random.default_rng(7)
        ramp = np.linspace(0, 191, width, dtype=np.uint8)[None, :, None]
        noise = rng.integers(0, 64, (height, width, 3), dtype=np.uint8)
        image = Image.fromarray((ramp + noise).astype(np.uint8), "RGB")
    out = io.BytesIO()
    image.save(out, format=fmt, **({"quality": 90} if fmt == "JPEG" else {}))
    return out.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--generate-into", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.generate_into:
        for fmt, width, height, mode in CASES.values():
            path = Path(args.generate_into) / f"{width}x{height}.{fmt.lower()}"
            path.write_bytes(generated(fmt, width, height, mode))
        return
    with open("/proc/loadavg") as f:
        print(f"load average: {' '.join(f.read().split()[:3])}")
    folder = Path(tempfile.mkdtemp(prefix="preview-bench-"))
    # Generated in a child: a child started from a big parent inherits its peak resident size.
    subprocess.run([sys.executable, __file__, "--generate-into", str(folder)], check=True)
    runs = [(name, case, False) for name, case in CASES.items()]
    # As the web process does it: in a confined child (hotline.sandbox), one per preview.
    runs += [(f"{name}, in the child", case, True) for name, case in CASES.items()]
    for name, (fmt, width, height, _mode), child in runs:
        path = folder / f"{width}x{height}.{fmt.lower()}"
        code = WORKER.format(src=str(ROOT / "src"), path=str(path), repeat=args.repeat, child=child)
        result = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True
        )
        got = json.loads(result.stdout)
        print(
            f"{name:52} {got['ms']:7.1f} ms  peak +{got['grew_mib']:6.1f} MiB  "
            f"(input {got['input_kib']:.0f} KiB, preview {got['preview_bytes']} bytes)"
        )
    shutil.rmtree(folder)


if __name__ == "__main__":
    main()
