"""The staff page that publishes a quarter: who may, what the preview shows (never a hidden
count), that publishing happens once (double posts and racing tabs included), and that no
input, however garbled, changes anything or fails with a 500."""

from __future__ import annotations

import copy
import re
import threading
from datetime import timedelta
from urllib.parse import quote

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from public_support import add_reports, at

from hotline.audit.models import AuditEvent
from hotline.statistics.models import PublishedQuarter
from hotline.statistics.public import QuarterKey, quarter_publish
from hotline.statistics.publishing import current_quarter
from staff_login import Staff, log_in, make_staff

LIST = "/staff/statistics/publish/"
Q1 = f"{LIST}2025-Q1/"
# The hidden (withheld) count of the Q1 data below: its digits must never reach a page.
HIDDEN = 86


def _quarter_data() -> None:
    """2025-Q1: 86 sextortion and 3 grooming reports (89): grooming is "<5", so sextortion,
    the only other row, is withheld ("*"); every report is on Facebook, under 13, waiting.
    2025-Q2: 3 reports (published as "<5" and nothing else)."""
    add_reports(HIDDEN, at(2025, 2), victim_age="under_13")
    add_reports(3, at(2025, 3), categories=["grooming"], victim_age="under_13")
    add_reports(3, at(2025, 5), victim_age="under_13")


def _published_events() -> int:
    return AuditEvent.objects.filter(action="statistics.publish").count()


def _section(page: str, element_id: str) -> str:
    match = re.search(rf'id="{element_id}".*?</(section|table|form)>', page, re.S)
    assert match, f"no #{element_id} in the page"
    return match.group(0)


def _cells(html: str) -> list[tuple[str, str]]:
    return re.findall(r'<th scope="row">([^<]*)</th><td class="n[^"]*">([^<]*)</td>', html)


def _digest(client: Client, url: str = Q1) -> str:
    page = client.get(url).content.decode()
    found = re.search(r'name="figures" value="([0-9a-f]{64})"', page)
    assert found, page[:3000]
    return found.group(1)


def _messages(client: Client) -> str:
    page = client.get(LIST).content.decode()
    return " ".join(re.findall(r'id="publish-message"><p>(.*?)</p>', page, re.S))


@pytest.fixture
def admin() -> Staff:
    return make_staff("publisher", role="administrator")


@pytest.fixture
def admin_client(admin: Staff) -> Client:
    client = Client()
    log_in(client, admin)
    return client


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["analyst", "senior_analyst", "caseworker", "liaison"])
def test_only_those_who_may_publish_see_the_page_or_its_links(role: str) -> None:
    _quarter_data()
    client = Client()
    log_in(client, make_staff(f"pub-{role}", role=role))

    assert client.get(LIST).status_code == 403
    assert client.get(Q1).status_code == 403
    refused = client.post(Q1, {"confirm": "2025-Q1", "figures": "0" * 64})
    assert refused.status_code == 403
    assert 'href="/staff/statistics/publish/"' not in client.get("/staff/").content.decode()
    dashboard = client.get("/staff/statistics/")
    if dashboard.status_code == 200:  # analysts see the figures, not the publish link
        assert 'href="/staff/statistics/publish/"' not in dashboard.content.decode()
    assert not PublishedQuarter.objects.exists()
    assert _published_events() == 0


@pytest.mark.django_db
def test_an_administrator_finds_the_page_from_the_nav_and_the_dashboard(
    admin_client: Client,
) -> None:
    assert 'href="/staff/statistics/publish/"' in admin_client.get("/staff/").content.decode()
    dashboard = admin_client.get("/staff/statistics/").content.decode()
    assert 'id="publish-link"' in dashboard
    assert admin_client.get(LIST).status_code == 200


@pytest.mark.django_db
def test_someone_not_logged_in_is_sent_to_the_login(client: Client) -> None:
    for response in (client.get(LIST), client.get(Q1), client.post(Q1, {"confirm": "2025-Q1"})):
        assert response.status_code == 302
        assert "/staff/login/" in response["Location"]


@pytest.mark.django_db
def test_the_list_shows_finished_quarters_with_reports_or_published(
    admin_client: Client, admin: Staff
) -> None:
    _quarter_data()
    add_reports(7, timezone.now() - timedelta(minutes=5))  # the running quarter: not listed
    quarter_publish(actor=admin.user, key=QuarterKey(2024, 4))  # published, with no report

    page = admin_client.get(LIST).content.decode()

    table = _section(page, "quarters")
    assert re.findall(r'<tr id="q-([0-9Q-]+)">', table) == ["2025-Q2", "2025-Q1", "2024-Q4"]
    assert str(current_quarter()) not in table
    q1 = _section(page, "q-2025-Q1")
    assert "Not published yet" in q1
    assert f'href="{Q1}"' in q1
    assert ">89<" in q1
    assert ">&lt;5<" in _section(page, "q-2025-Q2")  # a small total, as the public would see it
    q4 = _section(page, "q-2024-Q4")
    assert "Published on" in q4
    assert "by publisher" in q4
    assert 'href="/figures/#q-2024-Q4"' in q4
    assert f"The current quarter, {current_quarter()}" in page


