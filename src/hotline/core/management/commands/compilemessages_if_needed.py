"""Compile translation catalogs when a .po file is newer than its .mo (pure Python)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from hotline.core.i18n import compile_po_file


class Command(BaseCommand):
    help = "Compile .po catalogs whose .mo is missing or older (no gettext tools needed)."

    def handle(self, *args: Any, **options: Any) -> None:
        for locale_dir in settings.LOCALE_PATHS:
            for po in Path(locale_dir).glob("*/LC_MESSAGES/*.po"):
                mo = po.with_suffix(".mo")
                if not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime:
                    compile_po_file(po, mo)
