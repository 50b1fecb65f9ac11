"""Reads of site-wide directory data, and of the disk space the app writes to."""

from __future__ import annotations

import importlib
import logging
import os
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal

from django.conf import settings
from django.db import DatabaseError, connection

from hotline.core.models import EmergencyContact

logger = logging.getLogger(__name__)

# The emergency numbers as this process last read them, shown when the database does not
# answer (hotline.core.views.service_unavailable). Replaced whole, never mutated: a reference
# assignment is atomic, so threads need no lock.
_last_known_contacts: list[EmergencyContact] | None = None


def emergency_contacts() -> list[EmergencyContact]:
    """Return the active emergency contacts in display order (and remember them)."""
    global _last_known_contacts
    contacts = list(EmergencyContact.objects.filter(active=True))
    _last_known_contacts = contacts
    return contacts


def emergency_contacts_snapshot() -> None:
    """Read the emergency contacts once at process start, so an outage later can show them.

    A database that does not answer yet leaves the defaults in place (logged, not raised: the
    web server must start all the same).
    """
    try:
        emergency_contacts()
    except DatabaseError as exc:
        logger.warning("emergency numbers not read at start-up (%s)", type(exc).__name__)
    finally:
        connection.close()  # the start-up thread serves no request: keep no connection open


def emergency_contacts_last_known() -> list[EmergencyContact]:
    """Return the contacts this process last read, else the installed defaults (no query)."""
    if _last_known_contacts is not None:
        return _last_known_contacts
    # The numbers a fresh install starts with (core's data migration): better than none.
    seed = importlib.import_module("hotline.core.migrations.0002_default_contacts")
    return [
        EmergencyContact(
            name_en=en,
            name_km=km,
            phone=phone,
            description_en=description_en,
            description_km=description_km,
            position=position,
        )
        for position, (en, km, phone, description_en, description_km) in enumerate(seed.DEFAULTS)
    ]


DiskState = Literal["ok", "low", "full"]
_SEVERITY: dict[DiskState, int] = {"ok": 0, "low": 1, "full": 2}


@dataclass(frozen=True)
class FolderSpace:
    """Free space where the app writes one kind of data."""

    # Of "data" (hash index, keys, default database), "uploads" (encrypted evidence),
    # "database" (an SQLite file elsewhere): those on this file system.
    names: tuple[str, ...]
    path: Path  # the first of them
    free_bytes: int
    state: DiskState


def _folders() -> dict[str, Path]:
    folders = {"data": Path(settings.DATA_DIR), "uploads": Path(settings.UPLOAD_DIR)}
    database = settings.DATABASES["default"]
    name = Path(str(database["NAME"]))
    if database["ENGINE"].endswith("sqlite3") and name.is_absolute():
        # The SQLite file may live outside the data folder (HOTLINE_DATABASE_URL).
        folders["database"] = name.parent
    return folders


def _existing(path: Path) -> Path:
    # The upload folder is created on the first upload: measure the folder it will be in.
    while not path.exists() and path.parent != path:
        path = path.parent
    return path


def disk_space() -> list[FolderSpace]:
    """Return the free space of each folder the app writes to, one entry per file system.

    "full" means one more submission of the largest allowed size may not fit, "low" means
    less than HOTLINE_DISK_LOW_BYTES is left. One `statvfs` per folder: cheap enough for
    every health check and staff page.
    """
    low = int(settings.HOTLINE_DISK_LOW_BYTES)
    full = int(settings.HOTLINE_MAX_REQUEST_BYTES)
    by_device: dict[int, FolderSpace] = {}
    for name, path in _folders().items():
        existing = _existing(path)
        device = existing.stat().st_dev
        if device in by_device:  # same file system as a folder already measured
            known = by_device[device]
            by_device[device] = replace(known, names=(*known.names, name))
            continue
        stats = os.statvfs(existing)
        free = stats.f_bavail * stats.f_frsize
        state: DiskState = "full" if free < full else "low" if free < low else "ok"
        by_device[device] = FolderSpace(names=(name,), path=path, free_bytes=free, state=state)
    return list(by_device.values())


def disk_state(spaces: list[FolderSpace]) -> DiskState:
    """Return the worst state among `spaces`."""
    return max((space.state for space in spaces), key=_SEVERITY.__getitem__, default="ok")
