# ruff: noqa: N999  (the command is `hotline verify-package`, as the issue names it)
"""`hotline verify-package FILE [--key PEM]`: check a referral package.

Exit status 0: intact, signed by the trusted key, not relabelled. 1: rejected (altered,
added or removed file, edited manifest, another key, relabelled, hostile archive). 2: not
a package at all, or the key file cannot be used.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from hotline.referrals.archive import PackageRejected, PackageUnreadable, load_public_key
from hotline.referrals.services import package_verify

MAX_KEY_FILE_BYTES = 16_384


class Command(BaseCommand):
    help = "Check a police referral package: signature, every file, and its label."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="the package (.zip)")
        parser.add_argument(
            "--key",
            help="trust this Ed25519 public key (PEM) instead of this install's key; the key "
            "inside the package is never trusted",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        key = None
        try:
            if options["key"]:
                key_path = Path(options["key"])
                with key_path.open("rb") as handle:
                    pem = handle.read(MAX_KEY_FILE_BYTES + 1)
                if len(pem) > MAX_KEY_FILE_BYTES:
                    raise PackageUnreadable("the key file is too large to be a public key")
                key = load_public_key(pem)
            if not path.is_file():
                raise PackageUnreadable(f"no file {path}")
            with path.open("rb") as handle:
                verified = package_verify(handle, filename=path.name, key=key)
        except OSError as exc:
            raise CommandError(f"cannot read {exc.filename}: {exc.strerror}", returncode=2) from exc
        except PackageUnreadable as exc:
            raise CommandError(f"not a referral package: {exc}", returncode=2) from exc
        except PackageRejected as exc:
            raise CommandError(f"REJECTED: {exc}", returncode=1) from exc
        manifest = verified.package.manifest
        self.stdout.write(
            f"OK: package {manifest['package_id']} of case {manifest['case_reference']}, "
            f"produced {manifest['created_at']}, {len(manifest['files'])} files, signature valid."
        )
        if verified.registry_checked:
            self.stdout.write("It is in this hotline's registry of packages produced.")
        else:
            self.stdout.write("Checked with the key given; this install's registry not consulted.")
