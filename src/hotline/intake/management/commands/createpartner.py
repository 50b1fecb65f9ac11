"""`hotline createpartner NAME`: give a partner organisation a token for the intake API."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from hotline.intake.models import Partner
from hotline.intake.partners import partner_create, partner_token_rotate


class Command(BaseCommand):
    help = (
        "Create a partner for the intake API and print its token (shown once, stored only as "
        "a digest). With --rotate, give an existing partner a new token instead."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name")
        parser.add_argument(
            "--rotate",
            action="store_true",
            help="issue a new token for an existing partner; the old token stops working",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        name = options["name"]
        if options["rotate"]:
            partner = Partner.objects.filter(name=name.strip()).first()
            if partner is None:
                raise CommandError(f"No partner named {name!r}; nothing was changed.")
            token = partner_token_rotate(partner=partner)
            what = f"New token for partner {partner.name!r} (the old one no longer works):"
        else:
            try:
                partner, token = partner_create(name=name)
            except ValueError as exc:
                raise CommandError(str(exc)) from exc
            what = f"Partner {partner.name!r} created. Its API token:"
        self.stdout.write(what)
        self.stdout.write(f"\n    {token}\n")
        self.stdout.write(
            "It is shown only this once: give it to the partner over a safe channel. They send "
            "it as `Authorization: Bearer <token>` to /api/v1/ (schema: /api/openapi.json)."
        )
