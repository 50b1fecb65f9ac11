"""The liveness checker against real peers on 127.0.0.1: it refuses every spelling of an
internal address before connecting, validates each redirect hop, connects to the address it
validated, and is bounded in time and size."""

from __future__ import annotations

import ipaddress
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hotline.takedown.addresses import CLOUD_METADATA, address_refusal
from hotline.takedown.fetcher import FetchPolicy, Outcome, check_liveness
from net_stubs import answer, connect_proxy, dns_server, drip, http_server

LOOPBACK_ONLY = (ipaddress.ip_network("127.0.0.1/32"),)

# Every way of writing an address inside the hotline's machine or network that a URL parser
# or socket library accepts. {port} is a real server's port that must see no connection.
INTERNAL_SPELLINGS = [
    "http://127.0.0.1:{port}/",
    "http://2130706433:{port}/",  # decimal
    "http://0x7f000001:{port}/",  # hex
    "http://0177.0.0.1:{port}/",  # octal
    "http://0x7f.0.0.1:{port}/",
    "http://127.1:{port}/",  # short form
    "http://127.0.1:{port}/",
    "http://0x7f.1:{port}/",
    "http://localhost:{port}/",
    "http://LOCALHOST.:{port}/",
    "http://[::1]:{port}/",
    "http://[::ffff:127.0.0.1]:{port}/",  # IPv4-mapped
    "http://[::ffff:7f00:1]:{port}/",
    "http://[0:0:0:0:0:ffff:127.0.0.1]:{port}/",
    "http://[::127.0.0.1]:{port}/",  # IPv4-compatible
    "http://[64:ff9b::7f00:1]:{port}/",  # NAT64
    "http://[2002:7f00:1::]:{port}/",  # 6to4
    "http://0.0.0.0:{port}/",
    "http://0:{port}/",
    "http://[::]:{port}/",
    "http://10.0.0.1:{port}/",
    "http://172.16.0.1:{port}/",
    "http://192.168.1.1:{port}/",
    "http://100.64.0.1:{port}/",  # shared address space (carrier NAT)
    "http://169.254.169.254/latest/meta-data/",
    "http://[fd00:ec2::254]/latest/meta-data/",
    "http://100.100.100.200/latest/meta-data/",
    "http://[fe80::1]:{port}/",
    "http://224.0.0.1:{port}/",
    "http://[ff02::1]:{port}/",
    "http://user@127.0.0.1:{port}/",  # credentials
    "http://public.example@127.0.0.1:{port}/",
    "http://127.0.0.1:{port}@public.example/",
    "http://user:pass@public.example/",
    "https://127.0.0.1:{port}/",
]


@pytest.mark.parametrize("spelling", INTERNAL_SPELLINGS)
def test_internal_addresses_in_every_spelling_are_refused_before_any_connection(
    spelling: str,
) -> None:
    with http_server(answer(200)) as (port, seen):
        result = check_liveness(spelling.format(port=port), FetchPolicy(deadline_seconds=5))
        time.sleep(0.05)
    assert result.outcome is Outcome.REFUSED, result
    assert seen.connections == 0


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "ftp://ftp.example/file",
        "gopher://127.0.0.1:70/",
        "dict://127.0.0.1:11211/stat",
        "javascript:alert(1)",
        "data:text/html,hello",
        "ws://example.org/",
        "//example.org/",
        "example.org",
        "http:///path",
        "http://exa mple.org/",
        "http://example.org\\@127.0.0.1/",
        "http://example.org:99999/",
        "http://example.org:-1/",
        "",
        "http://" + "a" * 9000 + ".org/",
    ],
)
def test_urls_that_are_not_plain_http_or_https_are_refused(url: str) -> None:
    result = check_liveness(url, FetchPolicy(deadline_seconds=5))
    assert result.outcome is Outcome.REFUSED, result


def test_cloud_metadata_addresses_stay_outside_what_may_be_reached() -> None:
    for address in CLOUD_METADATA:
        assert address_refusal(address) is not None


def test_a_public_address_may_be_reached_and_its_private_twin_not() -> None:
    assert address_refusal(ipaddress.ip_address("93.184.215.14")) is None
    assert address_refusal(ipaddress.ip_address("2606:4700::6810:84e5")) is None
    assert address_refusal(ipaddress.ip_address("::ffff:93.184.215.14")) is None
    assert address_refusal(ipaddress.ip_address("::ffff:10.1.2.3")) is not None


