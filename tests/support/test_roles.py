"""Every role against every support read and write: allowed where the matrix says, refused
(PermissionDenied in the service, 403 on the page) everywhere else, nothing changed."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.utils import timezone
from victim_support import ROLES, help_report

from hotline.accounts.models import User
from hotline.directory.models import SupportService
from hotline.support import selectors, services
from hotline.support.models import SupportCase
from staff_login import log_in, make_staff

pytestmark = pytest.mark.django_db

READERS = {"senior_analyst", "caseworker"}
WRITERS = {"caseworker"}


def _case() -> SupportCase:
    case = services.support_case_for_report(report_id=help_report().pk)
    assert case is not None
    return case


def _service() -> SupportService:
    return SupportService.objects.create(name_en="S", kind="counselling", phone="1")


WRITES: dict[str, Callable[[User, SupportCase], Any]] = {
    "open": lambda u, c: services.support_case_open(actor=u, report=help_report(help_wanted=())),
    "assign": lambda u, c: services.support_case_assign(actor=u, case=c, assignee=None),
    "move": lambda u, c: services.support_case_move(
        actor=u, case=c, to_state="contacted", expected="open"
    ),
    "close": lambda u, c: services.support_case_close(actor=u, case=c, reason="helped"),
    "consent": lambda u, c: services.consent_record(
        actor=u, case=c, contact_by="phone", share_with_police=False, share_with_service=None
    ),
    "refer": lambda u, c: services.referral_make(actor=u, case=c, service=_service()),
    "outcome": lambda u, c: services.referral_outcome_set(
        actor=u, case=c, referral_id=1, outcome="accepted"
    ),
    "follow_up": lambda u, c: services.follow_up_add(
        actor=u, case=c, due_on=timezone.localdate() + timedelta(days=1)
    ),
    "follow_up_done": lambda u, c: services.follow_up_done(
        actor=u, case=c, follow_up_id="00000000-0000-0000-0000-000000000000"
    ),
    "note": lambda u, c: services.note_add(actor=u, case=c, body="a note"),
}

READS: dict[str, Callable[[User, SupportCase], Any]] = {
    "list": lambda u, c: selectors.support_case_rows(actor=u, mine=False),
    "due": lambda u, c: selectors.follow_ups_due_count(actor=u),
    "get": lambda u, c: selectors.support_case_get(actor=u, public_id=str(c.public_id)),
    "page": lambda u, c: selectors.support_case_page(actor=u, case=c),
}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("write", sorted(WRITES))
def test_support_writes_follow_the_matrix(role: str, write: str) -> None:
    user = make_staff(f"u_{role}", role=role).user
    case = _case()
    before = SupportCase.objects.count(), case.consents.count(), case.notes.count()
    if role in WRITERS:
        # Allowed; it may still be refused for a reason of the case (no such referral...).
        with contextlib.suppress(services.SupportError):
            WRITES[write](user, case)
    else:
        with pytest.raises(PermissionDenied):
            WRITES[write](user, case)
        case.refresh_from_db()
        assert case.state == "open"
        assert (SupportCase.objects.count(), case.consents.count(), case.notes.count()) == before


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("read", sorted(READS))
def test_support_reads_follow_the_matrix(role: str, read: str) -> None:
    user = make_staff(f"u_{role}", role=role).user
    case = _case()
    if role in READERS:
        READS[read](user, case)
    else:
        with pytest.raises(PermissionDenied):
            READS[read](user, case)


def test_a_disabled_caseworker_may_do_nothing() -> None:
    user = make_staff("gone", role="caseworker").user
    user.is_active = False
    user.save()
    with pytest.raises(PermissionDenied):
        services.note_add(actor=user, case=_case(), body="x")


@pytest.mark.parametrize("role", ROLES)
def test_pages_follow_the_matrix(client: Client, role: str) -> None:
    staff = make_staff(f"p_{role}", role=role)
    case = _case()
    log_in(client, staff)
    listing = client.get("/staff/support/?show=all")
    page = client.get(f"/staff/support/{case.public_id}/")
    note = client.post(f"/staff/support/{case.public_id}/note/", {"body": "hello"})
    nav = client.get("/staff/directory/").content.decode()
    assert ('href="/staff/support/"' in nav) is (role in READERS)
    if role in READERS:
        assert listing.status_code == 200
        assert page.status_code == 200
    else:
        assert listing.status_code == 403
        assert page.status_code == 403
    if role in WRITERS:
        assert note.status_code == 303
        assert case.notes.count() == 1
    else:
        assert note.status_code == 403
        assert case.notes.count() == 0
