"""`hotline triage ...`: check the triage weights, or recompute every report's priority.

- `check`: read and check the weights file and the word lists; print the weights in force.
- `rescore`: recompute every report's priority and reasons (after the weights file changed).
"""

from __future__ import annotations

import json
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError, CommandParser

from hotline.triage.rules import deadline_words, self_harm_words, weights, weights_path
from hotline.triage.services import reports_rescore


class Command(BaseCommand):
    help = "Check the triage weights, or recompute every report's priority with them."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        sub.add_parser("check", help="check the weights file and word lists; print the weights")
        sub.add_parser("rescore", help="recompute every report's priority with the weights")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            current = weights()
            self_harm_words()
            deadline_words()
        except ImproperlyConfigured as exc:
            raise CommandError(str(exc)) from exc
        if options["action"] == "check":
            body = {"file": str(weights_path()), **current.__dict__}
            self.stdout.write(json.dumps(body, indent=2))
            return
        self.stdout.write(f"rescored {reports_rescore()} reports")
