"""`hotline stats report --year 2026 --out FILE` and `hotline stats publish 2026-Q1 --by ADMIN`.

report: the annual report PDF (hotline.statistics.report); a progress bar on stderr when it is
a terminal, nothing otherwise. publish: freeze a finished quarter's public figures
(hotline.statistics.public.quarter_publish: administrators only, audited).
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path
from typing import Any, TextIO

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from hotline.statistics.public import FIRST_YEAR, QuarterKey, StatisticsError, quarter_publish
from hotline.statistics.report import LANGUAGES, NoData, report_pdf


class ProgressBar:
    """A one-line bar redrawn in place (only on a terminal)."""

    def __init__(self, out: TextIO, width: int = 30) -> None:
        self.out, self.width = out, width

    def __call__(self, done: int, of: int, what: str) -> None:
        filled = self.width * done // max(of, 1)
        bar = "#" * filled + "-" * (self.width - filled)
        self.out.write(f"\r[{bar}] {100 * done // max(of, 1):3d}% {what[:40]:<40}")
        if done >= of:
            self.out.write("\n")
        self.out.flush()


def _year(text: str) -> int:
    this_year = timezone.localdate().year
    try:
        year = int(text.strip())
    except ValueError:
        raise CommandError(f"--year must be a year like {this_year}, not {text[:20]!r}") from None
    if not FIRST_YEAR <= year <= this_year:
        raise CommandError(f"--year must be between {FIRST_YEAR} and {this_year}, not {year}")
    return year


class Command(BaseCommand):
    help = "Annual report PDF (report) and publication of a quarter's public figures (publish)."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        report = actions.add_parser("report", help="write the annual report as a PDF")
        report.add_argument("--year", required=True, help="the year, e.g. 2026")
        report.add_argument("--language", default="en", help="km or en (default en)")
        report.add_argument("--out", required=True, help="the PDF file to write")
        publish = actions.add_parser("publish", help="publish a finished quarter's figures")
        publish.add_argument("quarter", help="e.g. 2026-Q1")
        publish.add_argument("--by", required=True, help="the administrator's username")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "report":
            self._report(options)
        else:
            self._publish(options)

    def _report(self, options: dict[str, Any]) -> None:
        year = _year(str(options["year"]))
        language = str(options["language"]).strip().lower()
        if language not in LANGUAGES:
            raise CommandError(f"--language must be km or en, not {language[:20]!r}")
        out = Path(str(options["out"]))
        if out.is_dir():
            raise CommandError(f"--out {out} is a folder: give a file name, e.g. report-{year}.pdf")
        if not out.parent.is_dir():
            raise CommandError(f"--out: the folder {out.parent} does not exist")
        progress = ProgressBar(sys.stderr) if sys.stderr.isatty() else None
        try:
            pdf = report_pdf(year, language, progress)
        except NoData as exc:
            raise CommandError(str(exc)) from None
        except StatisticsError as exc:
            raise CommandError(str(exc)) from None
        # Written beside the target, then renamed: never a half-written report under its name.
        handle, temporary = tempfile.mkstemp(dir=out.parent, prefix=".report-", suffix=".pdf")
        try:
            with os.fdopen(handle, "wb") as file:
                file.write(pdf)
            os.replace(temporary, out)
        except OSError as exc:
            Path(temporary).unlink(missing_ok=True)
            raise CommandError(f"cannot write {out}: {exc.strerror or exc}") from None
        self.stdout.write(f"wrote the {year} annual report ({language}) to {out}")

    def _publish(self, options: dict[str, Any]) -> None:
        try:
            key = QuarterKey.parse(str(options["quarter"]))
        except StatisticsError as exc:
            raise CommandError(str(exc)) from None
        username = str(options["by"])
        actor = get_user_model().objects.filter(username=username).first()
        if actor is None:
            raise CommandError(f"no staff account named {username[:40]!r}")
        try:
            published = quarter_publish(actor=actor, key=key)
        except PermissionDenied:
            raise CommandError(
                f"{username} may not publish statistics (administrators only)"
            ) from None
        except StatisticsError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"published {published} (suppression threshold {published.threshold})")
