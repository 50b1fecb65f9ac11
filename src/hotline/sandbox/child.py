"""Entry of every confined child: `python -I -m hotline.sandbox.child JOB CPU AS FSIZE -- ARGS`.

Confines itself (`confine.limit`, `confine.confine`) before importing the job or reading a byte
of input, then runs the job's `main(args)`, which reads stdin, writes stdout and returns the exit
status. Started only by `hotline.sandbox.sandbox_run`.
"""

from __future__ import annotations

import importlib
import os
import sys
from typing import Final

from hotline.sandbox.confine import MISSING_PREFIX, confine, limit

EXIT_USAGE: Final = 64
_FIXED_ARGUMENTS: Final = 5  # module, job, CPU, AS, FSIZE, then "--"
_JOB_MODULES: Final = {
    "image": "hotline.intake.scrub.image_child",
    "pdf": "hotline.intake.scrub.pdf_child",
    "ffmpeg": "hotline.intake.scrub.ffmpeg_child",
    "vpdq": "hotline.hashing.video_child",
    "probe": "hotline.sandbox.probe",
    "preview": "hotline.viewing.preview_child",
}


def _readable_code() -> tuple[str, ...]:
    """Folders Python imports from: its installation, the virtualenv, OpenHotline's source."""
    paths = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix}
    paths.update(p for p in sys.path if p and os.path.isdir(p))
    return tuple(sorted(paths))


def main(argv: list[str]) -> int:
    """Confine this process, then run the job named in argv; return its exit status."""
    if len(argv) <= _FIXED_ARGUMENTS or argv[_FIXED_ARGUMENTS] != "--":
        sys.stderr.write("usage: child JOB CPU_SECONDS MEMORY_BYTES FILE_BYTES -- ARGS...\n")
        return EXIT_USAGE
    job = _JOB_MODULES.get(argv[1])
    if job is None:
        sys.stderr.write("unknown job\n")
        return EXIT_USAGE
    limit(cpu_seconds=int(argv[2]), memory_bytes=int(argv[3]), file_bytes=int(argv[4]))
    steps = confine(read_only=_readable_code())
    if steps.missing:
        # Before any input is read: the parent logs these names (and only names it knows).
        sys.stderr.write(f"{MISSING_PREFIX}{','.join(steps.missing)}\n")
        sys.stderr.flush()
    module = importlib.import_module(job)
    status: int = module.main(argv[_FIXED_ARGUMENTS + 1 :])
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv))
