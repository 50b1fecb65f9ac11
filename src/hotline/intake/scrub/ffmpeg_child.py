"""Child job `ffmpeg` (run by `hotline.sandbox.child`): run FFmpeg on memory files.

Arguments: FFmpeg's path and arguments, in which `{input}` and `{output}` stand for the input
and output files. Reads the video on stdin into an anonymous memory file (memfd), creates an
empty one for the output, runs FFmpeg on them as /proc/self/fd/N (the MP4 demuxer and the
+faststart muxer seek, so a pipe would not do), and writes the output on stdout. Nothing touches
the disk; both memory files vanish with this process. FFmpeg inherits this process's limits
and confinement, and dies with it (PR_SET_PDEATHSIG).
"""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import sys
from typing import Final

EXIT_FAILED: Final = 2
EXIT_KILLED: Final = 3
_PR_SET_PDEATHSIG: Final = 1
_CHUNK: Final = 1 << 20


def _die_with_parent() -> None:
    # Runs in the forked child before exec; this process is single-threaded, so it is safe.
    ctypes.CDLL(None).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


def _memory_file(name: str, data: bytes = b"") -> int:
    fd = os.memfd_create(name, 0)  # inheritable by FFmpeg through pass_fds only
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]
    return fd


def main(args: list[str]) -> int:
    """Run the FFmpeg command in args on stdin's bytes; write its output on stdout."""
    if not args:
        return EXIT_FAILED
    source = _memory_file("hotline-video-in", sys.stdin.buffer.read())
    target = _memory_file("hotline-video-out")
    paths = {"{input}": f"/proc/self/fd/{source}", "{output}": f"/proc/self/fd/{target}"}
    command = [arg.replace("{input}", paths["{input}"]).replace("{output}", paths["{output}"])
               for arg in args]  # fmt: skip
    # FFmpeg's path was found by the parent (shutil.which); the arguments are the parent's.
    completed = subprocess.run(  # noqa: S603
        command,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        # FFmpeg's messages can quote the file's metadata: not passed on.
        stderr=subprocess.DEVNULL,
        pass_fds=(source, target),
        preexec_fn=_die_with_parent,
        check=False,
    )
    if completed.returncode < 0:
        return EXIT_KILLED
    if completed.returncode != 0:
        return EXIT_FAILED
    os.lseek(target, 0, os.SEEK_SET)
    out = sys.stdout.buffer
    while chunk := os.read(target, _CHUNK):
        out.write(chunk)
    return 0
