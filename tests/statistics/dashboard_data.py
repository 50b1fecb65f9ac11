"""A small hotline whose every dashboard figure is worked out by hand (see the test module).

Times are local (Asia/Phnom_Penh, UTC+7): one report sits at 00:30 on 1 January local time,
which is still 31 December in UTC, to catch truncation done in the wrong time zone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from hotline.cases.models import CaseEvent
from hotline.directory.models import Platform
from hotline.entities.models import Entity, Kind, ReportCluster
from hotline.hashing.models import Bank, BankEntry, ReportMatch
from hotline.intake.models import Report
from hotline.takedown.models import Target

LOCAL = ZoneInfo("Asia/Phnom_Penh")


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=LOCAL)


def report(created: str, **fields: object) -> Report:
    when = at(created)
    values: dict[str, object] = {
        "reporter_role": "myself",
        "categories": ["other"],
        "platforms": [],
        "language": "km",
        "details_ciphertext": b"not read by statistics",
        **fields,
    }
    return Report.objects.create(created_at=when, updated_at=when, **values)


def state(report: Report, after_hours: float, from_state: str, to_state: str) -> None:
    CaseEvent.objects.create(
        report=report,
        at=report.created_at + timedelta(hours=after_hours),
        kind=CaseEvent.Kind.STATE,
        from_state=from_state,
        to_state=to_state,
    )


_entities = 0


def entity() -> Entity:
    global _entities
    _entities += 1
    return Entity.objects.create(
        kind=Kind.URL,
        digest=_entities.to_bytes(32, "big"),
        value_ciphertext=b"x",
        created_at=at("2026-01-01T00:00"),
    )


def target(report: Report, platform: Platform, *, removed_after_hours: float | None) -> Target:
    noticed = report.created_at + timedelta(hours=1)
    removed = (
        None if removed_after_hours is None else noticed + timedelta(hours=removed_after_hours)
    )
    return Target.objects.create(
        report=report,
        entity=entity(),
        platform=platform,
        state=Target.State.REMOVED if removed else Target.State.ONLINE,
        created_at=report.created_at,
        first_noticed_at=noticed,
        removed_at=removed,
    )


@dataclass
class Hotline:
    r1: Report
    r2: Report
    r3: Report
    r4: Report
    r5: Report
    r6: Report
    r8: Report


def build() -> Hotline:
    r1 = report(
        "2026-01-05T10:00",
        categories=["sextortion", "grooming"],
        platforms=["facebook", "telegram"],
        victim_age="13_15",
        victim_gender="female",
        province="kampot",
    )
    r2 = report(
        "2026-01-07T23:30",
        categories=["sextortion"],
        platforms=["facebook"],
        victim_age="under_13",
        victim_gender="male",
        province="phnom_penh",
        language="en",
        status="notice_sent",
    )
    r3 = report("2026-02-10T12:00", categories=["child_images"], status="no_action")
    r4 = report(
        "2026-03-31T23:59",
        categories=["sextortion"],
        platforms=["telegram"],
        victim_age="adult",
        victim_gender="female",
        province="outside",
        status="closed",
    )
    r5 = report("2026-04-01T00:00", categories=["sextortion"])  # the next quarter
    r6 = report("2025-02-01T09:00", categories=["grooming"])  # the same quarter last year
    report("2025-12-31T23:59", categories=["sextortion"])  # the day before the period
    r8 = report("2026-01-01T00:30")  # 2025-12-31 17:30 UTC, yet in the period

    state(r2, 1, "received", "in_review")
    state(r2, 5, "in_review", "assessed")
    state(r2, 29, "assessed", "notice_sent")
    state(r3, 10, "received", "no_action")
    state(r4, 2, "received", "assessed")
    state(r4, 3, "assessed", "notice_sent")
    state(r4, 50, "notice_sent", "closed")
    state(r5, 1, "received", "assessed")  # outside the period

    facebook = Platform.objects.create(code="dash_fb", name="Facebook", channel="none")
    telegram = Platform.objects.create(code="dash_tg", name="Telegram", channel="none")
    target(r1, facebook, removed_after_hours=4)
    target(r2, facebook, removed_after_hours=10)
    target(r2, facebook, removed_after_hours=None)
    Target.objects.create(
        report=r4,
        entity=entity(),
        platform=telegram,
        state=Target.State.UNCHECKABLE,
        created_at=r4.created_at,
    )
    target(r5, telegram, removed_after_hours=1)  # outside the period

    for member in (r1, r2, r6):
        ReportCluster.objects.create(report=member, label=r1.pk, computed_at=r1.created_at)
    ReportCluster.objects.create(report=r3, label=r3.pk, computed_at=r1.created_at)
    for member in (r4, r5):
        ReportCluster.objects.create(report=member, label=r4.pk, computed_at=r1.created_at)

    csam = Bank.objects.create(name="known", category="csam")
    ncii = Bank.objects.create(name="ncii", category="ncii")
    entries = [
        BankEntry.objects.create(bank=bank, hash_type="md5", value=f"{n:032x}")
        for n, bank in enumerate([csam, csam, ncii])
    ]
    for rep, entry in [(r1, entries[0]), (r1, entries[1]), (r2, entries[2]), (r5, entries[0])]:
        ReportMatch.objects.create(
            report=rep, entry=entry, hash_type="md5", query_value=entry.value, distance=0
        )
    return Hotline(r1=r1, r2=r2, r3=r3, r4=r4, r5=r5, r6=r6, r8=r8)