@pytest.mark.django_db
def test_the_preview_shows_suppressed_cells_never_a_hidden_value_and_stores_nothing(
    admin_client: Client,
) -> None:
    _quarter_data()

    response = admin_client.get(Q1)

    assert response.status_code == 200
    page = response.content.decode()
    preview = _section(page, "preview")
    assert 'id="preview-total">89<' in preview
    types = _cells(_section(page, "t-type"))
    assert ("Sextortion (threats to share images)", "*") in types
    assert (
        "Grooming (an adult asking a child for images or to meet)",
        "&lt;5",
    ) in types
    assert str(HIDDEN) not in preview
    assert "Published figures never change" in page
    assert 'name="confirm"' in page
    assert 'name="csrfmiddlewaretoken"' in page
    assert not PublishedQuarter.objects.exists()
    assert _published_events() == 0
    small = admin_client.get(f"{LIST}2025-Q2/").content.decode()
    assert 'id="preview-total">&lt;5<' in small
    assert 'id="too-few"' in small
    assert "3" not in _section(small, "preview").replace("2025-Q2", "")


@pytest.mark.django_db
def test_publishing_creates_one_snapshot_and_one_audit_event_exactly_as_previewed(
    admin_client: Client, admin: Staff
) -> None:
    _quarter_data()
    page = admin_client.get(Q1).content.decode()
    previewed = {
        name: [text for _label, text in _cells(_section(page, f"t-{name}"))]
        for name in ("type", "platform", "age", "outcome")
    }

    response = admin_client.post(Q1, {"confirm": " 2025-q1 ", "figures": _digest(admin_client)})

    assert response.status_code == 303
    assert response["Location"] == f"{LIST}#q-2025-Q1"
    published = PublishedQuarter.objects.get()
    assert (published.year, published.quarter, published.published_by) == (2025, 1, admin.user)
    event = AuditEvent.objects.get(action="statistics.publish")
    assert (event.actor, event.target_id) == (admin.user, "2025-Q1")
    assert "2025-Q1 is published" in _messages(admin_client)
    public = Client().get("/figures/").content.decode()
    for name, texts in previewed.items():
        shown = _cells(_section(public, f"t-2025-Q1-{name}").replace('"number"', '"n"'))
        assert [text for _label, text in shown] == texts, name
    again = admin_client.get(Q1).content.decode()
    assert 'id="published"' in again
    assert 'id="publish-form"' not in again
    assert 'href="/figures/#q-2025-Q1"' in again


@pytest.mark.django_db
def test_a_second_publish_is_refused_clearly_and_changes_nothing(admin_client: Client) -> None:
    _quarter_data()
    form = {"confirm": "2025-Q1", "figures": _digest(admin_client)}
    assert admin_client.post(Q1, form).status_code == 303
    first = PublishedQuarter.objects.get()

    second = admin_client.post(Q1, form)  # a double click, or a reload that posts again

    assert second.status_code == 303
    message = _messages(admin_client)
    assert "2025-Q1 was already published" in message
    assert "by publisher" in message
    assert "nothing was changed" in message
    assert list(PublishedQuarter.objects.values_list("pk", "published_at")) == [
        (first.pk, first.published_at)
    ]
    assert _published_events() == 1


@pytest.mark.django_db
@pytest.mark.parametrize("typed", ["", "2025-Q2", "2025", "publish", "2025-Q1\x00", "x" * 41])
def test_without_the_quarter_typed_nothing_is_published(admin_client: Client, typed: str) -> None:
    _quarter_data()
    response = admin_client.post(Q1, {"confirm": typed, "figures": _digest(admin_client)})

    assert response.status_code == 400
    page = response.content.decode()
    assert "Nothing was published" in page or "type the quarter exactly as shown: 2025-Q1" in page
    assert 'id="publish-form"' in page
    assert not PublishedQuarter.objects.exists()
    assert _published_events() == 0


@pytest.mark.django_db
def test_figures_that_changed_since_the_preview_are_not_published(admin_client: Client) -> None:
    _quarter_data()
    seen = _digest(admin_client)
    add_reports(1, at(2025, 3), categories=["live_abuse"])  # entered late, as a phone report

    response = admin_client.post(Q1, {"confirm": "2025-Q1", "figures": seen})

    assert response.status_code == 409
    page = response.content.decode()
    assert "changed since the preview was shown" in page
    assert 'id="preview-total">90<' in page
    assert not PublishedQuarter.objects.exists()
    fresh = _digest(admin_client)
    assert fresh != seen
    assert admin_client.post(Q1, {"confirm": "2025-Q1", "figures": fresh}).status_code == 303


