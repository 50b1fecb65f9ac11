"""`hotline search reindex`: put every report's terms in the search index.

Resumable and chunked: reports are indexed one transaction each, and a report already indexed
by the current tokeniser is skipped, so a run stopped half-way goes on where it stopped.
`--all` redoes every report (after the key file's pepper changed, say).
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from hotline.search.services import reports_search_reindex


class Command(BaseCommand):
    help = "Index reports for staff search (only those not yet indexed, unless --all)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        reindex = sub.add_parser("reindex", help="index the reports not yet in the search index")
        reindex.add_argument("--all", action="store_true", help="redo every report")
        reindex.add_argument(
            "--chunk", type=int, default=500, help="reports read per query (default 500)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["chunk"] < 1:
            raise CommandError("--chunk must be 1 or more")

        def progress(done: int, failed: int) -> None:
            self.stdout.write(f"indexed {done} reports so far ({failed} failed)")

        done, failed = reports_search_reindex(
            chunk=options["chunk"], everything=options["all"], progress=progress
        )
        self.stdout.write(f"indexed {done} reports; {failed} could not be indexed")
        if failed:
            raise CommandError(f"{failed} reports could not be indexed: see the log")
