"""`hotline hosting ...`: load the IP-to-ASN file; trace who hosts a URL or host name.

- `load FILE`: replace the network table with an IP-to-ASN file (.tsv or .tsv.gz; iptoasn.com's
  public-domain ip2asn-combined.tsv, or any file in its five columns).
- `trace URL_OR_HOST [--fresh]`: addresses, network owner, country, reverse names, CDN; JSON.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from hotline.hosting.services import NetworkFileError, host_trace, network_ranges_load, url_trace


class Command(BaseCommand):
    help = "Load the IP-to-ASN file, or trace who hosts a URL or host name."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        load = sub.add_parser("load", help="replace the network table with an IP-to-ASN file")
        load.add_argument("file", type=Path)
        trace = sub.add_parser("trace", help="trace who hosts a URL or host name (JSON)")
        trace.add_argument("target")
        trace.add_argument("--fresh", action="store_true", help="do not reuse today's trace")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "load":
            path: Path = options["file"]
            try:
                count = network_ranges_load(path)
            except OSError as exc:
                raise CommandError(f"cannot read {path}: {exc.strerror or exc}") from exc
            except (NetworkFileError, UnicodeError) as exc:
                raise CommandError(f"{path} is not an IP-to-ASN file: {exc}") from exc
            self.stdout.write(f"loaded {count} network ranges from {path}")
            return
        target: str = options["target"]
        trace = (
            url_trace(target, fresh=options["fresh"])
            if "://" in target
            else host_trace(target, fresh=options["fresh"])
        )
        if trace is None:
            raise CommandError(f"{target[:200]!r} names no host")
        body = {
            "host": trace.host,
            "traced_at": trace.traced_at.isoformat(),
            "addresses": trace.addresses,
            "countries": trace.countries,
            "behind_cdn": trace.behind_cdn,
            "problem": trace.problem,
        }
        self.stdout.write(json.dumps(body, indent=2, ensure_ascii=False))
