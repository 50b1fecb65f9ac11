"""Child job `preview` (run by `hotline.sandbox.child`): the blurred preview of one image.

No arguments. Reads the working copy on stdin; writes the preview JPEG on stdout and exits 0,
or exits 3 with the error's type name on stderr (never the image).
"""

from __future__ import annotations

import sys
from typing import Final

from hotline.viewing.preview import preview_bytes

EXIT_REFUSED: Final = 3


def main(args: list[str]) -> int:
    """Make the preview of the image on stdin; write it on stdout."""
    if args:
        return 2
    data = sys.stdin.buffer.read()
    try:
        preview = preview_bytes(data)
    except (OSError, ValueError, MemoryError) as exc:
        sys.stderr.write(f"preview_child failed: {type(exc).__name__}\n")
        return EXIT_REFUSED
    sys.stdout.buffer.write(preview)
    return 0
