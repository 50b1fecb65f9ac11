"""Run a program under CPU, memory and file-size limits: `limited CPU AS FSIZE -- ARGV`.

Sets the limits on itself, then replaces itself with ARGV (execv), so the program parsing
untrusted input starts already limited. A limit set with subprocess's `preexec_fn` would do the
same, but `preexec_fn` is unsafe in a process with threads (our web and worker processes).
Imports nothing of OpenHotline's so that it starts fast.
"""

from __future__ import annotations

import os
import resource
import sys
from typing import Final

EXIT_USAGE: Final = 2
_FIXED_ARGUMENTS: Final = 5  # module name, CPU, AS, FSIZE, "--"


def limit(*, cpu_seconds: int, memory_bytes: int, file_bytes: int) -> None:
    """Limit this process's CPU time, address space and size of files it writes."""
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds))
    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    resource.setrlimit(resource.RLIMIT_FSIZE, (file_bytes, file_bytes))
    # No core dumps: one would hold the evidence in plain text on disk.
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def main(argv: list[str]) -> int:
    """Apply the limits in argv and exec the program after `--`; return only on bad usage."""
    if len(argv) <= _FIXED_ARGUMENTS or argv[4] != "--":
        sys.stderr.write("usage: limited CPU_SECONDS MEMORY_BYTES FILE_BYTES -- PROGRAM ARGS...\n")
        return EXIT_USAGE
    limit(cpu_seconds=int(argv[1]), memory_bytes=int(argv[2]), file_bytes=int(argv[3]))
    program = argv[_FIXED_ARGUMENTS:]
    # The parent gives the absolute path of a program it found (shutil.which); no shell.
    os.execv(program[0], program)  # noqa: S606


if __name__ == "__main__":
    sys.exit(main(sys.argv))