@pytest.mark.parametrize(
    ("status", "outcome"),
    [
        (200, Outcome.ONLINE),
        (404, Outcome.GONE),
        (410, Outcome.GONE),
        (451, Outcome.GONE),
        (403, Outcome.ONLINE),
        (503, Outcome.ERROR),
    ],
)
def test_the_answer_status_says_whether_the_content_is_online(
    status: int, outcome: Outcome
) -> None:
    with http_server(answer(status)) as (port, seen):
        result = check_liveness(
            f"http://127.0.0.1:{port}/item", FetchPolicy(allowed_test_networks=LOOPBACK_ONLY)
        )
    assert (result.outcome, result.status) == (outcome, status)
    assert seen.requests[0].startswith(b"HEAD /item HTTP/1.1\r\n")


def test_only_the_head_is_asked_for_and_a_server_refusing_head_gets_a_one_byte_get() -> None:
    def script(conn, head):  # type: ignore[no-untyped-def]
        if head.startswith(b"HEAD"):
            answer(405)(conn, head)
        else:
            answer(206, body=b"x")(conn, head)

    with http_server(script) as (port, seen):
        result = check_liveness(
            f"http://127.0.0.1:{port}/", FetchPolicy(allowed_test_networks=LOOPBACK_ONLY)
        )
    assert result.outcome is Outcome.ONLINE
    methods = [request.split(b" ", 1)[0] for request in seen.requests]
    assert methods == [b"HEAD", b"GET"]
    assert b"\r\nRange: bytes=0-0\r\n" in seen.requests[1]


def test_redirects_are_followed_hop_by_hop_and_each_hop_is_recorded() -> None:
    with http_server(answer(404)) as (gone_port, _):
        target = f"http://127.0.0.1:{gone_port}/removed"
        with http_server(answer(302, {"Location": target})) as (port, _):
            result = check_liveness(
                f"http://127.0.0.1:{port}/start", FetchPolicy(allowed_test_networks=LOOPBACK_ONLY)
            )
    assert result.outcome is Outcome.GONE
    assert [hop.status for hop in result.hops] == [302, 404]
    assert result.final_url == target


@pytest.mark.parametrize(
    "location",
    [
        "http://10.0.0.1/",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::ffff:192.168.0.1]/",
        "file:///etc/passwd",
        "http://user@127.0.0.1:{port}/",
    ],
)
def test_a_redirect_into_the_internal_network_is_refused(location: str) -> None:
    with http_server(answer(200)) as (inner_port, inner_seen):
        hop = location.format(port=inner_port)
        with http_server(answer(301, {"Location": hop})) as (port, _):
            policy = FetchPolicy(allowed_test_networks=LOOPBACK_ONLY)
            result = check_liveness(f"http://127.0.0.1:{port}/", policy)
    assert result.outcome is Outcome.REFUSED, result
    assert inner_seen.connections == 0
    assert [hop.status for hop in result.hops] == [301]


def test_another_spelling_of_an_allowed_address_is_judged_as_that_address() -> None:
    with http_server(answer(200)) as (inner_port, inner_seen):
        hop = f"http://2130706433:{inner_port}/"
        with http_server(answer(301, {"Location": hop})) as (port, _):
            policy = FetchPolicy(allowed_test_networks=LOOPBACK_ONLY)
            result = check_liveness(f"http://127.0.0.1:{port}/", policy)
    assert result.outcome is Outcome.ONLINE
    assert inner_seen.connections == 1
    assert result.hops[-1].address == "127.0.0.1"


def test_too_many_redirects_end_the_check() -> None:
    with http_server(answer(302, {"Location": "/again"})) as (port, seen):
        result = check_liveness(
            f"http://127.0.0.1:{port}/",
            FetchPolicy(allowed_test_networks=LOOPBACK_ONLY, max_redirects=3),
        )
    assert result.outcome is Outcome.ERROR
    assert seen.connections == 4


def test_a_name_answering_a_public_address_first_and_loopback_second_is_refused() -> None:
    with (
        http_server(answer(200)) as (port, seen),
        dns_server(lambda name, nth: ["93.184.215.14", "127.0.0.1"]) as (dns_port, _),
    ):
        result = check_liveness(
            f"http://mixed.test:{port}/",
            FetchPolicy(nameservers=(f"127.0.0.1:{dns_port}",), deadline_seconds=5),
        )
    assert result.outcome is Outcome.REFUSED
    assert "127.0.0.1" in result.reason
    assert seen.connections == 0


