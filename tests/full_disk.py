"""A real, small file system to fill up: a tmpfs mounted for one test (Linux, as root).

Disk-full behaviour cannot be faked honestly: what fails (open, write, fsync, rename) and
what is left behind depends on the kernel. So the tests mount a tiny tmpfs, fill it, and
point the upload folder or the SQLite data folder at it.
"""

from __future__ import annotations

import contextlib
import errno
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest


@contextlib.contextmanager
def small_filesystem(path: Path, *, size: str) -> Iterator[Path]:
    """Mount a tmpfs of `size` (for example "4m") on `path` for the duration; unmount after."""
    path.mkdir(parents=True, exist_ok=True)
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size},mode=0700", "tmpfs", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    if mounted.returncode != 0:
        pytest.skip(
            "a full file system needs a small tmpfs, and mounting one was refused "
            f"(run the tests as root on Linux): {mounted.stderr.strip()}"
        )
    try:
        yield path
    finally:
        # Lazy: a server process of the test may still hold a file open there.
        subprocess.run(["umount", "-l", str(path)], check=True)


def fill(path: Path, *, leave: int = 0) -> Path:
    """Write a filler file into `path` until its file system is full; free `leave` bytes after.

    Returns the filler (delete it to free the space again).
    """
    filler = path / "filler.bin"
    chunk = b"\0" * 65536
    with filler.open("wb", buffering=0) as handle:
        try:
            while True:
                handle.write(chunk)
        except OSError as exc:
            if exc.errno != errno.ENOSPC:
                raise
    size = filler.stat().st_size
    if leave:
        os.truncate(filler, max(0, size - leave))
    return filler


def free_bytes(path: Path) -> int:
    """Return the bytes an unprivileged writer may still use on `path`'s file system."""
    stats = os.statvfs(path)
    return stats.f_bavail * stats.f_frsize
