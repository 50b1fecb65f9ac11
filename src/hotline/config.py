"""Read configuration from the environment and the key file.

Every setting comes from an environment variable with a safe local default. Secrets (Django's
secret key, the receipt-code pepper, the vault keys) live in a key file outside the database,
generated on first run. A database dump without the key file reveals no reporter.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

KEY_FILE_VERSION = 1
# What this install writes (database, uploads, index, key file, logs) is for its own user only.
PRIVATE_UMASK = 0o077
PRIVATE_DIR_MODE = 0o700
PRIVATE_FILE_MODE = 0o600

_keyless = False


class ConfigError(Exception):
    """An operator mistake in configuration (shown without a traceback)."""


def data_dir() -> Path:
    """Return the data directory (SQLite database, uploads, key file by default)."""
    return Path(os.environ.get("HOTLINE_DATA_DIR", Path.cwd() / "data")).resolve()


def make_private_dir(path: Path) -> None:
    """Create `path` (and missing parents) readable by this user only; keep an existing one."""
    path.mkdir(mode=PRIVATE_DIR_MODE, parents=True, exist_ok=True)


def create_private_file(path: Path) -> None:
    """Create an empty file readable by this user only, unless it exists already."""
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE_MODE))


def private_opener(path: str, flags: int) -> int:
    """Open `path` for open()'s `opener=`, creating it readable by this user only."""
    return os.open(path, flags, PRIVATE_FILE_MODE)


def run_without_data() -> None:
    """Make this process use throwaway keys and create no data directory or key file.

    For commands that read no stored data (`hotline hash`): call before Django's settings load.
    """
    global _keyless
    _keyless = True


def uses_data() -> bool:
    """Tell whether this process may create and use the data directory and key file."""
    return not _keyless


def throwaway_keys() -> Keys:
    """Return random keys kept in memory only (they can read nothing stored)."""
    return Keys(
        secret_key=secrets.token_urlsafe(50),
        receipt_pepper=secrets.token_bytes(32),
        vault_keys={"k1": secrets.token_bytes(32)},
        vault_primary="k1",
    )


def key_file_path() -> Path:
    """Return the key file path: HOTLINE_KEY_FILE, else keys.json in the data directory."""
    explicit = os.environ.get("HOTLINE_KEY_FILE")
    return Path(explicit).resolve() if explicit else data_dir() / "keys.json"


@dataclass(frozen=True)
class Keys:
    """Secrets that never go into the database."""

    secret_key: str
    receipt_pepper: bytes
    vault_keys: dict[str, bytes]  # key id -> 32-byte AES key; the newest id encrypts
    vault_primary: str
    # The digest secret's later versions (`hotline keys rotate --digests`); version 1 is
    # `receipt_pepper`. Versions are never removed: receipt codes cannot be recomputed.
    digest_peppers: dict[int, bytes] = field(default_factory=dict)
    digest_current: int = 1

    def pepper(self, version: int) -> bytes:
        """Return the digest secret of `version`; raise ConfigError if this file lacks it."""
        if version == 1:
            return self.receipt_pepper
        try:
            return self.digest_peppers[version]
        except KeyError:
            raise ConfigError(
                f"The key file has no digest secret version {version}: is it the right file?"
            ) from None

    def pepper_versions(self) -> list[int]:
        """Return every digest secret version, the current one first (lookups try them all)."""
        others = sorted({1, *self.digest_peppers} - {self.digest_current}, reverse=True)
        return [self.digest_current, *others]


def _new_key_material() -> dict[str, object]:
    kid = "k1"
    return {
        "version": KEY_FILE_VERSION,
        "secret_key": secrets.token_urlsafe(50),
        "receipt_pepper": base64.b64encode(secrets.token_bytes(32)).decode(),
        "vault_keys": {kid: base64.b64encode(secrets.token_bytes(32)).decode()},
        "vault_primary": kid,
    }


def _write_new_key_file(path: Path) -> None:
    make_private_dir(path.parent)
    # O_EXCL: two processes starting at once must not both write different keys.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    with os.fdopen(fd, "w") as handle:
        json.dump(_new_key_material(), handle, indent=2)
        handle.flush()
        os.fsync(handle.fileno())


