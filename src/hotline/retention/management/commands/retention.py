"""`hotline retention purge`: run the retention purge now (the workers run it hourly)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from hotline.retention.services import retention_purge


class Command(BaseCommand):
    help = "Purge expired personal data of closed reports and old login attempts."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["purge"])
        parser.add_argument("--limit", type=int, default=10_000)

    def handle(self, *args: Any, **options: Any) -> None:
        run = retention_purge(limit=max(1, int(options["limit"])))
        self.stdout.write(
            f"purged {len(run.purged)} reports, finished {run.files_finished} interrupted "
            f"purges, deleted {run.login_rows} login attempt rows"
        )
