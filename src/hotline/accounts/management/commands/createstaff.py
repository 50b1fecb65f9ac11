"""`hotline createstaff USERNAME`: create a staff account."""

from __future__ import annotations

import getpass
import os
import sys
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from hotline.accounts.permissions import Role
from hotline.accounts.services import staff_create


class Command(BaseCommand):
    help = (
        "Create a staff account. The password is asked for (or read from HOTLINE_STAFF_PASSWORD)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--email", default="")
        parser.add_argument(
            "--role",
            choices=[role.value for role in Role],
            default=Role.ANALYST.value,
            help="what the account may do (docs/permissions.md); default: analyst",
        )
        parser.add_argument(
            "--admin",
            action="store_true",
            help="an administrator with every right in the Django admin (implies --role "
            "administrator)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        password = os.environ.get("HOTLINE_STAFF_PASSWORD")
        if password is None:
            if not sys.stdin.isatty():
                raise CommandError(
                    "No terminal to ask for the password: run this in a terminal, or set "
                    "HOTLINE_STAFF_PASSWORD."
                )
            try:
                password = getpass.getpass("Password: ")
                again = getpass.getpass("Password (again): ")
            except EOFError:
                raise CommandError("No password given; nothing was created.") from None
            if password != again:
                raise CommandError("The two passwords differ; nothing was created.")
        try:
            user = staff_create(
                username=options["username"],
                password=password,
                email=options["email"],
                role=options["role"],
                superuser=options["admin"],
            )
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        self.stdout.write(
            f"Staff account {user.username!r} ({user.get_role_display()}) created. Log in at "
            "/staff/login/: the first login asks to set up an authenticator app."
        )
