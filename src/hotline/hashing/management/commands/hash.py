"""`hotline hash FILE...`: print PDQ (vPDQ for videos), MD5 and SHA-256 of local files as JSON."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from hotline.hashing.hashers import HashingError, file_digests, hash_image_bytes
from hotline.hashing.video import hash_video_bytes, looks_like_video


class Command(BaseCommand):
    help = (
        "Hash image and video files locally (PDQ, MD5, SHA-256; for MP4/MOV videos vPDQ: the PDQ"
        " of one frame per second). Prints one JSON object per file; a file that cannot be hashed"
        " gets an object with an error and the others go on. Nothing is sent anywhere or stored."
    )
    # Hashing local files touches neither the database nor the app registry's checks.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("files", nargs="+", metavar="FILE", help="image or video files to hash")

    def handle(self, *args: Any, **options: Any) -> None:
        failures = 0
        paths: list[str] = options["files"]
        for path in paths:
            result = hash_file(path)
            failures += "error" in result
            self.stdout.write(json.dumps(result, ensure_ascii=False))
        if failures:
            raise CommandError(f"{failures} of {len(paths)} file(s) could not be hashed.")


def hash_file(path: str) -> dict[str, Any]:
    """Return the JSON-ready hashes of one file, or its error."""
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        return {"path": path, "error": "not_found", "message": "No such file."}
    except IsADirectoryError:
        return {"path": path, "error": "unreadable", "message": "This is a directory."}
    except OSError as exc:
        return {"path": path, "error": "unreadable", "message": exc.strerror or "Cannot read."}
    if looks_like_video(data):
        return _hash_video(path, data)
    try:
        hashes = hash_image_bytes(data)
    except HashingError as exc:
        # Exact hashes still identify the file even when it is not a hashable image.
        digests = file_digests(data)
        return {
            "path": path,
            "error": exc.code,
            "message": exc.message,
            "md5": digests.md5,
            "sha256": digests.sha256,
        }
    return {
        "path": path,
        "md5": hashes.md5,
        "sha256": hashes.sha256,
        "pdq": hashes.pdq_hex,
        "quality": hashes.quality,
    }


def _hash_video(path: str, data: bytes) -> dict[str, Any]:
    try:
        video = hash_video_bytes(data)
    except HashingError as exc:
        digests = file_digests(data)
        return {
            "path": path,
            "error": exc.code,
            "message": exc.message,
            "md5": digests.md5,
            "sha256": digests.sha256,
        }
    return {
        "path": path,
        "md5": video.md5,
        "sha256": video.sha256,
        "vpdq": [
            {
                "pdq": frame.pdq_hex,
                "quality": frame.quality,
                "frame": frame.frame_number,
                "timestamp": round(frame.timestamp, 3),
            }
            for frame in video.frames
        ],
    }
