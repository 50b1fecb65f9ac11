"""`hotline demo`: load demo reports (generated, no real data) and a demo staff account."""

from __future__ import annotations

from typing import Any

from allauth.mfa.models import Authenticator
from django.core.management.base import BaseCommand, CommandParser

from hotline.accounts.mfa import recovery_codes, staff_totp_enroll, totp_secret
from hotline.accounts.models import User
from hotline.accounts.permissions import Role
from hotline.accounts.services import staff_create
from hotline.intake.models import Message, Report
from hotline.intake.services import ReportInput, message_add, report_submit

DEMO_USER = "demo-analyst"
DEMO_PASSWORD = "demo-password-change-me"  # noqa: S105 - printed to the operator on purpose

DEMO_REPORTS = [
    ReportInput(
        reporter_role="myself",
        victim_age="16_17",
        victim_gender="male",
        province="battambang",
        categories=["sextortion"],
        platforms=["facebook", "messenger"],
        usernames=["fb.com/pretty.sokha.9021"],
        phones=["012 345 678"],
        payment_accounts=["Wing 012345678"],
        money="demanded",
        amount="200 USD",
        payment_methods=["wing"],
        narrative="(demo) A girl I met on Facebook recorded our video call and asks 200 USD.",
        language="en",
    ),
    ReportInput(
        reporter_role="saw_online",
        categories=["selling_group"],
        platforms=["telegram", "google_drive"],
        links=["https://t.me/demo_group_example", "https://drive.google.com/drive/folders/DEMO123"],
        payment_methods=["crypto"],
        payment_accounts=["TRON TDemoAddressForTestsOnly"],
        narrative="(demo) ក្រុម Telegram មួយលក់វីដេអូ។",
        language="km",
    ),
    ReportInput(
        reporter_role="my_child",
        victim_age="under_13",
        victim_gender="female",
        province="phnom_penh",
        categories=["grooming"],
        platforms=["tiktok"],
        usernames=["@demo_stranger"],
        narrative="(demo) An adult keeps asking my daughter to meet.",
        in_danger=False,
        help_wanted=["counsellor"],
        language="en",
    ),
]


class Command(BaseCommand):
    help = "Load demo data (generated) and a demo staff account."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--base-url", default="http://127.0.0.1:8000", help="where the site is reached"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        user = User.objects.filter(username=DEMO_USER).first()
        if user is None:
            # A senior analyst: the demo shows every field of a report.
            user = staff_create(
                username=DEMO_USER, password=DEMO_PASSWORD, role=Role.SENIOR_ANALYST
            )
        totp = Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).first()
        secret = totp_secret(totp) if totp else staff_totp_enroll(user=user)
        if not Report.objects.filter(details_ciphertext__isnull=False).exists():
            for data in DEMO_REPORTS:
                submitted = report_submit(data=data, evidence=[])
                message_add(
                    report=submitted.report,
                    author=Message.Author.STAFF,
                    body="(demo) Thank you. We are looking at your report.",
                )
        self.stdout.write(
            f"Demo data loaded. Staff log in at {options['base_url']}/staff/login/ "
            f"as {DEMO_USER} / {DEMO_PASSWORD}\n"
            f"Two-factor login: add this key to an authenticator app (time-based, 6 digits, "
            f"30 s): {secret}\n"
            f"or log in with one of these one-use recovery codes: "
            f"{' '.join(recovery_codes(user=user))}"
        )
