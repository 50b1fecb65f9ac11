"""Test job: report what a confined child can see and do (`tests/test_sandbox.py`).

Reads nothing it is not asked to try, sends nothing anywhere: it only answers, on stdout, which
environment variables it has, which descriptors above 2 are open, whether it can open the path
given for reading, create a file in the folder given, and connect to the TCP port given on
127.0.0.1, and which confinement steps took effect. With the arguments `flood N` it writes N
bytes on stdout instead (as a child taken over by a decoder bug could). Nothing outside the
tests runs it.
"""

from __future__ import annotations

import json
import os
import socket
import sys
from typing import Final

from hotline.sandbox.confine import confinement_applied

_ARGUMENTS: Final = 3
_FLOOD_ARGUMENTS: Final = 2
_MAX_FD: Final = 1024


def _can_open(path: str) -> bool:
    try:
        with open(path, "rb") as handle:
            handle.read(1)
    except OSError:
        return False
    return True


def _can_create_in(folder: str) -> bool:
    path = os.path.join(folder, "probe-was-here")
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except OSError:
        return False
    os.close(fd)
    os.unlink(path)
    return True


def _can_connect(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=2):
            return True
    except OSError:
        return False


def _open_descriptors() -> list[int]:
    found = []
    for fd in range(3, _MAX_FD):
        try:
            os.fstat(fd)
        except OSError:
            continue
        found.append(fd)
    return found


def main(args: list[str]) -> int:
    """Answer for the path, folder and port in args (see the module docstring)."""
    if len(args) == _FLOOD_ARGUMENTS and args[0] == "flood":
        block = b"x" * _MAX_FD * 1024
        remaining = int(args[1])
        while remaining > 0:
            remaining -= sys.stdout.buffer.write(block[:remaining])
        sys.stdout.buffer.flush()
        return 0
    if len(args) != _ARGUMENTS:
        return 2
    path, folder, port = args
    steps = confinement_applied()
    if steps is None:
        return 2
    report = {
        "environment": dict(os.environ),
        "descriptors": _open_descriptors(),
        "can_open": _can_open(path),
        "can_create": _can_create_in(folder),
        "can_connect": _can_connect(int(port)),
        "confinement": {
            "no_new_privs": steps.no_new_privs,
            "network_namespace": steps.network_namespace,
            "landlock_abi": steps.landlock_abi,
            "seccomp": steps.seccomp,
        },
    }
    sys.stdout.write(json.dumps(report))
    return 0
