"""`hotline entities extract [FILE...]`: print the identifiers found in text as JSON."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from hotline.entities.extract import extract_entities

MAX_INPUT_BYTES = 64 * 1024 * 1024


class Command(BaseCommand):
    help = "Work with entities (links, handles, phone numbers, wallets, payment accounts)."
    # Extraction reads local text only; it needs neither the database nor system checks.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        extract = sub.add_parser(
            "extract",
            help="extract identifiers from text on stdin or from files; print one JSON object"
            " per input with each entity's type, canonical value, platform and character span",
        )
        extract.add_argument(
            "files", nargs="*", metavar="FILE", help="UTF-8 text files (default: stdin)"
        )
        extract.add_argument(
            "--region", default="KH", help="default phone region (ISO code, default KH)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "extract":
            self._extract(options["files"], options["region"].upper())

    def _extract(self, files: list[str], region: str) -> None:
        if len(region) != 2 or not region.isalpha():
            raise CommandError(f"--region must be a two-letter country code, not {region!r}.")
        inputs = files or ["-"]
        for name in inputs:
            text = _read(name)
            entities = [
                entity.as_dict(text) for entity in extract_entities(text, default_region=region)
            ]
            self.stdout.write(json.dumps({"input": name, "entities": entities}, ensure_ascii=False))


def _read(name: str) -> str:
    """Read one input as text, turning operator mistakes into one clear message."""
    try:
        if name == "-":
            data = sys.stdin.buffer.read(MAX_INPUT_BYTES + 1)
        else:
            with Path(name).open("rb") as handle:
                data = handle.read(MAX_INPUT_BYTES + 1)
    except FileNotFoundError as exc:
        raise CommandError(f"{name}: no such file.") from exc
    except IsADirectoryError as exc:
        raise CommandError(f"{name}: is a directory.") from exc
    except OSError as exc:
        raise CommandError(f"{name}: cannot be read ({exc.strerror}).") from exc
    if len(data) > MAX_INPUT_BYTES:
        raise CommandError(f"{name}: larger than {MAX_INPUT_BYTES // (1024 * 1024)} MB.")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CommandError(f"{name}: not UTF-8 text (byte {exc.start}).") from exc
