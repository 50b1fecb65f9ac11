"""`hotline match FILE|HASH...`: check files or hashes against the enabled hash banks."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from hotline.hashing.formats import guess_hash_types, parse_hash_type
from hotline.hashing.index import DEFAULT_THRESHOLD
from hotline.hashing.management.commands.hash import hash_file
from hotline.hashing.models import HashType
from hotline.hashing.selectors import match_hashes


class Command(BaseCommand):
    help = (
        "Match image files or hashes (MD5, SHA-256 or PDQ hex) against the enabled hash banks."
        " Prints one JSON object per argument with its matches."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("targets", nargs="+", metavar="FILE|HASH")
        parser.add_argument(
            "--threshold",
            type=int,
            default=DEFAULT_THRESHOLD,
            help=f"PDQ Hamming distance threshold in bits (default {DEFAULT_THRESHOLD})",
        )
        parser.add_argument(
            "--type",
            dest="hash_type",
            choices=[t.value for t in HashType],
            help="type of a bare hash (a 64-digit hash is tried as SHA-256 and PDQ otherwise)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        threshold: int = options["threshold"]
        if not 0 <= threshold <= 255:
            raise CommandError("--threshold must be between 0 and 255.")
        forced = parse_hash_type(options["hash_type"]) if options["hash_type"] else None
        for target in options["targets"]:
            self.stdout.write(json.dumps(match_target(target, forced, threshold)))


def match_target(target: str, forced: HashType | None, threshold: int) -> dict[str, Any]:
    """Return the JSON-ready matches of one file or hash."""
    hashes: dict[HashType, str] = {}
    if Path(target).is_file():
        hashed = hash_file(target)
        if "md5" in hashed:
            hashes = {HashType.MD5: hashed["md5"], HashType.SHA256: hashed["sha256"]}
        if "pdq" in hashed:
            hashes[HashType.PDQ] = hashed["pdq"]
        if not hashes:
            return {"query": target, "error": hashed["error"], "message": hashed["message"]}
    else:
        types = [forced] if forced else guess_hash_types(target)
        value = target.strip().lower()
        if not types or (forced and forced not in guess_hash_types(value)):
            return {
                "query": target,
                "error": "not_a_hash",
                "message": "Neither a file nor an MD5 (32 hex digits), SHA-256 or PDQ (64) hash.",
            }
        hashes = dict.fromkeys(types, value)
    matches = match_hashes(
        md5=[hashes[HashType.MD5]] if HashType.MD5 in hashes else None,
        sha256=[hashes[HashType.SHA256]] if HashType.SHA256 in hashes else None,
        pdq=[hashes[HashType.PDQ]] if HashType.PDQ in hashes else None,
        threshold=threshold,
    )
    return {
        "query": target,
        "hashes": {t.value: v for t, v in hashes.items()},
        "matches": [
            {k: v for k, v in asdict(m).items() if k != "query"} | {"hash_type": m.hash_type.value}
            for m in matches
        ],
    }
