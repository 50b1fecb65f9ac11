"""Behind an onion service every visitor arrives from the Tor daemon's address (127.0.0.1).

Without JavaScript (Tor Browser's safest mode) they must not share one person's budget of five
reports per ten minutes, which one flooder could fill for all of them (docs/operations.md,
"Onion service"; docs/decisions/flood-control.md).
"""

from __future__ import annotations

import re

import pytest
from django.http import HttpRequest, HttpResponse
from django.test import Client, RequestFactory
from reporter_support import good_report, receipt_code, within_one_window

from hotline.core.middleware import SHARED_CLIENT, PrivacyHeadersMiddleware

pytestmark = pytest.mark.django_db

TOR_DAEMON = "127.0.0.1"
# What nginx puts in X-Forwarded-For from Tor's `HiddenServiceExportCircuitID haproxy`:
# each circuit as an address of fc00:dead:beef:4dad::/64.
CIRCUIT_A = "fc00:dead:beef:4dad::0:1f2e"
CIRCUIT_B = "fc00:dead:beef:4dad::0:1f2f"
# "Please wait N seconds (or 1 minute), then send it again", in Khmer digits: a minute at most.
ONE_MINUTE_KM = re.compile(r"សូមរង់ចាំ (?:[០-៩]+ វិនាទី|១ នាទី) រួចផ្ញើវាម្តងទៀត។")


@pytest.fixture(autouse=True)
def _production_shared_addresses(settings: object) -> None:
    settings.HOTLINE_SHARED_CLIENT_ADDRESSES = ["127.0.0.0/8", "::1"]  # type: ignore[attr-defined]
    settings.HOTLINE_THROTTLE_SUBMITS_PER_10_MIN = 5  # type: ignore[attr-defined]
    settings.HOTLINE_THROTTLE_UNSOLVED_SUBMITS_PER_MIN = 20  # type: ignore[attr-defined]


def _token(remote_addr: str, forwarded_for: str | None = None) -> str:
    def view(request: HttpRequest) -> HttpResponse:
        return HttpResponse(str(request.client_token))  # type: ignore[attr-defined]

    headers = {"REMOTE_ADDR": remote_addr}
    if forwarded_for is not None:
        headers["HTTP_X_FORWARDED_FOR"] = forwarded_for
    return PrivacyHeadersMiddleware(view)(RequestFactory().get("/", **headers)).content.decode()


def test_the_tor_daemon_is_a_shared_address_directly_or_behind_a_declared_proxy(
    settings: object,
) -> None:
    assert _token(TOR_DAEMON) == SHARED_CLIENT  # Tor → hotline run
    assert _token("") == SHARED_CLIENT  # a Unix socket
    settings.HOTLINE_TRUSTED_PROXIES = ["127.0.0.1"]  # type: ignore[attr-defined]
    assert _token("127.0.0.1", TOR_DAEMON) == SHARED_CLIENT  # Tor → nginx → hotline run
    # A visitor from the Internet through the same nginx is still a person of their own.
    assert _token("127.0.0.1", "203.0.113.9") not in {SHARED_CLIENT, _token("127.0.0.1")}


def test_with_circuit_ids_exported_each_tor_circuit_is_a_client_of_its_own(
    settings: object,
) -> None:
    settings.HOTLINE_TRUSTED_PROXIES = ["127.0.0.1"]  # type: ignore[attr-defined]
    first = _token("127.0.0.1", CIRCUIT_A)
    assert first not in {SHARED_CLIENT, _token("127.0.0.1", CIRCUIT_B)}
    assert first == _token("127.0.0.1", CIRCUIT_A)


def test_onion_visitors_without_javascript_do_not_share_one_persons_budget() -> None:
    within_one_window(60)
    # Eight different reporters in Tor Browser's safest mode, all seen as 127.0.0.1: before,
    # the sixth was told to wait ten minutes.
    for _ in range(8):
        client = Client(REMOTE_ADDR=TOR_DAEMON)
        response = client.post("/report/", good_report(client, solve=False), follow=True)
        assert response.status_code == 200
        assert receipt_code(response.content.decode())


def test_an_onion_flood_delays_onion_reporters_a_minute_at_most_and_not_the_others() -> None:
    within_one_window(60)
    refused = []
    for _ in range(30):
        flooder = Client(REMOTE_ADDR=TOR_DAEMON)
        response = flooder.post("/report/", good_report(flooder, solve=False), follow=True)
        if response.status_code == 429:
            refused.append(response)
    assert len(refused) == 20  # half of the 20-a-minute global bucket went through
    for response in refused:
        assert int(response["Retry-After"]) <= 60
        assert ONE_MINUTE_KM.search(response.content.decode())
    # The flood took half of the global bucket: a reporter from elsewhere still gets through.
    other = Client(REMOTE_ADDR="203.0.113.20")
    response = other.post("/report/", good_report(other, solve=False), follow=True)
    assert receipt_code(response.content.decode())
    # An onion reporter whose browser solved the proof of work is never held back.
    onion = Client(REMOTE_ADDR=TOR_DAEMON)
    response = onion.post("/report/", good_report(onion), follow=True)
    assert receipt_code(response.content.decode())


def test_a_form_posted_to_the_onion_name_over_http_passes_the_csrf_check(settings: object) -> None:
    onion = "abcdefghijklmnopqrstuvwxyz234567abcdefghijklmnopqrstuvwx.onion"
    settings.ALLOWED_HOSTS = [onion]  # type: ignore[attr-defined]
    settings.CSRF_TRUSTED_ORIGINS = [f"http://{onion}"]  # type: ignore[attr-defined]
    client = Client(enforce_csrf_checks=True, REMOTE_ADDR=TOR_DAEMON, HTTP_HOST=onion)
    page = client.get("/status/").content.decode()
    token = page.split('name="csrfmiddlewaretoken" value="')[1].split('"')[0]
    response = client.post(
        "/status/",
        {"csrfmiddlewaretoken": token, "code": "AAAA-AAAA-AAAA-AAAA-A"},
        HTTP_ORIGIN=f"http://{onion}",
        follow=True,
    )
    # The form was read (not refused by the CSRF check): "no report with this code".
    assert response.redirect_chain == [("/status/?not-found", 303)]
    assert response.status_code == 404