@pytest.mark.django_db
def test_a_quarter_not_over_yet_cannot_be_published(admin_client: Client) -> None:
    add_reports(7, timezone.now() - timedelta(minutes=5))
    url = f"{LIST}{current_quarter()}/"

    page = admin_client.get(url)
    posted = admin_client.post(url, {"confirm": str(current_quarter()), "figures": "0" * 64})

    assert page.status_code == 200
    assert "is not over yet" in page.content.decode()
    assert 'id="publish-form"' not in page.content.decode()
    assert posted.status_code == 409
    assert "is not over yet" in posted.content.decode()
    assert not PublishedQuarter.objects.exists()
    assert _published_events() == 0


@pytest.mark.django_db
def test_a_quarter_without_reports_cannot_be_published(admin_client: Client) -> None:
    _quarter_data()
    page = admin_client.get(f"{LIST}2019-Q3/")
    posted = admin_client.post(f"{LIST}2019-Q3/", {"confirm": "2019-Q3", "figures": "0" * 64})

    assert page.status_code == 200
    assert "No report was received in 2019-Q3" in page.content.decode()
    assert 'id="publish-form"' not in page.content.decode()
    assert posted.status_code == 409
    assert not PublishedQuarter.objects.exists()
    assert _published_events() == 0


@pytest.mark.django_db
@pytest.mark.parametrize(
    "quarter",
    ["abc", "2025-Q5", "2025-Q0", "1999-Q4", "99999-Q1", "2025-Q1;drop", "%00", "x" * 3000],
)
def test_a_garbled_quarter_in_the_address_is_refused_clearly(
    admin_client: Client, quarter: str
) -> None:
    _quarter_data()
    for response in (
        admin_client.get(f"{LIST}{quarter}/"),
        admin_client.post(f"{LIST}{quarter}/", {"confirm": quarter, "figures": "0" * 64}),
    ):
        assert response.status_code == 404
        page = response.content.decode()
        assert "No such quarter" in page
        error = re.search(r'id="publish-error"><p>(.*?)</p>', page, re.S)
        assert error
        assert "quarter" in error.group(1) or "year" in error.group(1)
    assert not PublishedQuarter.objects.exists()


@pytest.mark.django_db
def test_other_methods_and_a_post_to_the_list_are_refused_clearly(admin_client: Client) -> None:
    _quarter_data()
    for response in (
        admin_client.post(LIST, {"confirm": "2025-Q1"}),
        admin_client.put(Q1),
        admin_client.delete(Q1),
        admin_client.patch(Q1),
    ):
        assert response.status_code == 405
        assert b"publish" in response.content
    assert not PublishedQuarter.objects.exists()


@pytest.mark.django_db
def test_a_post_without_the_csrf_token_publishes_nothing(admin: Staff) -> None:
    _quarter_data()
    client = Client()
    log_in(client, admin)
    digest = _digest(client)
    client.handler.enforce_csrf_checks = True  # as a browser: a forged form has no token

    response = client.post(Q1, {"confirm": "2025-Q1", "figures": digest})

    assert response.status_code == 403
    assert not PublishedQuarter.objects.exists()


@pytest.fixture
def prepared_client(admin_client: Client) -> Client:
    _quarter_data()
    return admin_client


@pytest.mark.django_db
@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    quarter=st.one_of(st.just("2025-Q1"), st.text(max_size=60)),
    confirm=st.one_of(st.just("2025-Q1"), st.text(max_size=60)),
    figures=st.one_of(st.text(max_size=80), st.from_regex(r"[0-9a-f]{64}", fullmatch=True)),
    extra=st.dictionaries(st.text(min_size=1, max_size=10), st.text(max_size=20), max_size=3),
)
def test_hostile_form_fields_change_nothing(
    prepared_client: Client, quarter: str, confirm: str, figures: str, extra: dict[str, str]
) -> None:
    url = f"{LIST}{quote(quarter, safe='')}/" if quarter else LIST
    data = {**extra, "confirm": confirm, "figures": figures}

    response = prepared_client.post(url, data)

    assert response.status_code in {400, 404, 405, 409}, response.content[:500]
    assert not PublishedQuarter.objects.exists()
    assert _published_events() == 0


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="threads race only on PostgreSQL (SQLite's in-memory test database answers "
    "'table is locked' instead of waiting)",
)
def test_two_tabs_publishing_at_once_make_one_snapshot_and_tell_the_loser(admin: Staff) -> None:
    _quarter_data()
    first = Client()
    log_in(first, admin)
    second = Client()
    second.cookies = copy.deepcopy(first.cookies)  # the same session: two tabs of one browser
    form = {"confirm": "2025-Q1", "figures": _digest(first)}
    start = threading.Barrier(2)
    statuses: list[int] = []
    errors: list[BaseException] = []

    def publish(client: Client) -> None:
        try:
            start.wait()
            statuses.append(client.post(Q1, form).status_code)
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=publish, args=(c,)) for c in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert statuses == [303, 303]
    assert PublishedQuarter.objects.count() == 1
    assert _published_events() == 1
    told = _messages(first) + " " + _messages(second)
    assert told.count("2025-Q1 is published") == 1, told
    assert told.count("2025-Q1 was already published") == 1, told
