"""Staff search: the right reports and no others, through the queue page, without decrypting."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from hotline.audit.models import AuditEvent
from hotline.intake.models import Report
from hotline.intake.services import ReportInput, report_add_information, report_submit
from hotline.intake.tasks import report_process
from hotline.search.models import SearchIndexed, SearchTerm
from hotline.vault import services as vault
from staff_login import Staff, log_in, make_staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def analyst_staff() -> Staff:
    return make_staff("analyst")


@pytest.fixture
def client(analyst_staff: Staff) -> Client:
    client = Client()
    log_in(client, analyst_staff)
    return client


def _report(narrative: str = "", **fields: Any) -> Report:
    values: dict[str, object] = {
        "reporter_role": "myself",
        "categories": ["other"],
        "narrative": narrative,
        **fields,
    }
    report = report_submit(data=ReportInput(**values), evidence=[]).report  # type: ignore[arg-type]
    report_process(report.pk)  # the worker's pipeline, which indexes the report
    return report


def _found(client: Client, query: str, extra: str = "") -> list[str]:
    from urllib.parse import urlencode

    response = client.get("/staff/?" + urlencode({"q": query, "state": "all"}) + extra)
    assert response.status_code == 200, response.content.decode()[:2000]
    rows = response.content.decode().split('<tr data-report="')[1:]
    return [row.split('"', 1)[0] for row in rows]


def _ids(*reports: Report) -> list[str]:
    return [str(r.public_id) for r in reports]


def test_english_query_finds_the_reports_that_say_it_and_no_others(client: Client) -> None:
    blackmail = _report("He threatened to SEND my photos to my school unless I paid.")
    other = _report("Someone made a fake account with my name.")
    both = _report("A fake account keeps threatening to send photos.")
    assert sorted(_found(client, "photos")) == sorted(_ids(blackmail, both))
    assert sorted(_found(client, "fake account")) == sorted(_ids(other, both))
    assert _found(client, "photos fake") == _ids(both)  # every word must be there
    assert _found(client, "school") == _ids(blackmail)
    assert _found(client, "banana") == []


def test_khmer_query_finds_a_word_inside_unspaced_text(client: Client) -> None:
    money = _report("គាត់សុំលុយខ្ញុំ ហើយគំរាមផ្ញើរូបថត")  # asks me for money, threatens photos
    photo_only = _report("គេផ្ញើរូបថតរបស់ខ្ញុំ")  # sent my photos
    english = _report("he asked for money")
    assert _found(client, "លុយ") == _ids(money)  # money
    assert sorted(_found(client, "រូបថត")) == sorted(_ids(money, photo_only))  # photo
    assert _found(client, "រូបថត លុយ") == _ids(money)
    assert _found(client, "money") == _ids(english)


def test_phone_number_is_found_whatever_way_it_is_written(client: Client) -> None:
    report = _report("He called me.", phones=["012 345 678"])
    _report("He called me from another number.", phones=["097 777 1234"])
    assert _found(client, "+855 12 345 678") == _ids(report)
    assert _found(client, "012345678") == _ids(report)


def test_handles_and_links_from_the_details_fields_are_searchable(client: Client) -> None:
    report = _report("", usernames=["@bad_guy_99"], links=["https://t.me/badchannel"])
    _report("nothing here", usernames=["@someone_else"])
    assert _found(client, "https://t.me/badchannel") == _ids(report)
    assert _found(client, "badchannel") == _ids(report)


def test_contact_details_are_not_searchable(client: Client) -> None:
    # Analysts may not see how to reach the reporter; a search must not tell them either.
    _report("help please", contact="my email is victim.person@example.org")
    assert _found(client, "victim.person@example.org") == []
    assert _found(client, "example") == []


def test_a_reporter_reply_is_searchable_once_processed(client: Client) -> None:
    report = _report("first message")
    assert _found(client, "ransom") == []
    report_add_information(report=report, text="now they ask a ransom", evidence=[], hashes=[])
    report_process(report.pk)
    assert _found(client, "ransom") == _ids(report)


def test_search_combines_with_the_filters(client: Client) -> None:
    sextortion = _report("they want money", categories=["sextortion"])
    _report("they want money", categories=["other"])
    assert _found(client, "money", "&category=sextortion") == _ids(sextortion)


def test_search_results_keep_the_queue_order_most_urgent_first(client: Client) -> None:
    calm = _report("money")
    danger = _report("money", in_danger=True)
    assert _found(client, "money") == _ids(danger, calm)


def test_a_search_decrypts_nothing(client: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    for i in range(60):
        _report(f"report number {i} about money")
    calls: list[str] = []
    real: Callable[..., bytes] = vault.decrypt

    def counting(blob: bytes, *, context: str) -> bytes:
        calls.append(context)
        return real(blob, context=context)

    monkeypatch.setattr(vault, "decrypt", counting)
    assert len(_found(client, "money")) == 50  # a full first page of 60 matches
    assert calls == []  # bounded by the page size: here not one ciphertext is opened


def test_the_index_holds_no_term_in_clear() -> None:
    _report("uniquewordxyz")
    for digest in SearchTerm.objects.values_list("digest", flat=True):
        assert len(bytes(digest)) == 16
        assert b"uniquewordxyz" not in bytes(digest)
    assert SearchIndexed.objects.count() == 1


def test_a_search_is_audited_without_its_words(client: Client) -> None:
    _report("secret name")
    _found(client, "secret name")
    event = AuditEvent.objects.get(action="report.search")
    assert event.actor_label == "analyst"
    assert event.details == {"terms": 2}
    assert "secret" not in str(event.details) + event.target_id + event.target_type


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("x" * 10_000, "at most 200 characters"),
        ("!!!???...", "Nothing to search for"),
        ("\x01\x02\x03\x7f", "Nothing to search for"),
        ("the", "Nothing to search for"),
    ],
)
def test_unusable_queries_get_a_clear_message_not_an_error(
    client: Client, query: str, message: str
) -> None:
    _report("money")
    from urllib.parse import urlencode

    response = client.get("/staff/?" + urlencode({"q": query}))
    assert response.status_code == 400
    page = response.content.decode()
    assert message in page
    assert 'id="filter-errors"' in page
    assert not AuditEvent.objects.filter(action="report.search").exists()


def test_a_null_character_in_the_query_is_refused_with_a_message(client: Client) -> None:
    response = client.get("/staff/?q=money%00")
    assert response.status_code == 400
    assert "This text contains characters we cannot accept." in response.content.decode()


def test_sql_looking_query_is_only_words(client: Client) -> None:
    report = _report("drop table now")
    _report("a quiet report")
    assert _found(client, "'; DROP TABLE intake_report; --") == []
    assert _found(client, "drop' OR '1'='1") == _ids(report)  # "or" and "1" are not searched
    assert _found(client, "drop table") == _ids(report)
    assert Report.objects.count() == 2


def test_roles_that_may_not_read_narratives_cannot_search() -> None:
    admin = make_staff("admin", role="administrator")
    client = Client()
    log_in(client, admin)
    _report("money")
    page = client.get("/staff/")
    assert page.status_code == 200
    assert 'name="q"' not in page.content.decode()
    assert client.get("/staff/?q=money").status_code == 403
    assert not AuditEvent.objects.filter(action="report.search").exists()


def test_the_queue_page_has_a_search_box(client: Client) -> None:
    page = client.get("/staff/").content.decode()
    assert '<input type="search" name="q"' in page


def test_the_common_terms_query_shape_finds_the_same_reports(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    from hotline.search import selectors

    monkeypatch.setattr(selectors, "COMMON_TERM_REPORTS", 0)  # every term counts as common
    money = _report("គាត់សុំលុយខ្ញុំ ហើយគំរាមផ្ញើរូបថត", categories=["sextortion"])
    photos = _report("He has my photos and wants money", categories=["other"])
    _report("nothing to see", phones=["012 345 678"])
    assert _found(client, "លុយ") == _ids(money)
    assert _found(client, "photos money") == _ids(photos)
    assert _found(client, "money", "&category=other") == _ids(photos)
    assert _found(client, "banana") == []