_loaded: tuple[Keys, tuple[int, int, int] | None] | None = None


def loaded_keys() -> tuple[Keys, tuple[int, int, int] | None] | None:
    """Return the keys last loaded from the key file and the file's signature before reading."""
    return _loaded


def load_keys(*, create: bool) -> Keys:
    """Load the key file, creating it when `create` is true and it does not exist yet."""
    global _loaded
    path = key_file_path()
    if not path.exists():
        if not create:
            raise ConfigError(
                f"The key file {path} is missing. Restore it from your backup, or set "
                "HOTLINE_KEY_FILE to its location. Without it, encrypted reports cannot be read."
            )
        _write_new_key_file(path)
    # Taken before reading: a file replaced meanwhile is only read again, never missed.
    signature = key_file_signature(path)
    try:
        raw = json.loads(path.read_text())
        vault_keys = {kid: base64.b64decode(v) for kid, v in raw["vault_keys"].items()}
        keys = Keys(
            secret_key=str(raw["secret_key"]),
            receipt_pepper=base64.b64decode(raw["receipt_pepper"]),
            vault_keys=vault_keys,
            vault_primary=str(raw["vault_primary"]),
            digest_peppers={
                int(version): base64.b64decode(v)
                for version, v in raw.get("digest_peppers", {}).items()
            },
            digest_current=int(raw.get("digest_current", 1)),
        )
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ConfigError(f"The key file {path} cannot be read: {exc}") from exc
    if keys.vault_primary not in keys.vault_keys or any(
        len(k) != 32 for k in keys.vault_keys.values()
    ):
        raise ConfigError(f"The key file {path} is damaged: vault keys must be 32 bytes.")
    if keys.digest_current != 1 and keys.digest_current not in keys.digest_peppers:
        raise ConfigError(f"The key file {path} is damaged: its current digest secret is missing.")
    _loaded = (keys, signature)
    return keys


def key_file_signature(path: Path) -> tuple[int, int, int] | None:
    """Return what changes when the key file is replaced (inode, size, mtime); None if absent."""
    try:
        st = path.stat()
    except FileNotFoundError:
        return None
    return (st.st_ino, st.st_size, st.st_mtime_ns)


@contextlib.contextmanager
def key_file_locked(path: Path) -> Iterator[None]:
    """Hold an exclusive lock beside the key file: one `hotline keys` change at a time."""
    import fcntl

    lock_path = path.with_name(path.name + ".lock")
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, PRIVATE_FILE_MODE)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def key_file_read_raw(path: Path) -> dict[str, Any]:
    """Return the key file's JSON as stored (for `hotline keys`, which rewrites it)."""
    try:
        raw = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise ConfigError(f"The key file {path} cannot be read: {exc}") from exc
    if not isinstance(raw, dict) or not isinstance(raw.get("vault_keys"), dict):
        raise ConfigError(f"The key file {path} is damaged: it has no vault keys.")
    return raw


def key_file_replace(path: Path, raw: dict[str, Any]) -> None:
    """Write `raw` as the key file atomically and durably, readable by this user only.

    A new private file beside it is written and fsynced, renamed over the old one, and the
    directory fsynced: a crash leaves either the old file or the new one, never half of one.
    """
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    try:
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE_MODE)
        with os.fdopen(fd, "w") as handle:
            json.dump(raw, handle, indent=2)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def env_bool(name: str, default: bool) -> bool:
    """Read a yes/no environment variable."""
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: list[str]) -> list[str]:
    """Read a comma-separated environment variable."""
    value = os.environ.get(name)
    if value is None:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


def env_number(name: str, default: float) -> float:
    """Read a numeric environment variable; a value that is not a number is a ConfigError."""
    value = os.environ.get(name)
    if value is None or not value.strip():
        return default
    try:
        return float(value)
    except ValueError:
        raise ConfigError(f"{name} must be a number, not {value!r}.") from None
