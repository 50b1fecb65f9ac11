"""Receipt codes: generate, normalise, and digest with a pepper kept outside the database."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.template.loader import render_to_string
from django.utils.text import slugify

from hotline.sitesettings.selectors import site_settings

# 30 symbols that are hard to confuse when written by hand: digits 2-9 and capital letters
# without I, L, O (look like 1 and 0) and U (looks like V).
ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_LENGTH = 17  # 17 symbols x log2(30) = 83.4 bits of entropy (>= 80 bits required)
GROUP = 4


def code_generate() -> str:
    """Return a new random receipt code, grouped for reading aloud (XXXX-XXXX-...)."""
    # One draw from the OS for the whole code (uniform over all 30**17 codes), not one per
    # symbol: each draw is a system call, and 17 of them were 6% of a submission's time.
    number = secrets.randbelow(len(ALPHABET) ** CODE_LENGTH)
    symbols = []
    for _ in range(CODE_LENGTH):
        number, index = divmod(number, len(ALPHABET))
        symbols.append(ALPHABET[index])
    return code_format("".join(symbols))


def code_format(raw: str) -> str:
    """Group a normalised code in blocks of four."""
    return "-".join(raw[i : i + GROUP] for i in range(0, len(raw), GROUP))


def code_normalise(text: str) -> str | None:
    """Return the canonical form of a typed code, or None if it cannot be one."""
    if len(text) > 80:
        return None
    cleaned = "".join(ch for ch in text.upper() if not _separator(ch))
    if len(cleaned) != CODE_LENGTH or any(ch not in ALPHABET for ch in cleaned):
        return None
    return cleaned


def _separator(ch: str) -> bool:
    """Tell whether a typed character only groups a code (dropped before it is checked).

    Besides spaces and ASCII dashes, what notes and chat apps make of a pasted code: no-break
    and other Unicode spaces, typographic dashes (en dash, Unicode hyphen, minus sign) and
    invisible format characters (zero-width space).
    """
    return ch.isspace() or ch in "_.\u2212" or unicodedata.category(ch) in {"Pd", "Cf"}


def code_digest(code: str) -> bytes:
    """Return the keyed digest stored for a code (normalised or formatted), current version.

    Store `code_digest_version()` with it: lookups try every version of the pepper.
    """
    normalised = code_normalise(code)
    if normalised is None:
        raise ValueError("not a receipt code")
    keys = settings.KEYS
    pepper = keys.pepper(keys.digest_current)
    return hmac.new(pepper, normalised.encode(), hashlib.sha256).digest()


def code_digest_version() -> int:
    """Return the pepper version `code_digest` uses now."""
    return int(settings.KEYS.digest_current)


def digests_for_lookup(text: str) -> list[bytes]:
    """Return the digests to look up for any input, real code or not: one per pepper version.

    Codes are not stored, so a digest made before `hotline keys rotate --digests` cannot be
    recomputed: it keeps its version and is found under it. Malformed input is digested too
    (under a different prefix), so a lookup costs the same whatever was typed: a wrong guess
    and a malformed code are indistinguishable in timing.
    """
    normalised = code_normalise(text)
    material = (
        normalised.encode()
        if normalised
        else b"\x00invalid:" + text[:80].encode("utf-8", "replace")
    )
    keys = settings.KEYS
    return [
        hmac.new(keys.pepper(version), material, hashlib.sha256).digest()
        for version in keys.pepper_versions()
    ]


@dataclass(frozen=True)
class ReceiptFile:
    """The "save as a file" download of a receipt page."""

    filename: str
    text: str


def receipt_file_build(*, code: str, received: datetime, status_url: str) -> ReceiptFile:
    """Return the small text file a reporter can keep: their code, the day, where to use it.

    Nothing else of the report goes in (no answers, no categories): the file may be found on a
    shared phone, and it must tell a stranger no more than the code itself does. The text is in
    the active language; the file name is plain ASCII and does not contain the code (download
    lists and notifications show file names).
    """
    normalised = code_normalise(code)
    if normalised is None:
        raise ValueError("not a receipt code")
    text = render_to_string(
        "intake/receipt_file.txt",
        {
            "hotline_name": site_settings().name(),
            "code": code_format(normalised),
            "received": received,
            "status_url": status_url,
        },
    )
    name = slugify(site_settings().name("en")) or "hotline"
    return ReceiptFile(filename=f"{name}-receipt-code.txt", text=text.rstrip("\n") + "\n")
