"""Make the processes of a worker cluster die with the process that forked them (Linux).

`hotline worker` forks django-q2's sentinel, which forks the worker processes, the monitor and
the pusher. When `hotline worker` alone is killed with SIGKILL (out of memory, `kill -9` of
its pid, a supervisor that signals only the main process), those children used to run on as
orphans: still taking tasks, invisible to the supervisor that starts a new `hotline worker`.

Each child asks the kernel, right after the fork, for SIGKILL when its parent dies
(`prctl(PR_SET_PDEATHSIG)`). We chose that over a watchdog thread polling `os.getppid()`:

- the kernel delivers it the moment the parent exits, whatever the child is doing: a task in
  C code that holds the GIL, a process blocked on a queue read; a thread only polls, late;
- no extra thread: the sentinel forks new worker processes all its life, and forking a
  process that runs threads can deadlock on a lock one of them held (Python 3.12+ warns);
- nothing to start in each of django-q2's process functions: one hook at fork covers them all,
  including processes the sentinel forks later to replace dead ones.

SIGKILL rather than SIGTERM: children inherit signal handlers that catch SIGTERM (in the
sentinel, until django-q2 resets them, `hotline worker`'s own handler, which only sets a flag),
and nothing is lost by not finishing: a task held by a killed worker is delivered again when
its lease runs out, as after a power cut.

Limits: the signal comes when the *thread* that forked the child ends, not the process; every
fork here happens in a main thread. Only Python-level forks (`os.fork`, multiprocessing) run
the hook: a program a task starts with `subprocess` is not covered and must bound its own life
(the video hasher's child has a CPU-time limit and a timeout). Elsewhere than Linux nothing
changes.
"""

from __future__ import annotations

import ctypes
import logging
import os
import signal
import sys

logger = logging.getLogger(__name__)

PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>

_libc: ctypes.CDLL | None = None  # loaded once, when the hook is installed
_forking_pid = 0  # set in the parent just before each fork; the child inherits the value


def _remember_forking_pid() -> None:
    global _forking_pid
    _forking_pid = os.getpid()


def _die_with_parent() -> None:
    if _libc is None:
        return
    if _libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
        logger.warning(
            "this worker process will not stop with its parent: prctl failed (errno %d)",
            ctypes.get_errno(),
        )
        return
    if os.getppid() != _forking_pid:
        # The parent died between the fork and the prctl: no signal will come.
        os.kill(os.getpid(), signal.SIGKILL)


def children_die_with_parent() -> None:
    """Make every process forked from now on (and theirs) get SIGKILL when its parent dies.

    Call in `hotline worker` before the cluster starts; the hook is inherited by the forked
    processes, so the sentinel's children get it too. Idempotent; does nothing off Linux.
    """
    global _libc
    if _libc is not None or not sys.platform.startswith("linux"):
        return
    _libc = ctypes.CDLL(None, use_errno=True)
    os.register_at_fork(before=_remember_forking_pid, after_in_child=_die_with_parent)
