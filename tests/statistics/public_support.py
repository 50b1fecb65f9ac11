"""Rows for statistics tests, written directly (the figures only read these columns)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.utils import timezone

from hotline.accounts.models import User
from hotline.directory.models import Platform as HostPlatform
from hotline.entities.models import Entity
from hotline.intake.models import Report
from hotline.takedown.models import Target
from staff_login import make_staff

PHNOM_PENH = ZoneInfo("Asia/Phnom_Penh")


def at(year: int, month: int, day: int = 15, hour: int = 12) -> datetime:
    return datetime(year, month, day, hour, tzinfo=PHNOM_PENH)


def add_reports(count: int, when: datetime, **fields: Any) -> list[Report]:
    fields.setdefault("reporter_role", "myself")
    fields.setdefault("categories", ["sextortion"])
    fields.setdefault("platforms", ["facebook"])
    rows = [
        Report(created_at=when, updated_at=when, details_ciphertext=b"", **fields)
        for _ in range(count)
    ]
    return Report.objects.bulk_create(rows)


_entity_number = [0]


def add_removed_target(
    report: Report, *, noticed: datetime, removed: datetime, platform: HostPlatform | None = None
) -> Target:
    _entity_number[0] += 1
    entity = Entity.objects.create(
        kind="email",
        digest=_entity_number[0].to_bytes(32, "big"),
        value_ciphertext=b"",
        created_at=timezone.now(),
    )
    return Target.objects.create(
        report=report,
        entity=entity,
        platform=platform,
        state=Target.State.REMOVED,
        created_at=noticed - timedelta(hours=1),
        first_noticed_at=noticed,
        removed_at=removed,
    )


def host_platform(code: str, name: str) -> HostPlatform:
    platform, _created = HostPlatform.objects.get_or_create(
        code=code, defaults={"name": name, "channel": "email", "abuse_email": f"abuse@{code}.test"}
    )
    return platform


def administrator() -> User:
    return make_staff("admin", role="administrator").user