def test_the_validated_address_is_the_one_connected_to_without_a_second_lookup() -> None:
    # A rebinding DNS server: the first answer passes the rule, every later one is the
    # metadata service. One lookup per check, so the later answers are never used.
    def records(name: str, nth: int) -> list[str]:
        return ["127.0.0.1"] if nth == 1 else ["169.254.169.254"]

    with (
        http_server(answer(200)) as (port, seen),
        dns_server(records) as (dns_port, log),
    ):
        result = check_liveness(
            f"http://rebind.test:{port}/",
            FetchPolicy(
                nameservers=(f"127.0.0.1:{dns_port}",), allowed_test_networks=LOOPBACK_ONLY
            ),
        )
    assert result.outcome is Outcome.ONLINE
    assert result.hops[0].address == "127.0.0.1"
    assert log.queries.count(("rebind.test", "A")) == 1
    assert seen.requests[0].split(b"\r\n")[1] == f"Host: rebind.test:{port}".encode()


def test_a_server_sending_one_byte_a_second_is_cut_off_at_the_deadline() -> None:
    with http_server(drip(0.3)) as (port, _):
        started = time.monotonic()
        result = check_liveness(
            f"http://127.0.0.1:{port}/",
            FetchPolicy(allowed_test_networks=LOOPBACK_ONLY, deadline_seconds=2),
        )
        took = time.monotonic() - started
    assert result.outcome is Outcome.TIMEOUT
    assert took < 4, took


def test_oversized_answer_headers_are_not_read_to_the_end() -> None:
    def huge(conn, head):  # type: ignore[no-untyped-def]
        conn.sendall(b"HTTP/1.1 200 OK\r\n" + b"X-Filler: " + b"a" * 200_000 + b"\r\n\r\n")

    with http_server(huge) as (port, _):
        result = check_liveness(
            f"http://127.0.0.1:{port}/",
            FetchPolicy(allowed_test_networks=LOOPBACK_ONLY, max_header_bytes=16 * 1024),
        )
    assert result.outcome is Outcome.ERROR
    assert "not valid HTTP" in result.reason


def test_nothing_listening_is_unreachable_and_an_unknown_name_too() -> None:
    with http_server(answer(200)) as (port, _):
        pass  # closed again: nothing listens on the port now
    policy = FetchPolicy(allowed_test_networks=LOOPBACK_ONLY, deadline_seconds=5)
    assert check_liveness(f"http://127.0.0.1:{port}/", policy).outcome is Outcome.UNREACHABLE
    with dns_server(lambda name, nth: []) as (dns_port, _):
        result = check_liveness(
            "http://nowhere.test/",
            FetchPolicy(nameservers=(f"127.0.0.1:{dns_port}",), deadline_seconds=5),
        )
    assert result.outcome is Outcome.UNREACHABLE


def test_the_proxy_is_asked_to_connect_to_the_validated_address_never_to_the_name() -> None:
    with (
        http_server(answer(200)) as (port, seen),
        dns_server(lambda name, nth: ["127.0.0.1"]) as (dns_port, _),
        connect_proxy() as (proxy_port, proxy),
    ):
        result = check_liveness(
            f"http://site.test:{port}/page",
            FetchPolicy(
                proxy=("127.0.0.1", proxy_port),
                nameservers=(f"127.0.0.1:{dns_port}",),
                allowed_test_networks=LOOPBACK_ONLY,
            ),
        )
    assert result.outcome is Outcome.ONLINE, result
    assert proxy.tunnels == [f"127.0.0.1:{port}"]
    assert seen.requests[0].startswith(b"HEAD /page HTTP/1.1\r\nHost: site.test:")


@settings(max_examples=80, deadline=None)
@given(
    st.one_of(
        st.text(max_size=300),
        st.builds(
            lambda scheme, host, rest: f"{scheme}://{host}{rest}",
            st.sampled_from(["http", "https", "HTTP", "file", "ftp", ""]),
            st.text(max_size=60),
            st.text(max_size=60),
        ),
    )
)
def test_any_text_as_a_url_gives_a_result_and_never_reaches_this_machine(url: str) -> None:
    with (
        http_server(answer(200)) as (port, seen),
        dns_server(lambda name, nth: []) as (dns_port, _),
    ):
        result = check_liveness(
            url.replace("PORT", str(port)),
            FetchPolicy(nameservers=(f"127.0.0.1:{dns_port}",), deadline_seconds=2),
        )
    assert result.outcome in set(Outcome)
    assert result.outcome is not Outcome.ONLINE
    assert seen.connections == 0
