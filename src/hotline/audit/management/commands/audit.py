"""`hotline audit ...`: verify the chain, sign checkpoints, export a report's chain of custody.

- `verify`: walk the whole chain against its head and every signed checkpoint; exit status 1
  and the first broken event when anything was edited, deleted, reordered or cut off.
- `checkpoint`: sign the current head into the checkpoints folder and print it (keep a copy
  elsewhere); `--show` prints the newest one, `--public-key` the verification key.
- `export --report ID`: the chain-of-custody record of one report, as JSON and HTML files.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from hotline.audit.checkpoints import (
    CheckpointError,
    checkpoint_create,
    checkpoint_dir,
    checkpoint_document,
    checkpoint_newest,
    public_key_pem,
)
from hotline.audit.custody import custody_html, custody_record, report_by_reference
from hotline.audit.verification import app_role_is_superuser, audit_verify_run
from hotline.config import private_opener


class Command(BaseCommand):
    help = "Verify the audit chain, sign checkpoints of its head, export a chain of custody."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        verify = sub.add_parser(
            "verify", help="check the whole chain against its head and the signed checkpoints"
        )
        verify.add_argument(
            "--checkpoint",
            action="append",
            default=[],
            metavar="FILE",
            help="also check against this checkpoint file (a copy kept elsewhere); repeatable",
        )
        checkpoint = sub.add_parser("checkpoint", help="sign the chain's head into a checkpoint")
        shown = checkpoint.add_mutually_exclusive_group()
        shown.add_argument("--show", action="store_true", help="print the newest checkpoint only")
        shown.add_argument("--public-key", action="store_true", help="print the verification key")
        export = sub.add_parser("export", help="the chain-of-custody record of one report")
        export.add_argument("--report", required=True, help="the report's public id or number")
        export.add_argument(
            "--out", default=".", help="folder for the .json and .html files (default: here)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            getattr(self, f"_{options['action']}")(options)
        except CheckpointError as exc:
            raise CommandError(str(exc)) from exc

    def _verify(self, options: dict[str, Any]) -> None:
        extra = [Path(name) for name in options["checkpoint"]]
        for path in extra:
            if not path.is_file():
                raise CommandError(f"No checkpoint file {path}.")
        check = audit_verify_run(trigger="command", extra_checkpoints=extra)
        if app_role_is_superuser():
            self.stderr.write(
                "Warning: the database role is a superuser; the audit table's append-only "
                "triggers do not bind it. Run the hotline with an ordinary role."
            )
        if not check.ok:
            where = f" First broken event: {check.first_bad_id}." if check.first_bad_id else ""
            raise CommandError(f"The audit chain is BROKEN: {check.reason}.{where}")
        self.stdout.write(
            f"The audit chain is whole: {check.events} events, checked against "
            f"{check.checkpoints} signed checkpoint(s). Head {check.head}."
        )

    def _checkpoint(self, options: dict[str, Any]) -> None:
        if options["public_key"]:
            self.stdout.write(public_key_pem(), ending="")
            return
        if options["show"]:
            newest = checkpoint_newest()
            if newest is None:
                raise CommandError(f"No checkpoint in {checkpoint_dir()} yet.")
        else:
            newest, path = checkpoint_create()
            self.stderr.write(f"Wrote {path}; keep a copy somewhere else too.")
        self.stdout.write(json.dumps(checkpoint_document(newest), indent=2))

    def _export(self, options: dict[str, Any]) -> None:
        report = report_by_reference(options["report"])
        if report is None:
            raise CommandError(f"No report {options['report']!r} (give its public id or number).")
        folder = Path(options["out"])
        if not folder.is_dir():
            raise CommandError(f"No folder {folder}.")
        record = custody_record(report=report, actor=None)
        stem = folder / f"custody-{report.public_id}"
        try:
            # Private files: the record names staff and what they did.
            with open(f"{stem}.json", "w", encoding="utf-8", opener=private_opener) as handle:
                json.dump(record, handle, indent=2, ensure_ascii=False)
            with open(f"{stem}.html", "w", encoding="utf-8", opener=private_opener) as handle:
                handle.write(custody_html(record))
        except OSError as exc:
            raise CommandError(f"Cannot write the record: {exc}") from exc
        self.stdout.write(
            f"{len(record['events'])} events about report {report.public_id}: "
            f"{stem}.json, {stem}.html"
        )
