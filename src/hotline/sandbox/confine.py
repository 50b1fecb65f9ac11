"""Confine the current process before it parses untrusted input (Linux; each step optional).

Called first thing in `hotline.sandbox.child`, which is single-threaded at that point, so
everything it sets is inherited by the programs it starts (FFmpeg). Imports nothing of
OpenHotline's. Each step reports whether it took effect: a kernel or system without a feature
degrades to the steps that remain (see docs/decisions/evidence-metadata.md).
"""

from __future__ import annotations

import ctypes
import errno
import os
import platform
import resource
import struct
import sys
from dataclasses import dataclass
from typing import Final

_PR_SET_NO_NEW_PRIVS: Final = 38
_PR_SET_SECCOMP: Final = 22
_SECCOMP_MODE_FILTER: Final = 2
_CLONE_NEWUSER: Final = 0x10000000
_CLONE_NEWNET: Final = 0x40000000

# Landlock (Linux 5.13+): the same syscall numbers on every architecture.
_SYS_LANDLOCK_CREATE_RULESET: Final = 444
_SYS_LANDLOCK_ADD_RULE: Final = 445
_SYS_LANDLOCK_RESTRICT_SELF: Final = 446
_LANDLOCK_CREATE_RULESET_VERSION: Final = 1
_LANDLOCK_RULE_PATH_BENEATH: Final = 1
_FS_EXECUTE: Final = 1 << 0
_FS_WRITE_FILE: Final = 1 << 1
_FS_READ_FILE: Final = 1 << 2
_FS_READ_DIR: Final = 1 << 3
# Every filesystem right each ABI version knows: all handled, so all denied but those granted.
_FS_ALL_BY_ABI: Final = {1: (1 << 13) - 1, 2: (1 << 14) - 1, 3: (1 << 15) - 1, 5: (1 << 16) - 1}
_FILE_ONLY_RIGHTS: Final = _FS_EXECUTE | _FS_WRITE_FILE | _FS_READ_FILE
_NET_BIND_TCP: Final = 1 << 0
_NET_CONNECT_TCP: Final = 1 << 1
_SCOPE_ABSTRACT_UNIX_SOCKET: Final = 1 << 0
_SCOPE_SIGNAL: Final = 1 << 1
_LANDLOCK_NET_ABI: Final = 4
_LANDLOCK_SCOPE_ABI: Final = 6

# Read-only, what Python, its libraries and FFmpeg need. Never /etc as a whole, /home, /root,
# /srv, /var or /tmp: the data directory and the key file live there. /proc is not granted
# either (another process's environment or memory stays out of reach).
_SYSTEM_DIRECTORIES: Final = ("/usr", "/lib", "/lib64", "/lib32", "/bin", "/sbin")
_SYSTEM_FILES: Final = ("/etc/ld.so.cache", "/etc/localtime", "/dev/urandom")
# Writable: only the bottomless one.
_DISCARD: Final = "/dev/null"

# seccomp: the architecture tag the kernel reports, and socket()'s number there.
_SECCOMP_ARCHES: Final = {"x86_64": (0xC000003E, 41), "aarch64": (0xC00000B7, 198)}
_SECCOMP_RET_ALLOW: Final = 0x7FFF0000
_SECCOMP_RET_ERRNO: Final = 0x00050000
_BPF_LD_W_ABS: Final = 0x20
_BPF_JEQ_K: Final = 0x15
_BPF_JSET_K: Final = 0x45
_BPF_RET_K: Final = 0x06
_X32_SYSCALL_BIT: Final = 0x40000000


# How a child tells its parent which steps the kernel refused (first line of its stderr).
MISSING_PREFIX: Final = "hotline-sandbox-missing: "
STEP_NAMES: Final = frozenset({"no_new_privs", "network_namespace", "landlock", "seccomp"})


@dataclass(frozen=True, slots=True)
class Confinement:
    """Which of the steps took effect in this process."""

    no_new_privs: bool
    network_namespace: bool
    landlock_abi: int  # 0 when Landlock is not available
    seccomp: bool

    @property
    def missing(self) -> tuple[str, ...]:
        """Names (from STEP_NAMES) of the steps that did not take effect."""
        steps = {
            "no_new_privs": self.no_new_privs,
            "network_namespace": self.network_namespace,
            "landlock": self.landlock_abi > 0,
            "seccomp": self.seccomp,
        }
        return tuple(name for name, done in steps.items() if not done)


def limit(*, cpu_seconds: int, memory_bytes: int, file_bytes: int) -> None:
    """Limit this process's CPU time, address space and size of files it writes."""
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds))
    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    # Also bounds what is written to a memory file (memfd).
    resource.setrlimit(resource.RLIMIT_FSIZE, (file_bytes, file_bytes))
    # No core dumps: one would hold the evidence in plain text on disk.
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


_applied: list[Confinement] = []


def confinement_applied() -> Confinement | None:
    """Return what `confine` achieved in this process, or None if it has not run."""
    return _applied[-1] if _applied else None


def confine(*, read_only: tuple[str, ...] = ()) -> Confinement:
    """Cut this process off from the network, from files outside `read_only` and the system's
    libraries, and from gaining privileges; return which steps the kernel allowed."""
    libc = ctypes.CDLL(None, use_errno=True)
    no_new_privs = libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0
    network = _unshare_network()
    abi = _landlock(libc, read_only=read_only) if no_new_privs else 0
    seccomp = _deny_sockets(libc) if no_new_privs else False
    steps = Confinement(
        no_new_privs=no_new_privs, network_namespace=network, landlock_abi=abi, seccomp=seccomp
    )
    _applied.append(steps)
    return steps


