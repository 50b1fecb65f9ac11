# ruff: noqa: N999 - the command is named `hotline takedown-recheck`, as the operator types it
"""`hotline takedown-recheck`: run the liveness re-check of due takedown targets now.

The same work as the periodic task (hotline.takedown.rechecks), for an operator who wants it
at once or with fewer parallel checks (`--concurrency`). Prints one line of counts.
"""

from __future__ import annotations

import argparse
import re
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError, CommandParser

from hotline.takedown.rechecks import escalation_hours, targets_recheck


def _concurrency(text: str) -> int:
    # ASCII digits only: str.isdigit() and int() also take other scripts' digits.
    if not re.fullmatch(r"[0-9]{1,3}", text) or not 1 <= int(text) <= 256:
        raise argparse.ArgumentTypeError("write a whole number from 1 to 256")
    return int(text)


class Command(BaseCommand):
    help = "Check every due takedown target now (status and headers only); print the counts."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--concurrency",
            type=_concurrency,
            default=None,
            help="checks at once (1-256; default HOTLINE_TAKEDOWN_CHECK_CONCURRENCY)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            escalation_hours()
        except ImproperlyConfigured as exc:
            raise CommandError(str(exc)) from None
        summary = targets_recheck(concurrency=options["concurrency"])
        self.stdout.write(summary.line())
