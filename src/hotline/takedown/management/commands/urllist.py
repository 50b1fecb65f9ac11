"""`hotline urllist ...`: the signed URL list for internet providers that block.

- `export --out FILE --as USERNAME [--format csv|json]`: a new version of the list of confirmed,
  still-online URLs in FILE, its signed manifest in FILE.sig. USERNAME is the staff account the
  export is made for (its role must allow `export_url_list`; the export is audited under it).
- `verify FILE [--signature FILE.sig]`: check a list against its manifest, the hotline's key
  and the versions this hotline issued; exit status 1 and one line saying why when it fails.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError, CommandParser

from hotline.accounts.models import User
from hotline.takedown.urllist import (
    FORMATS,
    UrlListError,
    url_list_issue,
    url_list_verify,
    url_list_write,
)

# A list of a few hundred thousand URLs is tens of megabytes; refuse to read far more.
LIST_MAX_BYTES = 512 * 1024 * 1024


def _read(path: Path, what: str, limit: int) -> bytes:
    try:
        if path.stat().st_size > limit:
            raise CommandError(f"{path} is too large to be a {what}")
        return path.read_bytes()
    except OSError as exc:
        raise CommandError(f"cannot read {path}: {exc.strerror or exc}") from exc


class Command(BaseCommand):
    help = "Export or verify the signed URL list for internet providers that block."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        export = sub.add_parser("export", help="write a new signed version of the URL list")
        export.add_argument("--out", type=Path, required=True, help="where to write the list")
        export.add_argument("--format", choices=FORMATS, default="csv")
        export.add_argument(
            "--as",
            dest="username",
            required=True,
            help="the staff account the export is made for (audited under it)",
        )
        verify = sub.add_parser("verify", help="check a URL list file and its signature")
        verify.add_argument("file", type=Path)
        verify.add_argument(
            "--signature", type=Path, default=None, help="the manifest (default: FILE.sig)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "export":
            self._export(options["out"], options["format"], options["username"])
        else:
            self._verify(options["file"], options["signature"])

    def _export(self, out: Path, fmt: str, username: str) -> None:
        actor = User.objects.filter(username=username[:150], is_active=True).first()
        if actor is None:
            raise CommandError(f"no active staff account named {username[:80]!r}")
        if out.exists() and out.is_dir():
            raise CommandError(f"{out} is a folder; name the file to write")
        if not out.parent.is_dir():
            raise CommandError(f"the folder {out.parent} does not exist")
        try:
            issued = url_list_issue(actor=actor, fmt=fmt)
        except PermissionDenied as exc:
            raise CommandError(
                f"{actor.username} may not export the URL list (role {actor.role or 'none'})"
            ) from exc
        try:
            signature_path = url_list_write(issued, out)
        except OSError as exc:
            raise CommandError(
                f"version {issued.export.version} was issued but cannot be written to {out}: "
                f"{exc.strerror or exc}"
            ) from exc
        self.stdout.write(
            f"URL list version {issued.export.version}: {issued.export.url_count} URLs "
            f"in {out}, signed manifest in {signature_path}"
        )

    def _verify(self, path: Path, signature: Path | None) -> None:
        signature = signature or path.with_name(path.name + ".sig")
        data = _read(path, "URL list", LIST_MAX_BYTES)
        manifest = _read(signature, "URL list manifest", 1024 * 1024)
        try:
            verified = url_list_verify(data, manifest)
        except UrlListError as exc:
            raise CommandError(f"{path}: REJECTED: {exc}") from exc
        current = (
            "the current version"
            if verified.version == verified.latest_version
            else f"superseded by version {verified.latest_version}"
        )
        self.stdout.write(
            f"{path}: valid URL list version {verified.version} of {verified.generated_at}, "
            f"{verified.url_count} URLs ({current})"
        )
