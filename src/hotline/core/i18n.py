"""Compile gettext catalogs with Babel, so a fresh machine needs no gettext tools."""

from __future__ import annotations

import os
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po


def compile_po_file(po: Path, mo: Path) -> None:
    """Write `mo` from `po` atomically (fuzzy entries are left out, as msgfmt does)."""
    with po.open("rb") as handle:
        catalog = read_po(handle)
    temporary = mo.with_suffix(".mo.tmp")
    with temporary.open("wb") as handle:
        write_mo(handle, catalog, use_fuzzy=False)
    os.replace(temporary, mo)
