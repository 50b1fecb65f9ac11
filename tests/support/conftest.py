"""Fixtures of the support tests: a caseworker, a support service, a real SMTP server on
127.0.0.1, and the process fixtures for real workers."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from aiosmtpd.controller import Controller
from django.test import override_settings
from victim_support import Inbox, make_user

from hotline.accounts.models import User
from hotline.directory.models import SupportService
from process_helpers import _install_template, free_port, install

__all__ = ["_install_template", "install"]


@pytest.fixture
def caseworker(db: None) -> User:
    return make_user("caseworker", "carla", "carla@hotline.example")


@pytest.fixture
def service(db: None) -> SupportService:
    return SupportService.objects.create(
        name_en="Kind Counselling",
        name_km="ការប្រឹក្សាដោយចិត្តល្អ",
        kind="counselling",
        phone="023 999 111",
        hours="8:00-17:00",
    )


@pytest.fixture
def inbox() -> Iterator[Inbox]:
    handler = Inbox()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    mailers = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": port, "timeout": 5},
        }
    }
    try:
        with override_settings(MAILERS=mailers, HOTLINE_STAFF_URL="https://hotline.example"):
            yield handler
    finally:
        controller.stop()
