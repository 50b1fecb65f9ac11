"""Child job `vpdq` (run by `hotline.sandbox.child`): vPDQ frame hashes of one video.

Arguments: seconds per hash. Reads the video on stdin into an anonymous memory file (memfd)
that vpdq (FFmpeg's libraries) opens as /proc/self/fd/N: the decrypted video never touches the
disk and vanishes with this process. Prints a JSON list of [pdq_hex, quality, frame_number,
timestamp] on success.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Final

EXIT_FAILED: Final = 2
EXIT_UNAVAILABLE: Final = 3
_ARGUMENTS: Final = 1


def main(args: list[str]) -> int:
    """Hash the video on stdin and print the frames; return the exit status."""
    if len(args) != _ARGUMENTS:
        return EXIT_FAILED
    try:
        import vpdq  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        return EXIT_UNAVAILABLE
    memory_file = os.memfd_create("hotline-video", os.MFD_CLOEXEC)
    view = memoryview(sys.stdin.buffer.read())
    while view:
        view = view[os.write(memory_file, view) :]
    try:
        # One thread: several workers may hash at once, and more threads barely help (decoding
        # dominates and FFmpeg's decoder is single-threaded here).
        features = vpdq.computeHash(
            f"/proc/self/fd/{memory_file}", seconds_per_hash=float(args[0]), thread_count=1
        )
    except Exception as exc:  # noqa: BLE001
        # vpdq raises a bare Exception("Fail to create VPDQ hash") for undecodable input.
        sys.stderr.write(f"vpdq failed: {type(exc).__name__}\n")
        return EXIT_FAILED
    finally:
        os.close(memory_file)
    rows = [[f.hex, int(f.quality), int(f.frame_number), float(f.timestamp)] for f in features]
    sys.stdout.write(json.dumps(rows))
    return 0
