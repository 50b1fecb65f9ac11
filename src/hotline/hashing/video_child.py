"""Child process that runs vpdq on one file: `python -m hotline.hashing.video_child PATH ...`.

Arguments: path, seconds per hash, CPU-seconds limit, address-space limit in bytes. Prints a JSON
list of [pdq_hex, quality, frame_number, timestamp] on success. Imports nothing of OpenHotline's
so that it starts fast and FFmpeg runs alone under the limits set here.
"""

from __future__ import annotations

import json
import resource
import sys
from typing import Final

EXIT_FAILED: Final = 2
EXIT_UNAVAILABLE: Final = 3
_ARGUMENTS: Final = 5


def main(argv: list[str]) -> int:
    """Hash the file named in argv and print the frames; return the exit status."""
    if len(argv) != _ARGUMENTS:
        sys.stderr.write("usage: video_child PATH SECONDS_PER_HASH CPU_SECONDS MEMORY_BYTES\n")
        return EXIT_FAILED
    path, seconds_per_hash, cpu_seconds, memory_bytes = argv[1:]
    cpu = int(cpu_seconds)
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu))
    memory = int(memory_bytes)
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    try:
        import vpdq  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        return EXIT_UNAVAILABLE
    try:
        # One thread: several workers may hash at once, and more threads barely help (decoding
        # dominates and FFmpeg's decoder is single-threaded here).
        features = vpdq.computeHash(path, seconds_per_hash=float(seconds_per_hash), thread_count=1)
    except Exception as exc:  # noqa: BLE001
        # vpdq raises a bare Exception("Fail to create VPDQ hash") for undecodable input.
        sys.stderr.write(f"vpdq failed: {type(exc).__name__}\n")
        return EXIT_FAILED
    rows = [[f.hex, int(f.quality), int(f.frame_number), float(f.timestamp)] for f in features]
    sys.stdout.write(json.dumps(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
