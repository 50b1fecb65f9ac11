"""The notice pages: one step from the report, the text to paste, answers; every field with
garbage, oversize and hostile input gets a clear 400 with nothing half-saved, never a 500;
roles without `send_notices` get 403."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from notice_support import (
    FACEBOOK_PAGE,
    REPORTER_SECRETS,
    ROLES,
    TELEGRAM_GROUP,
    assessed_report,
)

from hotline.directory.models import PartnerHotline
from hotline.takedown.models import Notice, Target
from hotline.takedown.selectors import notice_candidates
from hotline.takedown.services import NoticeError, notice_answer_record, notices_create
from staff_login import staff_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def analyst() -> tuple[Client, Any]:
    client, member = staff_client("analyst")
    return client, member.user


def _ids(actor: Any, report: Any) -> list[int]:
    return [
        c.entity.pk for g in notice_candidates(actor=actor, report=report) for c in g.candidates
    ]


def test_the_report_page_sends_a_notice_in_one_step_and_shows_it(
    analyst: tuple[Client, Any],
) -> None:
    client, user = analyst
    report = assessed_report(user)
    page = client.get(f"/staff/reports/{report.public_id}/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "Send a takedown notice" in text
    assert "add a platform to the directory" in text  # the unknown host's manual step
    telegram = next(
        c.entity.pk
        for g in notice_candidates(actor=user, report=report)
        for c in g.candidates
        if g.platform and g.platform.code == "telegram"
    )
    sent = client.post(
        f"/staff/notices/reports/{report.public_id}/new/",
        {"targets": [str(telegram)], "language": "en"},
    )
    assert sent.status_code == 303
    notice = Notice.objects.get()
    assert sent["Location"] == f"/staff/notices/{notice.public_id}/"
    shown = client.get(sent["Location"]).content.decode()
    assert "t.me/cambo_leaks_9932" in shown
    assert "OH-N-" in shown
    listed = client.get("/staff/notices/?state=queued").content.decode()
    assert str(notice.public_id) in listed
    assert str(notice.public_id) not in client.get("/staff/notices/?state=sent").content.decode()
    report_page = client.get(f"/staff/reports/{report.public_id}/").content.decode()
    assert "Queued" in report_page


def test_a_web_form_notice_shows_the_form_address_and_text_and_is_marked_submitted(
    analyst: tuple[Client, Any],
) -> None:
    client, user = analyst
    report = assessed_report(user, (FACEBOOK_PAGE,))
    notice = notices_create(actor=user, report_id=report.pk, entity_ids=_ids(user, report)).notices[
        0
    ]
    page = client.get(f"/staff/notices/{notice.public_id}/").content.decode()
    assert "Submit it by hand" in page
    assert f"<code data-copy>{notice.recipient}</code>" in page
    assert re.search(r'<pre id="notice-text"[^>]*data-copy>[^<]*facebook.com/some.page.4471', page)
    assert "copy-notice.js" in page
    for secret in REPORTER_SECRETS:
        assert secret not in page
    done = client.post(f"/staff/notices/{notice.public_id}/submitted/", {"ticket": "FB-99"})
    assert done.status_code == 303
    notice.refresh_from_db()
    assert (notice.state, notice.ticket) == ("sent", "FB-99")
    answered = client.post(
        f"/staff/notices/{notice.public_id}/answer/",
        {"ticket": "FB-99", "answer": "Removed on review."},
    )
    assert answered.status_code == 303
    assert (
        "Removed on review." in client.get(f"/staff/notices/{notice.public_id}/").content.decode()
    )


@pytest.mark.parametrize("role", ROLES)
def test_pages_refuse_roles_without_send_notices(role: str) -> None:
    _, owner = staff_client("owner")
    report = assessed_report(owner.user, (TELEGRAM_GROUP,))
    notice = notices_create(
        actor=owner.user, report_id=report.pk, entity_ids=_ids(owner.user, report)
    ).notices[0]
    client, _ = staff_client(f"m_{role}", role=role)
    urls = [
        ("get", "/staff/notices/", {}),
        ("get", f"/staff/notices/reports/{report.public_id}/", {}),
        ("get", f"/staff/notices/{notice.public_id}/", {}),
        ("post", f"/staff/notices/reports/{report.public_id}/new/", {"language": "en"}),
        ("post", f"/staff/notices/{notice.public_id}/cancel/", {}),
    ]
    allowed = role in ("analyst", "senior_analyst")
    for method, url, data in urls:
        response = getattr(client, method)(url, data)
        if allowed:
            assert response.status_code in (200, 303, 400), (url, response.status_code)
        else:
            assert response.status_code == 403, (url, response.status_code)
    notice.refresh_from_db()
    assert notice.state == ("cancelled" if allowed else "queued")


GARBAGE_IDS = ["abc", "-1", "0", "99999999999999999999", "1; DROP TABLE x", "\x00", "١٢", ""]


@pytest.mark.parametrize("target", GARBAGE_IDS)
def test_garbage_target_choices_are_refused_with_nothing_saved(
    analyst: tuple[Client, Any], target: str
) -> None:
    client, user = analyst
    report = assessed_report(user, (TELEGRAM_GROUP,))
    response = client.post(
        f"/staff/notices/reports/{report.public_id}/new/", {"targets": [target], "language": "en"}
    )
    assert response.status_code == 400
    assert not Notice.objects.exists()
    assert not Target.objects.exists()


def test_another_reports_target_or_a_bad_language_is_refused(analyst: tuple[Client, Any]) -> None:
    client, user = analyst
    mine = assessed_report(user, (TELEGRAM_GROUP,))
    other = assessed_report(user, ("https://t.me/another_group_1188",))
    url = f"/staff/notices/reports/{mine.public_id}/new/"
    theirs = [str(i) for i in _ids(user, other)]
    assert client.post(url, {"targets": theirs, "language": "en"}).status_code == 400
    own = [str(i) for i in _ids(user, mine)]
    for language in ("fr", "", "km" * 500, "<script>"):
        assert client.post(url, {"targets": own, "language": language}).status_code == 400
    # Oversize: more fields than the server takes is a 400; repeats of one choice count once.
    assert client.post(url, {"targets": own * 1000, "language": "en"}).status_code == 400
    assert not Notice.objects.exists()
    assert client.post(url, {"targets": own * 3, "language": "en"}).status_code == 303
    assert Notice.objects.count() == 1


@pytest.mark.parametrize(
    "path",
    [
        "/staff/notices/reports/not-a-uuid/",
        "/staff/notices/reports/00000000-0000-0000-0000-000000000000/",
        "/staff/notices/00000000-0000-0000-0000-000000000000/",
        "/staff/notices/00000000-0000-0000-0000-000000000000/cancel/",
    ],
)
def test_garbage_ids_in_addresses_are_404(analyst: tuple[Client, Any], path: str) -> None:
    client, _ = analyst
    assert client.get(path).status_code in (404, 405)
    assert client.post(path, {}).status_code in (404, 405)


def test_unknown_actions_and_wrong_state_actions_are_clear_refusals(
    analyst: tuple[Client, Any],
) -> None:
    client, user = analyst
    report = assessed_report(user, (TELEGRAM_GROUP,))
    notice = notices_create(actor=user, report_id=report.pk, entity_ids=_ids(user, report)).notices[
        0
    ]
    base = f"/staff/notices/{notice.public_id}"
    assert client.post(f"{base}/explode/", {}).status_code == 404
    assert client.get(f"{base}/cancel/").status_code == 405
    # An e-mail notice is not "submitted" by hand; a queued one has no answer; no retry.
    for action in ("submitted", "answer", "retry"):
        response = client.post(f"{base}/{action}/", {"ticket": "1", "answer": "x"})
        assert response.status_code == 400, action
    notice.refresh_from_db()
    assert (notice.state, notice.ticket) == ("queued", "")


@pytest.mark.parametrize(
    ("fields", "why"),
    [
        ({"ticket": "T" * 121, "answer": "ok"}, "ticket too long"),
        ({"ticket": "", "answer": "x" * 10_001}, "answer too long"),
        ({"ticket": "", "answer": ""}, "empty"),
        ({"ticket": "\x00", "answer": ""}, "NUL ticket"),
        ({"ticket": "ok", "answer": "a\x00b"}, "NUL answer"),
        ({"ticket": "\u202e\u0007bell", "answer": ""}, "control characters"),
    ],
)
def test_bad_answers_and_tickets_are_refused_with_nothing_saved(
    analyst: tuple[Client, Any], fields: dict[str, str], why: str
) -> None:
    client, user = analyst
    report = assessed_report(user, (FACEBOOK_PAGE,))
    notice = notices_create(actor=user, report_id=report.pk, entity_ids=_ids(user, report)).notices[
        0
    ]
    bad_submit = client.post(f"/staff/notices/{notice.public_id}/submitted/", {"ticket": "T" * 500})
    assert bad_submit.status_code == 400
    notice.refresh_from_db()
    assert notice.state == "to_submit"
    client.post(f"/staff/notices/{notice.public_id}/submitted/", {"ticket": ""})
    response = client.post(f"/staff/notices/{notice.public_id}/answer/", fields)
    assert response.status_code == 400, why
    notice.refresh_from_db()
    assert (notice.answered_at, notice.answer_ciphertext, notice.ticket) == (None, None, "")


@pytest.mark.parametrize(
    "query", ["state=bogus", "platform=abc", "platform=-1%00", "kind=x", "page=-5"]
)
def test_the_notice_list_filter_refuses_garbage_without_a_500(
    analyst: tuple[Client, Any], query: str
) -> None:
    client, _ = analyst
    response = client.get(f"/staff/notices/?{query}")
    assert response.status_code in (200, 400)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(ticket=st.text(max_size=200), answer=st.text(max_size=300))
def test_any_answer_text_is_stored_or_refused_cleanly(
    analyst: tuple[Client, Any], ticket: str, answer: str
) -> None:
    _, user = analyst
    notice = Notice.objects.filter(state="sent").first()
    if notice is None:
        report = assessed_report(user, (FACEBOOK_PAGE,))
        notice = notices_create(
            actor=user, report_id=report.pk, entity_ids=_ids(user, report)
        ).notices[0]
        Notice.objects.filter(pk=notice.pk).update(state="sent", sent_at=notice.created_at)
    try:
        notice_answer_record(actor=user, notice_id=notice.pk, ticket=ticket, answer=answer)
    except NoticeError:
        return
    notice.refresh_from_db()
    assert notice.answered_at is not None


@pytest.mark.parametrize(
    "partner", ["", "abc", "-1", "0", "99999999999999999999", "1 OR 1=1", "\x00", "٣"]
)
def test_garbage_partner_choices_are_refused_with_nothing_saved(
    analyst: tuple[Client, Any], partner: str
) -> None:
    client, user = analyst
    PartnerHotline.objects.create(name="German partner", country="DE", email="r@de.example")
    report = assessed_report(user, (TELEGRAM_GROUP,))
    response = client.post(
        f"/staff/notices/reports/{report.public_id}/forward/",
        {"partner": partner, "targets": [str(i) for i in _ids(user, report)]},
    )
    assert response.status_code == 400
    assert not Notice.objects.exists()


def test_a_forward_from_the_page_is_queued_and_listed_by_kind(
    analyst: tuple[Client, Any],
) -> None:
    client, user = analyst
    partner = PartnerHotline.objects.create(
        name="German partner", country="DE", email="r@de.example"
    )
    report = assessed_report(user, (TELEGRAM_GROUP,))
    other = assessed_report(user, ("https://t.me/another_group_1188",))
    url = f"/staff/notices/reports/{report.public_id}/forward/"
    theirs = [str(i) for i in _ids(user, other)]
    assert client.post(url, {"partner": partner.pk, "targets": theirs}).status_code == 400
    mine = [str(i) for i in _ids(user, report)]
    response = client.post(url, {"partner": partner.pk, "targets": mine})
    assert response.status_code == 303
    notice = Notice.objects.get()
    assert notice.kind == "forward"
    assert str(notice.public_id) in client.get("/staff/notices/?kind=forward").content.decode()
    assert str(notice.public_id) not in client.get("/staff/notices/?kind=takedown").content.decode()
    page = client.get(f"/staff/notices/{notice.public_id}/").content.decode()
    assert "openhotline.forward/1" in page
    for secret in REPORTER_SECRETS:
        assert secret not in page