def _unshare_network() -> bool:
    """Move into a new, empty network namespace (only a loopback that is down)."""
    for flags in (_CLONE_NEWNET, _CLONE_NEWUSER | _CLONE_NEWNET):
        try:
            os.unshare(flags)
        except OSError as exc:
            # Not root (then a user namespace may be allowed), or namespaces are disabled.
            if exc.errno not in {errno.EPERM, errno.EINVAL, errno.ENOSPC, errno.EUSERS}:
                raise
            continue
        return True
    return False


def _landlock(libc: ctypes.CDLL, *, read_only: tuple[str, ...]) -> int:
    """Allow reading only the system's programs and libraries and `read_only`; no writing."""
    abi = int(libc.syscall(_SYS_LANDLOCK_CREATE_RULESET, None, 0, _LANDLOCK_CREATE_RULESET_VERSION))
    if abi < 1:
        return 0
    handled_fs = _FS_ALL_BY_ABI[max(v for v in _FS_ALL_BY_ABI if v <= abi)]
    handled_net = _NET_BIND_TCP | _NET_CONNECT_TCP if abi >= _LANDLOCK_NET_ABI else 0
    scoped = _SCOPE_ABSTRACT_UNIX_SOCKET | _SCOPE_SIGNAL if abi >= _LANDLOCK_SCOPE_ABI else 0
    # struct landlock_ruleset_attr: handled_access_fs, handled_access_net (ABI 4), scoped (6).
    if abi >= _LANDLOCK_SCOPE_ABI:
        attr = struct.pack("=QQQ", handled_fs, handled_net, scoped)
    elif abi >= _LANDLOCK_NET_ABI:
        attr = struct.pack("=QQ", handled_fs, handled_net)
    else:
        attr = struct.pack("=Q", handled_fs)
    buffer = ctypes.create_string_buffer(attr, len(attr))
    ruleset = int(libc.syscall(_SYS_LANDLOCK_CREATE_RULESET, buffer, len(attr), 0))
    if ruleset < 0:
        return 0
    try:
        readable = _FS_EXECUTE | _FS_READ_FILE | _FS_READ_DIR
        for path in (*_SYSTEM_DIRECTORIES, *_SYSTEM_FILES, *read_only):
            _allow(libc, ruleset, path, readable)
        _allow(libc, ruleset, _DISCARD, _FS_READ_FILE | _FS_WRITE_FILE)
        # No TCP port is allowed at all (handled_net with no rule): no connect, no bind.
        if libc.syscall(_SYS_LANDLOCK_RESTRICT_SELF, ruleset, 0) != 0:
            return 0
    finally:
        os.close(ruleset)
    return abi


def _allow(libc: ctypes.CDLL, ruleset: int, path: str, rights: int) -> None:
    try:
        fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
    except OSError:
        return  # not on this system (/lib32, /lib64...)
    try:
        if not os.path.isdir(path):
            rights &= _FILE_ONLY_RIGHTS
        # struct landlock_path_beneath_attr (packed): allowed_access, parent_fd.
        attr = ctypes.create_string_buffer(struct.pack("=Qi", rights, fd), 12)
        if libc.syscall(_SYS_LANDLOCK_ADD_RULE, ruleset, _LANDLOCK_RULE_PATH_BENEATH, attr, 0):
            err = ctypes.get_errno()
            sys.stderr.write(f"landlock rule refused: {os.strerror(err)}\n")
    finally:
        os.close(fd)


def _deny_sockets(libc: ctypes.CDLL) -> bool:
    """Make socket() fail with EPERM (seccomp): no network, no Unix socket, whatever remains."""
    arch = _SECCOMP_ARCHES.get(platform.machine())
    if arch is None:
        return False
    audit_arch, socket_nr = arch
    deny = _SECCOMP_RET_ERRNO | errno.EPERM
    program = [
        (_BPF_LD_W_ABS, 0, 0, 4),  # seccomp_data.arch
        (_BPF_JEQ_K, 1, 0, audit_arch),
        (_BPF_RET_K, 0, 0, deny),  # another ABI (i386 on x86-64: socketcall): nothing at all
        (_BPF_LD_W_ABS, 0, 0, 0),  # seccomp_data.nr
        (_BPF_JSET_K, 1, 0, _X32_SYSCALL_BIT),  # x32 calls on x86-64: to the deny below
        (_BPF_JEQ_K, 0, 1, socket_nr),
        (_BPF_RET_K, 0, 0, deny),
        (_BPF_RET_K, 0, 0, _SECCOMP_RET_ALLOW),
    ]
    filters = b"".join(struct.pack("=HBBI", *instruction) for instruction in program)
    filter_buffer = ctypes.create_string_buffer(filters, len(filters))
    # struct sock_fprog: unsigned short len; (padding) struct sock_filter *filter.
    fprog = struct.pack("@HP", len(program), ctypes.addressof(filter_buffer))
    fprog_buffer = ctypes.create_string_buffer(fprog, len(fprog))
    return bool(libc.prctl(_PR_SET_SECCOMP, _SECCOMP_MODE_FILTER, fprog_buffer, 0, 0) == 0)
