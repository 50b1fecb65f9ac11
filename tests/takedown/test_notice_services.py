"""Takedown notices: built per platform, nothing about the reporter, sent once through real
SMTP, retried when the server is down, recorded, cancelled, escalated once."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.test import override_settings
from django.utils import timezone
from notice_support import (
    FACEBOOK_PAGE,
    REPORTER_SECRETS,
    ROLES,
    TELEGRAM_GROUP,
    URL_UNKNOWN_HOST,
    Inbox,
    assessed_report,
    inbox,
    smtp_settings,
    staff,
)

from hotline.accounts.models import User
from hotline.audit.models import AuditEvent
from hotline.directory.models import Platform
from hotline.intake.choices import CaseState
from hotline.takedown import sending
from hotline.takedown.models import Notice, Target
from hotline.takedown.notices import notice_reference, template_name
from hotline.takedown.selectors import notice_body, notice_candidates
from hotline.takedown.sending import NoticeNotSent, notice_deliver
from hotline.takedown.services import (
    NoticeError,
    notice_answer_record,
    notice_cancel,
    notice_retry,
    notice_submitted,
    notices_create,
    notices_escalate_due,
)
from process_helpers import free_port

__all__ = ["inbox"]

pytestmark = pytest.mark.django_db


def _entity_ids(report: Any, *values: str) -> list[int]:
    reader = User.objects.filter(username="reader").first() or staff("reader")
    groups = notice_candidates(actor=reader, report=report)
    return [c.entity.pk for g in groups for c in g.candidates if c.value in values or not values]


def _telegram_notice(analyst: Any, report: Any, language: str = "en") -> Notice:
    ids = [
        c.entity.pk
        for g in notice_candidates(actor=analyst, report=report)
        for c in g.candidates
        if g.platform is not None and g.platform.code == "telegram"
    ]
    return notices_create(
        actor=analyst, report_id=report.pk, entity_ids=ids, language=language
    ).notices[0]


def test_identifiers_are_grouped_by_platform_and_an_unknown_host_is_a_manual_step() -> None:
    analyst = staff()
    report = assessed_report(analyst)
    groups = notice_candidates(actor=analyst, report=report)
    by_code = {g.platform.code if g.platform else None: g for g in groups}
    assert set(by_code) == {"telegram", "facebook", None}
    unknown = by_code[None].candidates[0]
    assert not unknown.sendable
    assert (
        "No platform or host in the directory for files.badhost.example" in unknown.route.missing[0]
    )


def test_one_notice_per_platform_with_targets_and_nothing_about_the_reporter() -> None:
    analyst = staff()
    report = assessed_report(analyst)
    sendable = [
        c.entity.pk
        for g in notice_candidates(actor=analyst, report=report)
        for c in g.candidates
        if c.sendable
    ]
    created = notices_create(actor=analyst, report_id=report.pk, entity_ids=sendable).notices
    assert sorted(n.platform.code for n in created) == ["facebook", "telegram"]
    telegram = next(n for n in created if n.platform.code == "telegram")
    facebook = next(n for n in created if n.platform.code == "facebook")
    assert (telegram.channel, telegram.state, telegram.recipient) == (
        "email",
        "queued",
        "stopCA@telegram.org",
    )
    assert (facebook.channel, facebook.state) == ("web_form", "to_submit")
    assert facebook.recipient == Platform.objects.get(code="facebook").web_form_url
    assert Target.objects.filter(report=report).count() == 2
    for notice in created:
        body = notice_body(actor=analyst, notice=notice)
        assert notice_reference(notice.public_id) in body
        assert notice_reference(notice.public_id) in notice.subject
        assert "Law on Suppression of Human Trafficking and Sexual Exploitation" in body
        for secret in (*REPORTER_SECRETS, str(report.public_id)):
            assert secret not in body
            assert secret not in notice.subject
    assert "t.me/cambo_leaks_9932" in notice_body(actor=analyst, notice=telegram)
    assert "facebook.com/some.page.4471" in notice_body(actor=analyst, notice=facebook)
    # The text is stored encrypted, not in clear.
    assert b"cambo_leaks" not in bytes(Notice.objects.get(pk=telegram.pk).body_ciphertext)


def test_khmer_notice_uses_the_khmer_template_and_a_platform_without_one_falls_back() -> None:
    assert template_name("telegram", "en") == "telegram.en.txt"
    assert template_name("telegram", "km") == "generic.km.txt"
    assert template_name("mega", "en") == "generic.en.txt"
    assert template_name("../../etc/passwd", "xx") == "generic.en.txt"
    analyst = staff()
    report = assessed_report(analyst)
    notice = _telegram_notice(analyst, report, language="km")
    body = notice_body(actor=analyst, notice=notice)
    assert "មូលដ្ឋានច្បាប់" in body
    assert "t.me/cambo_leaks_9932" in body


def test_a_report_not_assessed_yet_cannot_be_noticed() -> None:
    analyst = staff()
    report = assessed_report(analyst)
    report.status = CaseState.IN_REVIEW
    report.save(update_fields=["status"])
    with pytest.raises(NoticeError, match="assessed"):
        notices_create(actor=analyst, report_id=report.pk, entity_ids=_entity_ids(report)[:1])
    assert not Notice.objects.exists()


def test_another_reports_identifier_or_an_unknown_host_is_refused_and_nothing_is_saved() -> None:
    analyst = staff()
    mine = assessed_report(analyst, (TELEGRAM_GROUP,))
    other = assessed_report(analyst, ("https://t.me/another_group_1188",))
    theirs = _entity_ids(other)
    with pytest.raises(NoticeError, match="not identifiers of this report"):
        notices_create(actor=analyst, report_id=mine.pk, entity_ids=_entity_ids(mine) + theirs)
    with pytest.raises(NoticeError, match="not identifiers of this report"):
        notices_create(actor=analyst, report_id=mine.pk, entity_ids=[10**9])
    unknown = assessed_report(analyst, (URL_UNKNOWN_HOST,))
    with pytest.raises(NoticeError, match="no platform"):
        notices_create(actor=analyst, report_id=unknown.pk, entity_ids=_entity_ids(unknown))
    with pytest.raises(NoticeError, match="at least one"):
        notices_create(actor=analyst, report_id=mine.pk, entity_ids=[])
    with pytest.raises(NoticeError, match="English or Khmer"):
        notices_create(
            actor=analyst, report_id=mine.pk, entity_ids=_entity_ids(mine), language="fr"
        )
    assert not Notice.objects.exists()
    assert not Target.objects.exists()


def test_a_second_first_notice_about_the_same_identifier_is_refused() -> None:
    analyst = staff()
    report = assessed_report(analyst, (TELEGRAM_GROUP,))
    _telegram_notice(analyst, report)
    with pytest.raises(NoticeError, match="exists already"):
        notices_create(actor=analyst, report_id=report.pk, entity_ids=_entity_ids(report))
    assert Notice.objects.count() == 1


@pytest.mark.parametrize("role", ROLES)
def test_only_analysts_and_senior_analysts_send_notices(role: str) -> None:
    analyst = staff()
    report = assessed_report(analyst, (TELEGRAM_GROUP,))
    member = staff(f"member_{role}", role=role)
    ids = _entity_ids(report)
    if role in ("analyst", "senior_analyst"):
        assert notices_create(actor=member, report_id=report.pk, entity_ids=ids).notices
    else:
        with pytest.raises(PermissionDenied):
            notices_create(actor=member, report_id=report.pk, entity_ids=ids)
        with pytest.raises(PermissionDenied):
            notice_candidates(actor=member, report=report)
        assert not Notice.objects.exists()


def test_the_worker_sends_once_through_smtp_and_the_case_moves_to_notice_sent(
    inbox: Inbox,
) -> None:
    analyst = staff()
    report = assessed_report(analyst, (TELEGRAM_GROUP,))
    notice = _telegram_notice(analyst, report)
    notice_deliver(notice.pk)
    notice_deliver(notice.pk)  # a second delivery of the task: nothing more
    assert len(inbox.mails) == 1
    mail = inbox.mails[0]
    assert mail["To"] == "stopCA@telegram.org"
    assert mail["Message-ID"] == sending.message_id(notice)
    assert str(notice.idempotency_key) in mail["Message-ID"]
    text = mail.get_body(preferencelist=("plain",)).get_content()
    assert "t.me/cambo_leaks_9932" in text
    for secret in REPORTER_SECRETS:
        assert secret not in text
    notice.refresh_from_db()
    assert (notice.state, notice.attempts) == ("sent", 1)
    assert notice.sent_at is not None
    target = notice.targets.get()
    assert target.first_noticed_at == notice.sent_at
    report.refresh_from_db()
    assert report.status == CaseState.NOTICE_SENT
    actions = list(
        AuditEvent.objects.filter(target_id=str(notice.public_id)).values_list("action", flat=True)
    )
    assert actions == ["takedown.notice_created", "takedown.notice_sent"]


def test_smtp_down_keeps_the_notice_queued_then_failed_and_nothing_is_marked_sent() -> None:
    analyst = staff()
    report = assessed_report(analyst, (TELEGRAM_GROUP,))
    notice = _telegram_notice(analyst, report)
    with override_settings(MAILERS=smtp_settings(free_port()), HOTLINE_TASK_MAX_ATTEMPTS=3):
        for attempt in (1, 2):
            with pytest.raises(NoticeNotSent):
                notice_deliver(notice.pk)
            notice.refresh_from_db()
            assert (notice.state, notice.attempts, notice.sent_at) == ("queued", attempt, None)
            assert notice.send_started_at is None
            assert "not reachable" in notice.last_error
        notice_deliver(notice.pk)  # the last attempt: failed, for an analyst to see
    notice.refresh_from_db()
    assert (notice.state, notice.sent_at) == ("failed", None)
    report.refresh_from_db()
    assert report.status == CaseState.ASSESSED


def test_a_refusing_server_is_retried_and_the_notice_is_sent_once(inbox: Inbox) -> None:
    analyst = staff()
    report = assessed_report(analyst, (TELEGRAM_GROUP,))
    notice = _telegram_notice(analyst, report)
    inbox.refuse = 1
    with pytest.raises(NoticeNotSent, match="refused"):
        notice_deliver(notice.pk)
    notice.refresh_from_db()
    assert notice.state == "queued"
    notice_deliver(notice.pk)
    notice.refresh_from_db()
    assert (notice.state, notice.attempts, len(inbox.mails)) == ("sent", 2, 1)


def test_a_claim_left_by_a_dead_worker_is_not_sent_again_and_an_analyst_decides(
    inbox: Inbox,
) -> None:
    analyst = staff()
    report = assessed_report(analyst, (TELEGRAM_GROUP,))
    notice = _telegram_notice(analyst, report)
    # What a worker killed after the claim (maybe after the server took the mail) leaves.
    Notice.objects.filter(pk=notice.pk).update(send_started_at=timezone.now(), attempts=1)
    notice_deliver(notice.pk)
    notice.refresh_from_db()
    assert notice.state == "failed"
    assert "may have received it" in notice.last_error
    assert inbox.mails == []
    notice_retry(actor=analyst, notice_id=notice.pk)
    notice_deliver(notice.pk)
    notice.refresh_from_db()
    assert (notice.state, len(inbox.mails)) == ("sent", 1)


def test_a_cancelled_notice_is_not_sent(inbox: Inbox) -> None:
    analyst = staff()
    report = assessed_report(analyst, (TELEGRAM_GROUP,))
    notice = _telegram_notice(analyst, report)
    notice_cancel(actor=analyst, notice_id=notice.pk)
    notice_deliver(notice.pk)
    notice.refresh_from_db()
    assert notice.state == "cancelled"
    assert inbox.mails == []
    with pytest.raises(NoticeError):
        notice_cancel(actor=analyst, notice_id=notice.pk)


def test_a_web_form_notice_is_sent_when_an_analyst_says_it_was_submitted() -> None:
    analyst = staff()
    report = assessed_report(analyst, (FACEBOOK_PAGE,))
    notice = notices_create(
        actor=analyst, report_id=report.pk, entity_ids=_entity_ids(report)
    ).notices[0]
    assert notice.state == "to_submit"
    with pytest.raises(NoticeError):
        notice_answer_record(actor=analyst, notice_id=notice.pk, ticket="1", answer="")
    notice_submitted(actor=analyst, notice_id=notice.pk, ticket="  FB-2231  ")
    notice.refresh_from_db()
    assert (notice.state, notice.ticket, notice.sent_by) == ("sent", "FB-2231", analyst)
    report.refresh_from_db()
    assert report.status == CaseState.NOTICE_SENT
    with pytest.raises(NoticeError, match="not waiting"):
        notice_submitted(actor=analyst, notice_id=notice.pk)
    notice_answer_record(
        actor=analyst, notice_id=notice.pk, ticket="FB-2231", answer="We removed the page."
    )
    notice.refresh_from_db()
    assert b"removed the page" not in bytes(notice.answer_ciphertext)
    assert notice.answered_by == analyst
    details = [str(e.details) for e in AuditEvent.objects.filter(target_id=str(notice.public_id))]
    assert details
    assert not any("removed the page" in d or "FB-2231" in d for d in details)


def _sent_telegram(analyst: Any, report: Any, inbox: Inbox) -> Notice:
    notice = _telegram_notice(analyst, report)
    notice_deliver(notice.pk)
    notice.refresh_from_db()
    assert notice.state == "sent"
    return notice


def test_an_escalation_is_queued_once_per_level_and_follows_the_previous_notice(
    inbox: Inbox,
) -> None:
    analyst = staff()
    report = assessed_report(analyst, (TELEGRAM_GROUP, "https://t.me/second_group_5521"))
    first = _sent_telegram(analyst, report, inbox)
    assert notices_escalate_due(timezone.now()) == 0  # nothing due yet
    Target.objects.filter(report=report).update(escalation_level=1)
    assert notices_escalate_due(timezone.now()) == 1
    assert notices_escalate_due(timezone.now()) == 0  # running twice: no second escalation
    second = Notice.objects.get(escalation_level=1)
    assert (second.follows, second.created_by, second.state) == (first, None, "queued")
    assert second.recipient == "stopCA@telegram.org"
    assert set(second.targets.all()) == set(first.targets.all())
    assert "SECOND REQUEST" in notice_body(actor=analyst, notice=second)
    notice_deliver(second.pk)
    assert inbox.mails[-1]["In-Reply-To"] == sending.message_id(first)
    Target.objects.filter(report=report).update(escalation_level=2)
    assert notices_escalate_due(timezone.now() + timedelta(days=3)) == 1
    final = Notice.objects.get(escalation_level=2)
    assert final.follows == Notice.objects.get(pk=second.pk)
    assert "FINAL REQUEST" in notice_body(actor=analyst, notice=final)
    assert notices_escalate_due(timezone.now()) == 0


def test_a_removed_target_is_not_escalated(inbox: Inbox) -> None:
    analyst = staff()
    report = assessed_report(analyst, (TELEGRAM_GROUP,))
    _sent_telegram(analyst, report, inbox)
    Target.objects.filter(report=report).update(
        escalation_level=1, state=Target.State.REMOVED, removed_at=timezone.now()
    )
    assert notices_escalate_due(timezone.now()) == 0


def test_an_unknown_host_becomes_sendable_once_an_administrator_adds_its_platform() -> None:
    analyst = staff()
    report = assessed_report(analyst, (URL_UNKNOWN_HOST,))
    (group,) = notice_candidates(actor=analyst, report=report)
    assert group.platform is None
    assert not group.candidates[0].sendable
    Platform.objects.create(
        code="badhost",
        name="Badhost Files",
        channel="email",
        abuse_email="abuse@badhost.example",
        hostnames=["badhost.example"],
    )
    (group,) = notice_candidates(actor=analyst, report=report)
    assert group.platform is not None
    assert group.candidates[0].sendable
    notice = notices_create(
        actor=analyst, report_id=report.pk, entity_ids=[group.candidates[0].entity.pk]
    ).notices[0]
    assert (notice.recipient, notice.state) == ("abuse@badhost.example", "queued")
    assert "Badhost Files" in notice_body(actor=analyst, notice=notice)
