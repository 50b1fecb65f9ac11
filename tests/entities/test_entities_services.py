"""Linking reports through entities, analyst decisions, clusters, escrow (real database)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.apps import apps
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from hotline.accounts.models import User
from hotline.audit.models import AuditEvent
from hotline.entities import selectors, services
from hotline.entities.models import Entity, EscrowedIdentifier, ReportEntity
from hotline.entities.tasks import report_extract
from hotline.intake.models import EvidenceHash, Report
from hotline.intake.services import ReportInput, report_submit

pytestmark = pytest.mark.django_db


def _report(narrative: str = "", **fields: object) -> Report:
    data = ReportInput(
        reporter_role="victim", categories=["sextortion"], narrative=narrative, **fields
    )  # type: ignore[arg-type]
    return report_submit(data=data, evidence=[]).report


@pytest.fixture
def analyst() -> User:
    # A staff account with the analyst role: the services check the permission matrix.
    return User.objects.create_user(username="analyst", password="x", is_staff=True)


def test_extraction_links_reports_and_stores_no_identifier_in_clear() -> None:
    first = _report("He uses https://t.me/DarkRoom_KH and Wing 012 345 678")
    second = _report("", usernames=["Telegram @darkroom_kh"], phones=["+855 12 345 678"])
    report_extract(first.pk)
    report_extract(second.pk)
    entities = {(e.kind, services.entity_value(e)) for e in Entity.objects.all()}
    assert entities == {
        ("handle", "https://t.me/darkroom_kh"),
        ("payment_account", "wing:012345678"),
        ("phone", "+85512345678"),
    }
    # No column of any table holds an identifier in clear (digests and ciphertexts only).
    for model in apps.get_models():
        for row in model.objects.all().values():
            for name, value in row.items():
                raw = bytes(value) if isinstance(value, bytes | memoryview) else str(value).encode()
                for needle in (b"darkroom", b"12345678", b"12 345 678"):
                    assert needle not in raw.lower(), f"{model._meta.label}.{name} holds {needle!r}"
    handle = selectors.entity_find(text="t.me/DARKROOM_KH")
    assert handle is not None
    cluster = selectors.cluster_of_entity(entity=handle)
    assert cluster.report_ids == {first.pk, second.pk}
    link = ReportEntity.objects.get(report=second, entity=handle)
    assert link.field == "usernames[0]"
    assert (link.start, link.end) == (9, 21)


def test_running_twice_adds_nothing_and_rejected_links_stay_rejected(analyst: User) -> None:
    report = _report("group https://t.me/+AbCdEf123456 and 012 345 678")
    assert services.report_entities_extract(report_id=report.pk) == 2
    assert services.report_entities_extract(report_id=report.pk) == 0
    assert ReportEntity.objects.filter(report=report).count() == 2
    phone_link = ReportEntity.objects.get(report=report, entity__kind="phone")
    services.report_entity_decide(link=phone_link, state=ReportEntity.State.REJECTED, actor=analyst)
    assert services.report_entities_extract(report_id=report.pk) == 0
    phone_link.refresh_from_db()
    assert phone_link.state == ReportEntity.State.REJECTED
    # A rejected link no longer joins clusters.
    other = _report("call 012345678")
    report_extract(other.pk)
    assert selectors.cluster_of_report(report_id=other.pk).report_ids == {other.pk}
    assert AuditEvent.objects.filter(action="entities.rejected", actor=analyst).count() == 1


def test_contact_field_is_not_extracted() -> None:
    report = _report("nothing here", contact="call me on 097 765 4321")
    assert services.report_entities_extract(report_id=report.pk) == 0


def test_analyst_adds_an_identifier_in_any_format(analyst: User) -> None:
    report = _report("no identifiers")
    link = services.report_entity_add(report=report, text="(+855) 97 765 4321", actor=analyst)
    assert link.state == ReportEntity.State.CONFIRMED
    assert link.origin == ReportEntity.Origin.ANALYST
    assert services.entity_value(link.entity) == "+855977654321"
    with pytest.raises(services.EntityInputError):
        services.report_entity_add(report=report, text="just words", actor=analyst)
    with pytest.raises(services.EntityInputError):
        services.report_entity_add(report=report, text="012 345 678 and t.me/abcdef", actor=analyst)


def test_cluster_joins_through_entities_and_evidence_hashes() -> None:
    a = _report("https://t.me/chain_one")
    b = _report("https://t.me/chain_one and 0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed")
    c = _report("wallet 0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed")
    d = _report("unrelated https://t.me/other_group")
    e = _report("nothing")
    for report in (a, b, c, d, e):
        report_extract(report.pk)
    digest = "ab" * 32
    for report in (d, e):
        EvidenceHash.objects.create(
            report=report, kind="sha256", value=digest, created_at=timezone.now()
        )
    assert selectors.cluster_of_report(report_id=a.pk).report_ids == {a.pk, b.pk, c.pk}
    cluster = selectors.cluster_of_report(report_id=e.pk)
    assert cluster.report_ids == {d.pk, e.pk}
    summary = selectors.cluster_summary(selectors.cluster_of_report(report_id=c.pk))
    assert summary.reports == 3
    assert summary.entities_by_kind == {"handle": 1, "eth": 1}
    assert selectors.cluster_summary(cluster).matching_hashes == 1


def test_cluster_walk_is_bounded() -> None:
    reports = [_report("https://t.me/everyone_here") for _ in range(5)]
    for report in reports:
        report_extract(report.pk)
    cluster = selectors.cluster_walk(report_ids={reports[0].pk}, limit=3)
    assert cluster.truncated
    assert len(cluster.report_ids) == 3


def test_earlier_links_count_for_the_queue() -> None:
    first = _report("t.me/repeat_offender")
    second = _report("t.me/repeat_offender")
    Report.objects.filter(pk=first.pk).update(created_at=timezone.now() - timedelta(days=3))
    first.refresh_from_db()
    for report in (first, second):
        report_extract(report.pk)
    assert selectors.report_earlier_links(report=second) == 1
    assert selectors.report_earlier_links(report=first) == 0


def test_escrow_stores_no_value_and_matches_a_later_report(analyst: User) -> None:
    earlier = _report("not ready to tell more")
    escrow = services.escrow_deposit(report=earlier, text="012 345 678")
    row = EscrowedIdentifier.objects.get(pk=escrow.pk)
    assert escrow.state == EscrowedIdentifier.State.WAITING
    assert len(bytes(row.digest)) == 32
    assert Entity.objects.count() == 0  # escrow creates no readable entity
    # The same reporter naming it again is not independent.
    services.report_entity_add(report=earlier, text="012345678", actor=analyst)
    row.refresh_from_db()
    assert row.state == EscrowedIdentifier.State.WAITING
    later = _report("he called from +855 12 345 678")
    report_extract(later.pk)
    row.refresh_from_db()
    assert row.state == EscrowedIdentifier.State.MATCHED
    assert row.matched_report_id == later.pk
    assert list(selectors.escrows_matched()) == [row]
    # Nothing is shown to the earlier reporter until an analyst decides to ask.
    assert not selectors.escrow_questions(report=earlier).exists()
    services.escrow_ask_consent(escrow=row, actor=analyst)
    assert list(selectors.escrow_questions(report=earlier)) == [row]
    answered = services.escrow_answer(escrow=row, agree=True)
    assert answered.state == EscrowedIdentifier.State.CONSENTED
    with pytest.raises(ValueError, match="no open question"):
        services.escrow_answer(escrow=row, agree=False)


def test_escrow_matches_an_existing_report_at_deposit() -> None:
    existing = _report("TRON TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t")
    report_extract(existing.pk)
    escrow = services.escrow_deposit(report=_report(""), text="TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t")
    assert escrow.state == EscrowedIdentifier.State.MATCHED
    assert escrow.matched_report_id == existing.pk


def test_escrow_digest_differs_from_the_entity_digest() -> None:
    from hotline.entities.keys import entity_digest, escrow_digest

    assert entity_digest("phone", "+85512345678") != escrow_digest("phone", "+85512345678")
    assert entity_digest("phone", "+85512345678") != entity_digest("handle", "+85512345678")


@given(kind=st.sampled_from(["phone", "handle", "url", "wallet"]), value=st.text(max_size=80))
def test_bulk_digesters_give_the_single_path_digests(kind: str, value: str) -> None:
    from hotline.entities.keys import entity_digest, entity_digester, escrow_digest, escrow_digester

    assert entity_digester()(kind, value) == entity_digest(kind, value)
    assert escrow_digester()(kind, value) == escrow_digest(kind, value)


def test_an_account_of_unusual_length_is_stored_flagged_and_links_reports() -> None:
    from hotline.entities import bulk

    first = _report("He wants the money on ABA account 037 519 6640 tonight")
    second = _report("", payment_accounts=["ABA ០៣៧ ៥១៩ ៦៦៤០"])
    report_extract(first.pk)
    report_extract(second.pk)
    account = Entity.objects.get(kind="payment_account")
    assert services.entity_value(account) == "aba:0375196640"
    assert account.flag_list == ["unusual_length"]
    assert selectors.cluster_of_entity(entity=account).report_ids == {first.pk, second.pk}
    # The bulk path (`hotline entities relink`) stores the same flag.
    third = _report("")
    result = bulk.entities_link_bulk(
        mentions=[bulk.BulkMention(third.pk, "payment_account", "acleda:788369075", "acleda")]
    )
    assert result.entities_new == 1
    bulk_account = selectors.entity_find(text="ACLEDA 788 369 075")
    assert bulk_account is not None
    assert bulk_account.flag_list == ["unusual_length"]
    # Accounts of the provider's own length carry no flag.
    services.entity_get_or_create(kind="payment_account", value="aba:000123456")
    assert Entity.objects.filter(flags="").count() == 1


def test_identifier_services_refuse_an_account_without_the_right(analyst: User) -> None:
    from django.core.exceptions import PermissionDenied

    report = _report("call 012 345 678")
    liaison = User.objects.create_user(username="liaison", is_staff=True, role="liaison")
    with pytest.raises(PermissionDenied):
        services.report_entity_add(report=report, text="t.me/abcdef", actor=liaison)
    assert not ReportEntity.objects.filter(origin="analyst").exists()
