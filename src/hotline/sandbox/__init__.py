"""Run untrusted-input work (images, PDFs, FFmpeg, video hashing) in a confined child process.

One way to start every child, so that none is forgotten: `sandbox_run(job=..., data=...)` starts
`python -I -m hotline.sandbox.child JOB ...` fresh (fork and exec, never a fork of the web
process that would share its memory and keys) with

- an environment of its own (`CHILD_ENVIRONMENT`: PATH, LANG, thread counts), none of the
  parent's variables: no database URL, SMTP password, key file location;
- no descriptor of the parent's but stdin, stdout and stderr (`close_fds`, nothing passed);
  the input arrives on a pipe; stdout and stderr are anonymous memory files (memfd, nothing on
  disk) whose size the child's RLIMIT_FSIZE bounds, so even a child taken over by a decoder
  bug cannot make the parent read more than `Limits.output_bytes`;
- `/` as working directory and its own session, so that a timeout kills FFmpeg with it;
- limits on CPU time, address space and file size, a wall-clock timeout;
- inside, before any input is read (`hotline.sandbox.confine`): no new privileges, a network
  namespace of its own, Landlock (read-only system libraries and Python; no key file, data
  directory, /etc or /proc; no TCP) and a seccomp filter refusing socket().

Pure library code: no Django, no database. Callers map the results to their own errors.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import subprocess
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Final

from hotline.sandbox.confine import MISSING_PREFIX, STEP_NAMES

logger = logging.getLogger(__name__)

# All a child gets. The locale is plain C so that no program's output depends on the host's.
CHILD_ENVIRONMENT: Final = {
    "PATH": "/usr/bin:/bin",
    "LANG": "C",
    "LC_ALL": "C",
    # numpy's BLAS would start a thread per core, each reserving address space under RLIMIT_AS.
    "OPENBLAS_NUM_THREADS": "1",
    "OMP_NUM_THREADS": "1",
}
# The jobs `hotline.sandbox.child` knows (module run in the child for each name).
JOBS: Final = frozenset({"image", "pdf", "ffmpeg", "vpdq", "probe", "preview"})
_KILL_WAIT_SECONDS: Final = 5
_STDERR_LINE_BYTES: Final = 200
_READ_CHUNK: Final = 1 << 20
_warned: set[str] = set()


class ChildTimeoutError(Exception):
    """The child ran past its wall-clock limit and was killed with everything it started."""


@dataclass(frozen=True, slots=True)
class Limits:
    """What one child may use: CPU seconds, address space, bytes written to any one file
    (memory files included) or to its output, wall time."""

    cpu_seconds: int
    memory_bytes: int
    file_bytes: int
    wall_seconds: float
    output_bytes: int = 1024 * 1024


@dataclass(frozen=True, slots=True)
class ChildResult:
    """How the child ended (negative: killed by that signal) and what it wrote on stdout."""

    returncode: int
    stdout: bytes

    @property
    def killed(self) -> bool:
        """Killed by a signal: over the CPU, memory or file limit, or crashed on the input."""
        return self.returncode < 0


def sandbox_run(*, job: str, data: bytes, limits: Limits, args: Sequence[str] = ()) -> ChildResult:
    """Run `job` on `data` in a fresh confined child; raise ChildTimeoutError past the limit."""
    if job not in JOBS:
        raise ValueError(f"unknown child job {job!r}")
    command = [
        sys.executable,
        # Isolated: ignores PYTHON* variables, the user's site-packages and the current folder.
        "-I",
        "-m",
        "hotline.sandbox.child",
        job,
        str(limits.cpu_seconds),
        str(limits.memory_bytes),
        # stdout is a memory file: the same limit bounds it.
        str(max(limits.file_bytes, limits.output_bytes)),
        "--",
        *args,
    ]
    with _memory_file("hotline-child-out") as out, _memory_file("hotline-child-err") as err:
        # Fixed argv (our interpreter, our module, a known job, numbers, the caller's options).
        process = subprocess.Popen(  # noqa: S603
            command,
            stdin=subprocess.PIPE,
            stdout=out,
            stderr=err,
            env=CHILD_ENVIRONMENT,
            cwd="/",
            close_fds=True,
            start_new_session=True,
        )
        try:
            process.communicate(input=data, timeout=limits.wall_seconds)
        except subprocess.TimeoutExpired as exc:
            _kill_group(process)
            raise ChildTimeoutError(job) from exc
        except BaseException:
            _kill_group(process)
            raise
        stdout = _read_all(out)
        _warn_missing_steps(_read_all(err, limit=_STDERR_LINE_BYTES))
    return ChildResult(returncode=process.returncode, stdout=stdout)


@contextlib.contextmanager
def _memory_file(name: str) -> Iterator[int]:
    fd = os.memfd_create(name, os.MFD_CLOEXEC)  # Popen makes the child's copy (fd 1, 2) only
    try:
        yield fd
    finally:
        os.close(fd)


def _read_all(fd: int, *, limit: int = -1) -> bytes:
    size = os.fstat(fd).st_size
    os.lseek(fd, 0, os.SEEK_SET)
    wanted = size if limit < 0 else min(size, limit)
    chunks = []
    while wanted > 0 and (chunk := os.read(fd, min(wanted, _READ_CHUNK))):
        chunks.append(chunk)
        wanted -= len(chunk)
    return b"".join(chunks)


def _warn_missing_steps(stderr: bytes) -> None:
    """Log once per process each confinement step the kernel refused (the child says which).

    Only the first line is read, and only if it has the child's prefix: the rest of stderr can
    quote the file and is dropped. Only known step names are logged.
    """
    first = stderr.split(b"\n", 1)[0].decode("ascii", "replace")
    if not first.startswith(MISSING_PREFIX):
        return
    for name in first.removeprefix(MISSING_PREFIX).split(","):
        if name in STEP_NAMES and name not in _warned:
            _warned.add(name)
            logger.warning(
                "evidence children run without %s (refused by this kernel or system); "
                "see docs/decisions/evidence-metadata.md",
                name,
            )


def _kill_group(process: subprocess.Popen[bytes]) -> None:
    """Kill the child and what it started (FFmpeg), then reap the child."""
    # The child leads its own process group (start_new_session) and is not reaped yet, so the
    # group's id is still the child's: only processes we started are in it.
    with contextlib.suppress(ProcessLookupError):  # the whole group has already ended
        os.killpg(process.pid, signal.SIGKILL)
    process.kill()
    process.communicate(timeout=_KILL_WAIT_SECONDS)
