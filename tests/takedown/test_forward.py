"""Forwarding a report to a partner hotline: JSON by e-mail, no reporter identity, tracked."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone
from notice_support import (
    REPORTER_SECRETS,
    ROLES,
    URL_UNKNOWN_HOST,
    Inbox,
    assessed_report,
    inbox,
    staff,
)

from hotline.directory.models import PartnerHotline
from hotline.hosting.models import HostTrace
from hotline.intake.choices import CaseState
from hotline.takedown.models import Notice
from hotline.takedown.notices import FORWARD_SCHEMA
from hotline.takedown.selectors import notice_body, notice_candidates, partner_choices
from hotline.takedown.sending import notice_deliver
from hotline.takedown.services import NoticeError, report_forward

__all__ = ["inbox"]

pytestmark = pytest.mark.django_db


def _partner(country: str = "DE", name: str = "Partner Hotline") -> PartnerHotline:
    return PartnerHotline.objects.create(
        name=name, country=country, email=f"reports@{country.lower()}.hotline.example"
    )


def _ids(actor: Any, report: Any) -> list[int]:
    return [
        c.entity.pk for g in notice_candidates(actor=actor, report=report) for c in g.candidates
    ]


def test_the_hosting_country_puts_its_partner_first() -> None:
    analyst = staff()
    report = assessed_report(analyst, (URL_UNKNOWN_HOST,))
    _partner("AU", "Australian partner")
    german = _partner("DE", "German partner")
    HostTrace.objects.create(
        host="files.badhost.example",
        traced_at=timezone.now(),
        addresses=[{"address": "203.0.113.9", "country": "DE", "owner": "Example GmbH"}],
    )
    partners, abroad = partner_choices(actor=analyst, report=report)
    assert abroad == ["DE"]
    assert partners[0] == german


def test_the_forward_is_json_by_email_without_the_reporter_and_moves_the_case(
    inbox: Inbox,
) -> None:
    analyst = staff()
    report = assessed_report(analyst)
    partner = _partner()
    HostTrace.objects.create(
        host="files.badhost.example",
        traced_at=timezone.now(),
        addresses=[{"address": "203.0.113.9", "country": "DE", "owner": "Example GmbH"}],
    )
    notice = report_forward(
        actor=analyst, report_id=report.pk, partner_id=partner.pk, entity_ids=_ids(analyst, report)
    )
    assert (notice.kind, notice.state, notice.recipient) == (
        "forward",
        "queued",
        partner.email,
    )
    notice_deliver(notice.pk)
    notice.refresh_from_db()
    assert notice.state == "sent"
    report.refresh_from_db()
    assert report.status == CaseState.SENT_TO_PARTNER
    (mail,) = inbox.mails
    assert mail["To"] == partner.email
    attachments = list(mail.iter_attachments())
    assert [a.get_content_type() for a in attachments] == ["application/json"]
    document = json.loads(attachments[0].get_content())
    assert document["schema"] == FORWARD_SCHEMA
    assert document["recipient_country"] == "DE"
    assert document["report"]["categories"] == ["sextortion"]
    values = {i["value"] for i in document["identifiers"]}
    assert "https://files.badhost.example/album/7731" in values
    hosted = next(i for i in document["identifiers"] if "badhost" in i["value"])
    assert hosted["hosting"]["countries"] == ["DE"]
    raw = mail.as_string() + json.dumps(document) + notice_body(actor=analyst, notice=notice)
    for secret in (*REPORTER_SECRETS, str(report.public_id)):
        assert secret not in raw
    assert set(document) == {
        "schema",
        "reference",
        "sender",
        "recipient_country",
        "created_at",
        "report",
        "identifiers",
    }


def test_a_second_forward_to_the_same_partner_is_refused() -> None:
    analyst = staff()
    report = assessed_report(analyst)
    partner = _partner()
    ids = _ids(analyst, report)
    report_forward(actor=analyst, report_id=report.pk, partner_id=partner.pk, entity_ids=ids)
    with pytest.raises(NoticeError, match="already"):
        report_forward(actor=analyst, report_id=report.pk, partner_id=partner.pk, entity_ids=ids)
    assert Notice.objects.count() == 1


@pytest.mark.parametrize("partner_id", [0, -1, 10**12])
def test_an_unknown_or_inactive_partner_is_refused(partner_id: int) -> None:
    analyst = staff()
    report = assessed_report(analyst)
    inactive = _partner()
    inactive.active = False
    inactive.save()
    for pid in (partner_id, inactive.pk):
        with pytest.raises(NoticeError, match="partner hotline"):
            report_forward(
                actor=analyst, report_id=report.pk, partner_id=pid, entity_ids=_ids(analyst, report)
            )
    assert not Notice.objects.exists()


def test_another_reports_identifiers_cannot_be_forwarded() -> None:
    analyst = staff()
    report = assessed_report(analyst, (URL_UNKNOWN_HOST,))
    other = assessed_report(analyst, ("https://t.me/another_group_1188",))
    with pytest.raises(NoticeError, match="not identifiers of this report"):
        report_forward(
            actor=analyst,
            report_id=report.pk,
            partner_id=_partner().pk,
            entity_ids=_ids(analyst, other),
        )
    assert not Notice.objects.exists()


@pytest.mark.parametrize("role", ROLES)
def test_only_roles_that_send_notices_forward(role: str) -> None:
    analyst = staff()
    report = assessed_report(analyst, (URL_UNKNOWN_HOST,))
    partner = _partner()
    ids = _ids(analyst, report)
    member = staff(f"m_{role}", role=role)
    if role in ("analyst", "senior_analyst"):
        report_forward(actor=member, report_id=report.pk, partner_id=partner.pk, entity_ids=ids)
        assert Notice.objects.count() == 1
    else:
        with pytest.raises(PermissionDenied):
            report_forward(actor=member, report_id=report.pk, partner_id=partner.pk, entity_ids=ids)
        assert not Notice.objects.exists()
