"""`hotline entities ...`: extract identifiers from text, re-link reports, recompute clusters.

- `extract [FILE...]`: print the identifiers found in text (stdin by default) as JSON.
- `relink`: extract and link every report again, in bulk (after an extractor upgrade).
- `cluster`: recompute every report's cluster label.
"""

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
        relink = sub.add_parser("relink", help="extract and link every report again, in bulk")
        relink.add_argument("--batch", type=int, default=5000, help="reports per transaction")
        relink.add_argument(
            "--exclusive",
            action="store_true",
            help="PostgreSQL maintenance window: much faster, but locks reports and identifiers "
            "against other readers and writers while each batch commits",
        )
        sub.add_parser("cluster", help="recompute every report's cluster label")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "extract":
            self._extract(options["files"], options["region"].upper())
        elif options["action"] == "relink":
            self._relink(options["batch"], exclusive=options["exclusive"])
        elif options["action"] == "cluster":
            from hotline.entities.bulk import clusters_compute

            self.stdout.write(f"{clusters_compute():,} clusters.")

    def _relink(self, batch: int, *, exclusive: bool = False) -> None:
        from hotline.entities.bulk import BulkMention, entities_link_bulk
        from hotline.entities.services import report_mentions
        from hotline.intake.models import Report
        from hotline.intake.selectors import report_details

        if batch < 1:
            raise CommandError("--batch must be at least 1.")
        totals = [0, 0, 0]
        ids = list(Report.objects.order_by("pk").values_list("pk", flat=True))
        for offset in range(0, len(ids), batch):
            mentions = [
                BulkMention(report.pk, m.kind, m.value, m.platform, m.field, m.start, m.end)
                for report in Report.objects.filter(pk__in=ids[offset : offset + batch])
                for m in report_mentions(report_details(report))
            ]
            result = entities_link_bulk(mentions=mentions, exclusive=exclusive)
            totals = [
                totals[0] + result.mentions,
                totals[1] + result.links_new,
                totals[2] + result.escrows_matched,
            ]
        self.stdout.write(
            f"{len(ids):,} reports, {totals[0]:,} mentions, {totals[1]:,} new links,"
            f" {totals[2]:,} escrows matched."
        )

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
