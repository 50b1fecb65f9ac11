"""`hotline tasks`: show the background queue, list failed tasks, retry them."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from hotline.tasks.models import FailedTask
from hotline.tasks.selectors import queue_status
from hotline.tasks.services import failed_task_retry


class Command(BaseCommand):
    help = "Show the background task queue; list failed tasks (--failed); retry them (--retry)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--failed", action="store_true", help="list tasks that gave up")
        parser.add_argument(
            "--retry",
            metavar="ID",
            help="queue a failed task again from its first attempt ('all' for every one)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["retry"]:
            self._retry(options["retry"])
        elif options["failed"]:
            for failed in FailedTask.objects.all():
                self.stdout.write(
                    f"{failed.pk}\t{failed.failed_at:%Y-%m-%d %H:%M}\t{failed.func_path}"
                    f"{tuple(failed.args)}\t{failed.attempts} attempts\t{failed.error}"
                )
        else:
            status = queue_status()
            self.stdout.write(
                f"ready {status.ready}, running or taken {status.taken}, "
                f"waiting to retry {status.delayed}, failed {status.failed}"
            )

    def _retry(self, which: str) -> None:
        if which == "all":
            ids = list(FailedTask.objects.values_list("pk", flat=True))
        elif which.isdigit():
            ids = [int(which)]
        else:
            raise CommandError("--retry takes a failed task's number (see --failed) or 'all'.")
        for pk in ids:
            try:
                failed_task_retry(failed_task_id=pk)
            except FailedTask.DoesNotExist:
                raise CommandError(f"There is no failed task number {pk}.") from None
        self.stdout.write(f"{len(ids)} task(s) queued again.")
