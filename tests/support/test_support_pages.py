"""The support pages: list (mine/all, follow-ups due first), the case page, and every form
with garbage, oversize and hostile input: a clear 400, nothing saved, never a 500."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from victim_support import help_report

from hotline.directory.models import SupportService
from hotline.support import services
from hotline.support.models import Consent, FollowUp, Referral, SupportCase, SupportNote
from staff_login import Staff, log_in, make_staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def worker_login(client: Client) -> Staff:
    staff = make_staff("carla", role="caseworker")
    log_in(client, staff)
    return staff


def _case() -> SupportCase:
    case = services.support_case_for_report(report_id=help_report().pk)
    assert case is not None
    return case


def _nothing_saved(case: SupportCase) -> tuple[int, ...]:
    case.refresh_from_db()
    return (
        Consent.objects.filter(case=case).count(),
        Referral.objects.filter(case=case).count(),
        FollowUp.objects.filter(case=case).count(),
        SupportNote.objects.filter(case=case).count(),
        hash((case.state, case.assignee_id, case.closure_reason)),
    )


def test_mine_lists_my_cases_with_due_follow_ups_first(client: Client, worker_login: Staff) -> None:
    me = worker_login.user
    later, due, other = _case(), _case(), _case()
    for case in (later, due):
        services.support_case_assign(actor=me, case=case, assignee=me)
    services.follow_up_add(actor=me, case=later, due_on=timezone.localdate() + timedelta(days=5))
    services.follow_up_add(actor=me, case=due, due_on=timezone.localdate())
    page = client.get("/staff/support/").content.decode()
    assert page.index(str(due.report.public_id)[:6]) < page.index(str(later.report.public_id)[:6])
    assert str(other.report.public_id)[:6] not in page
    assert 'id="support-due"' in page
    assert "1 follow-up of yours is due" in page
    everything = client.get("/staff/support/?show=all").content.decode()
    assert str(other.report.public_id)[:6] in everything


def test_forms_redirect_with_303_and_save(client: Client, worker_login: Staff) -> None:
    case = _case()
    service = SupportService.objects.create(name_en="S", kind="counselling", phone="1")
    url = f"/staff/support/{case.public_id}/"
    steps = [
        ("assign", {"assignee": "carla"}),
        ("move", {"to_state": "contacted", "expected": "open"}),
        ("consent", {"contact_by": "phone", "share_with_service": service.pk}),
        ("refer", {"service": service.pk}),
        ("follow-up", {"due_on": (timezone.localdate() + timedelta(days=3)).isoformat()}),
        ("note", {"body": "spoke to her ខ្ញុំ"}),
    ]
    for action, data in steps:
        response = client.post(url + action + "/", data)
        assert (response.status_code, response["Location"]) == (303, url), action
    referral = Referral.objects.get(case=case)
    assert (
        client.post(url + "outcome/", {"referral": referral.pk, "outcome": "accepted"}).status_code
        == 303
    )
    follow_up = FollowUp.objects.get(case=case)
    assert (
        client.post(url + "follow-up-done/", {"follow_up": follow_up.public_id}).status_code == 303
    )
    assert client.post(url + "close/", {"reason": "helped"}).status_code == 303
    case.refresh_from_db()
    assert case.state == "closed"
    assert case.assignee == worker_login.user
    page = client.get(url).content.decode()
    assert "spoke to her ខ្ញុំ" in page
    assert "The service took it on" in page


BAD = [
    ("follow-up", {"due_on": "yesterday"}),
    ("follow-up", {"due_on": "2020-01-01"}),
    ("follow-up", {"due_on": "9999-12-31"}),
    ("follow-up", {"due_on": "2026-13-45"}),
    ("follow-up", {"due_on": "'; DROP TABLE support_followup; --"}),
    ("follow-up", {"due_on": "2\x00026-01-01"}),
    ("follow-up", {}),
    ("note", {"body": ""}),
    ("note", {"body": "x" * (services.MAX_NOTE_CHARS + 1)}),
    ("note", {"body": "\x00\x00"}),
    ("assign", {"assignee": "nobody-here"}),
    ("assign", {"assignee": "x" * 500}),
    ("move", {"to_state": "closed", "expected": "open"}),
    ("move", {"to_state": "<script>", "expected": "open"}),
    ("move", {"to_state": "contacted", "expected": "referred"}),
    ("close", {"reason": "because I said so"}),
    ("close", {}),
    ("consent", {"contact_by": "pigeon"}),
    ("consent", {"contact_by": "phone", "share_with_service": "999999"}),
    ("consent", {"contact_by": "phone", "share_with_service": "-1 OR 1=1"}),
    ("refer", {"service": "999999"}),
    ("refer", {"service": ""}),
    ("outcome", {"referral": "abc", "outcome": "accepted"}),
    ("outcome", {"referral": "99999999999999999999", "outcome": "accepted"}),
    ("outcome", {"referral": "1", "outcome": "pending"}),
    ("follow-up-done", {"follow_up": "not-a-uuid"}),
    ("follow-up-done", {"follow_up": "00000000-0000-0000-0000-000000000000"}),
]


@pytest.mark.parametrize(("action", "data"), BAD)
def test_bad_input_is_refused_clearly_and_nothing_is_saved(
    client: Client, worker_login: Staff, action: str, data: dict[str, str]
) -> None:
    case = _case()
    before = _nothing_saved(case)
    response = client.post(f"/staff/support/{case.public_id}/{action}/", data)
    assert response.status_code == 400, response.content[:300]
    assert b'role="alert"' in response.content
    assert _nothing_saved(case) == before


def test_another_cases_ids_are_refused_on_the_page(client: Client, worker_login: Staff) -> None:
    me = worker_login.user
    mine, theirs = _case(), _case()
    service = SupportService.objects.create(name_en="S", kind="counselling", phone="1")
    services.consent_record(
        actor=me,
        case=theirs,
        contact_by="phone",
        share_with_police=False,
        share_with_service=service,
    )
    referral = services.referral_make(actor=me, case=theirs, service=service)
    follow_up = services.follow_up_add(actor=me, case=theirs, due_on=timezone.localdate())
    url = f"/staff/support/{mine.public_id}/"
    assert (
        client.post(url + "outcome/", {"referral": referral.pk, "outcome": "declined"}).status_code
        == 400
    )
    assert (
        client.post(url + "follow-up-done/", {"follow_up": follow_up.public_id}).status_code == 400
    )
    referral.refresh_from_db()
    follow_up.refresh_from_db()
    assert referral.outcome == "pending"
    assert follow_up.done_at is None


@pytest.mark.parametrize(
    "path",
    [
        "/staff/support/not-a-uuid/",
        "/staff/support/00000000-0000-0000-0000-000000000000/",
        "/staff/support/%00/",
    ],
)
def test_garbage_case_ids_are_404(client: Client, worker_login: Staff, path: str) -> None:
    assert client.get(path).status_code == 404


def test_unknown_actions_and_gets_are_refused(client: Client, worker_login: Staff) -> None:
    case = _case()
    assert client.post(f"/staff/support/{case.public_id}/explode/", {}).status_code == 404
    assert client.get(f"/staff/support/{case.public_id}/note/").status_code == 405


@pytest.mark.parametrize(
    "value", ["", "garbage", "00000000-0000-0000-0000-000000000000", "x" * 5000, "\x00"]
)
def test_opening_by_hand_needs_a_real_report_number(
    client: Client, worker_login: Staff, value: str
) -> None:
    response = client.post("/staff/support/", {"report": value})
    assert response.status_code == 400
    assert b'role="alert"' in response.content
    assert not SupportCase.objects.exists()


def test_opening_by_hand_goes_to_the_new_case(client: Client, worker_login: Staff) -> None:
    report = help_report(help_wanted=())
    response = client.post("/staff/support/", {"report": str(report.public_id)})
    case = SupportCase.objects.get(report=report)
    assert (response.status_code, response["Location"]) == (
        303,
        f"/staff/support/{case.public_id}/",
    )


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(body=st.text(max_size=300), due=st.text(max_size=40))
def test_any_note_or_date_text_never_breaks_the_page(
    client: Client, worker_login: Staff, body: str, due: str
) -> None:
    case = SupportCase.objects.first() or _case()
    url = f"/staff/support/{case.public_id}/"
    assert client.post(url + "note/", {"body": body}).status_code in (303, 400)
    assert client.post(url + "follow-up/", {"due_on": due}).status_code in (303, 400)
