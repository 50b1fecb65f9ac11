"""`hotline hashbank`: create, list, import, export, enable and disable hash banks."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import IntegrityError

from hotline.hashing.formats import FORMATS, FileFormat, HashFileError
from hotline.hashing.models import Bank, BankCategory, RematchJob
from hotline.hashing.selectors import bank_export
from hotline.hashing.services import bank_create, bank_import, bank_set_enabled


class Command(BaseCommand):
    help = (
        "Manage hash banks: create, list, import (CSV/TSV: hash,type,label), export, enable, "
        "disable; show the re-matching of earlier reports after imports (rematches)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="create a bank")
        create.add_argument("name")
        create.add_argument("--category", choices=BankCategory.values, default=BankCategory.OTHER)
        create.add_argument("--source", default="")
        create.add_argument("--description", default="")
        sub.add_parser("list", help="list banks with their entry counts")
        imp = sub.add_parser("import", help="import a hash list; a bad file imports nothing")
        imp.add_argument("name")
        imp.add_argument("file")
        imp.add_argument("--format", choices=FORMATS, help="default: from the file extension")
        exp = sub.add_parser("export", help="print a bank as CSV/TSV")
        exp.add_argument("name")
        exp.add_argument("--format", choices=FORMATS, default="csv")
        exp.add_argument("--include-disabled", action="store_true")
        for verb in ("enable", "disable"):
            toggle = sub.add_parser(verb, help=f"{verb} a bank (enabling re-matches reports)")
            toggle.add_argument("name")
        rematches = sub.add_parser(
            "rematches", help="progress of matching imported lists against earlier reports"
        )
        rematches.add_argument("--limit", type=int, default=20, help="newest N jobs (default 20)")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "create":
            try:
                bank = bank_create(
                    name=options["name"],
                    category=options["category"],
                    source=options["source"],
                    description=options["description"],
                    actor=None,
                )
            except IntegrityError as exc:
                raise CommandError(f"A bank named {options['name']!r} already exists.") from exc
            self.stdout.write(f"Created bank {bank.name!r}.")
        elif action == "list":
            for bank in Bank.objects.order_by("name"):
                state = "" if bank.enabled else " (disabled)"
                count = bank.entries.filter(enabled=True).count()
                self.stdout.write(f"{bank.name}\t{bank.category}\t{count} entries{state}")
        elif action == "import":
            bank = _bank(options["name"])
            path = Path(options["file"])
            fmt: FileFormat = options["format"] or _SUFFIX_FORMATS.get(path.suffix.lower(), "csv")
            try:
                # newline="": the CSV reader itself reads line ends (a quoted label may hold one).
                with path.open(encoding="utf-8-sig", newline="") as handle:
                    text = handle.read()
            except (OSError, UnicodeDecodeError) as exc:
                raise CommandError(f"Cannot read {path}: {exc}") from exc
            try:
                result = bank_import(bank=bank, text=text, fmt=fmt, source_name=path.name)
            except HashFileError as exc:
                for error in exc.errors:
                    self.stderr.write(str(error))
                raise CommandError(f"{exc.total} bad row(s) in {path}; nothing imported.") from exc
            self.stdout.write(
                f"Imported into {bank.name!r}: {result.added} added,"
                f" {result.already_present} already present."
            )
        elif action in ("enable", "disable"):
            bank = _bank(options["name"])
            bank_set_enabled(bank=bank, enabled=action == "enable", actor=None)
            self.stdout.write(f"Bank {bank.name!r} {action}d.")
        elif action == "rematches":
            jobs = RematchJob.objects.select_related("bank")[: max(1, options["limit"])]
            for job in jobs:
                times = f"queued {job.created_at:%Y-%m-%d %H:%M:%S}"
                if job.started_at:
                    times += f", started {job.started_at:%H:%M:%S}"
                if job.finished_at:
                    times += f", finished {job.finished_at:%H:%M:%S}"
                self.stdout.write(
                    f"{job.pk}\t{job.bank.name}\t{job.state}\t{job.progress}\t{times}"
                )
        elif action == "export":
            export = bank_export(
                bank=_bank(options["name"]),
                fmt=options["format"],
                include_disabled=options["include_disabled"],
            )
            self.stdout.write(export.text, ending="")
            if export.skipped:
                self.stderr.write(
                    f"{export.skipped} SHA-256 entries left out: the format has no such type."
                )


_SUFFIX_FORMATS: dict[str, FileFormat] = {".tsv": "tsv", ".txt": "te"}


def _bank(name: str) -> Bank:
    try:
        return Bank.objects.get(name=name)
    except Bank.DoesNotExist as exc:
        raise CommandError(f"No bank named {name!r} (see `hotline hashbank list`).") from exc
