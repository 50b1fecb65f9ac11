"""`hotline hashindex`: show, compact or rebuild the shared PDQ match index."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from hotline.hashing.services import pdq_index, pdq_index_dir, pdq_index_rebuild


class Command(BaseCommand):
    help = "Show the PDQ match index, fold recent additions into it, or rebuild it from the banks."

    def add_arguments(self, parser: CommandParser) -> None:
        group = parser.add_mutually_exclusive_group()
        group.add_argument("--compact", action="store_true", help="fold recent additions in")
        group.add_argument("--rebuild", action="store_true", help="rebuild from the bank entries")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["rebuild"]:
            count = pdq_index_rebuild()
            self.stdout.write(f"Rebuilt the PDQ index with {count} distinct hashes.")
        elif options["compact"]:
            pdq_index().compact()
        index = pdq_index()
        self.stdout.write(
            f"{pdq_index_dir()}: {len(index)} hashes ({index.base_count} in the base file of"
            f" {index.base_bytes:,} bytes, {len(index) - index.base_count} recent)"
        )
