"""Key check values: refuse a key file that does not belong to this database.

On the first migrate each key of the key file (data keys and digest secrets) gets a check
value in the database: HMAC-SHA256 of a fixed label under the key, which reveals nothing about
the key. At start (`hotline run`, `hotline worker`, every command that reads data) one query
compares them with the key file. Another install's key file would otherwise be accepted and
every stored report would then fail to decrypt.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

from django.conf import settings
from django.db import DatabaseError, transaction

from hotline.config import ConfigError, Keys, key_file_path
from hotline.keys.models import KeyCheck

_LABEL = b"openhotline/key-check/v1"


def check_value(key: bytes) -> str:
    """Return the check value of one key (hex)."""
    return hmac.new(key, _LABEL, hashlib.sha256).hexdigest()


def key_checks_expected(keys: Keys) -> dict[str, str]:
    """Return the check value of every key in `keys`, by name."""
    expected = {f"vault:{kid}": check_value(key) for kid, key in keys.vault_keys.items()}
    for version in keys.pepper_versions():
        expected[f"digest:{version}"] = check_value(keys.pepper(version))
    return expected


def key_checks_verify(*, record_new: bool = True) -> None:
    """Raise ConfigError unless every check value stored in the database matches the key file.

    Keys of the file the database does not know yet are recorded (the first start, or a
    `hotline keys rotate` that stopped between writing the file and the database). A key the
    database knows but the file lacks, or holds with another value, is a foreign key file.
    """
    expected = key_checks_expected(settings.KEYS)
    stored = dict(KeyCheck.objects.values_list("name", "check_value"))
    path = key_file_path()
    for name, value in stored.items():
        if name not in expected:
            raise ConfigError(
                f"the key file {path} does not belong to this database: it lacks the key "
                f"{name} that encrypted stored data. Restore the right key file from backup."
            )
        if not hmac.compare_digest(value, expected[name]):
            raise ConfigError(
                f"the key file {path} does not belong to this database: its key {name} differs "
                "from the one that encrypted stored data. Restore the right key file from backup."
            )
    missing = {name: value for name, value in expected.items() if name not in stored}
    if missing and record_new:
        with transaction.atomic():
            for name, value in missing.items():
                KeyCheck.objects.get_or_create(name=name, defaults={"check_value": value})


def key_checks_at_start() -> None:
    """Compare the key file with the database at process start; skip a database not set up.

    One query. A database without the table yet (before the first migrate) has nothing to
    compare: migrate records the values when it creates it.
    """
    try:
        KeyCheck.objects.exists()
    except DatabaseError:
        return
    key_checks_verify()


def key_check_forget(name: str) -> None:
    """Remove a retired key's check value."""
    KeyCheck.objects.filter(name=name).delete()


def key_checks_after_migrate(**kwargs: Any) -> None:
    """Record (or check) the key file's check values once the tables exist."""
    key_checks_verify()
