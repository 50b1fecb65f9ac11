"""Collect static files when the sources changed since the last collection (or never ran)."""

from __future__ import annotations

import fcntl
import hashlib
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.management import call_command
from django.core.management.base import BaseCommand

STAMP = ".sources"
MANIFEST = "staticfiles.json"


def sources_fingerprint() -> str:
    """Return a digest of every source static file's path, size and modification time."""
    digest = hashlib.sha256()
    for finder in finders.get_finders():
        for path, storage in finder.list([]):
            stat = Path(storage.path(path)).stat()
            digest.update(f"{path}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()


class Command(BaseCommand):
    help = "Run collectstatic unless the collected files already match the sources."

    def handle(self, *args: Any, **options: Any) -> None:
        root = Path(settings.STATIC_ROOT)
        root.mkdir(mode=0o700, parents=True, exist_ok=True)
        stamp = root / STAMP
        fingerprint = sources_fingerprint()
        # Several processes may start at once on one data directory: one collects, the others
        # wait and then find the stamp current.
        with (root / ".lock").open("a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if (root / MANIFEST).exists() and stamp.exists() and stamp.read_text() == fingerprint:
                return  # hashing and compressing ~300 files costs seconds at every start
            call_command("collectstatic", interactive=False, verbosity=0)
            stamp.write_text(fingerprint)
