"""Hosting trace from a name alone: network owner and country from the operator's IP-to-ASN
file, reverse names and addresses from DNS (a real DNS server on 127.0.0.1), CDN detection,
a day's cache, the partner hotline of the hosting country; internal answers are not traced."""

from __future__ import annotations

import gzip
import ipaddress
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from hotline.directory.models import PartnerHotline
from hotline.hosting.models import HostTrace, NetworkRange
from hotline.hosting.services import (
    NetworkFileError,
    host_trace,
    network_of,
    network_ranges_load,
    partner_hotlines_for,
    url_trace,
)
from hotline.takedown.fetcher import FetchPolicy
from net_stubs import dns_server

pytestmark = pytest.mark.django_db
SAMPLE = Path(__file__).with_name("ip2asn-sample.tsv")

RECORDS = {
    "files.test": ["103.10.20.30"],
    "30.20.10.103.in-addr.arpa": ["host30.example-kh.test."],
    "cdn.test": ["1.1.1.7", "2606:4700::6810:1"],
    "inside.test": ["10.1.2.3"],
    "mixed.test": ["185.100.1.1", "192.168.0.9"],
}


@pytest.fixture
def dns_policy():  # type: ignore[no-untyped-def]
    with dns_server(lambda name, nth: RECORDS.get(name, [])) as (port, log):
        yield FetchPolicy(nameservers=(f"127.0.0.1:{port}",), deadline_seconds=5), log


def test_the_network_file_loads_and_answers_for_ipv4_and_ipv6() -> None:
    assert network_ranges_load(SAMPLE) == 5  # the "not routed" row is left out
    google = network_of(ipaddress.ip_address("8.8.8.8"))
    assert (google.asn, google.country, google.owner) == (15169, "US", "GOOGLE")  # type: ignore[union-attr]
    assert network_of(ipaddress.ip_address("2606:4700::1111")).asn == 13335  # type: ignore[union-attr]
    assert network_of(ipaddress.ip_address("1.0.0.1")) is None  # not routed
    assert network_of(ipaddress.ip_address("8.8.9.1")) is None  # between ranges
    assert network_of(ipaddress.ip_address("185.100.3.255")).asn == 64501  # type: ignore[union-attr]


def test_a_gzipped_file_loads_too(tmp_path: Path) -> None:
    packed = tmp_path / "ip2asn-combined.tsv.gz"
    packed.write_bytes(gzip.compress(SAMPLE.read_bytes()))
    assert network_ranges_load(packed) == 5


@pytest.mark.parametrize(
    "bad_line",
    [
        "1.2.3.0\t1.2.3.255\t64502\tTH\n",  # four columns
        "1.2.3.0\t1.2.3.x\t64502\tTH\tX\n",  # not an address
        "1.2.3.255\t1.2.3.0\t64502\tTH\tX\n",  # backwards
        "1.2.3.0\t::1\t64502\tTH\tX\n",  # mixed versions
        "1.2.3.0\t1.2.3.255\tAS64502\tTH\tX\n",  # not a number
    ],
)
def test_a_bad_line_names_its_number_and_leaves_the_table_as_it_was(
    tmp_path: Path, bad_line: str
) -> None:
    network_ranges_load(SAMPLE)
    broken = tmp_path / "broken.tsv"
    broken.write_text(SAMPLE.read_text() + bad_line)
    with pytest.raises(NetworkFileError, match="line 8"):
        network_ranges_load(broken)
    assert NetworkRange.objects.count() == 5
    with pytest.raises(CommandError, match="is not an IP-to-ASN file: line 8"):
        call_command("hosting", "load", str(broken))
    with pytest.raises(CommandError, match="cannot read"):
        call_command("hosting", "load", str(tmp_path / "missing.tsv"))


def test_a_host_is_traced_to_its_network_country_and_reverse_name(dns_policy) -> None:  # type: ignore[no-untyped-def]
    policy, _ = dns_policy
    network_ranges_load(SAMPLE)
    trace = host_trace("files.test", policy=policy)
    assert trace.problem == ""
    assert trace.addresses == [
        {
            "address": "103.10.20.30",
            "asn": 64500,
            "country": "KH",
            "owner": "EXAMPLE-KH-HOSTING",
            "cdn": "",
            "names": ["host30.example-kh.test"],
        }
    ]
    assert trace.countries == ["KH"]
    assert trace.behind_cdn == ""


def test_a_site_behind_a_cdn_says_so(dns_policy) -> None:  # type: ignore[no-untyped-def]
    policy, _ = dns_policy
    network_ranges_load(SAMPLE)
    trace = url_trace("https://www.cdn.test/some/page?x=1", policy=policy)
    assert trace is not None
    assert trace.host == "cdn.test"
    assert trace.behind_cdn == "Cloudflare"
    assert sorted(a["asn"] for a in trace.addresses) == [13335, 13335]


def test_internal_answers_are_named_and_not_looked_up_further(dns_policy) -> None:  # type: ignore[no-untyped-def]
    policy, log = dns_policy
    network_ranges_load(SAMPLE)
    trace = host_trace("mixed.test", policy=policy)
    # DNS answers are a set: find each address by itself, not by its place.
    by_address = {entry["address"]: entry for entry in trace.addresses}
    public, inside = by_address["185.100.1.1"], by_address["192.168.0.9"]
    assert public["country"] == "NL"
    assert inside["address"] == "192.168.0.9"
    assert "private" in inside["internal"]
    assert "asn" not in inside
    assert not any(name.startswith("9.0.168.192") for name, _ in log.queries)


def test_a_trace_is_reused_for_a_day_and_fresh_asks_again(dns_policy) -> None:  # type: ignore[no-untyped-def]
    policy, log = dns_policy
    first = host_trace("files.test", policy=policy)
    asked = len(log.queries)
    again = host_trace("FILES.test.", policy=policy)
    assert again.pk == first.pk
    assert len(log.queries) == asked
    host_trace("files.test", policy=policy, fresh=True)
    assert len(log.queries) > asked
    assert HostTrace.objects.count() == 1


def test_a_name_that_does_not_resolve_is_recorded_as_a_problem(dns_policy) -> None:  # type: ignore[no-untyped-def]
    policy, _ = dns_policy
    trace = host_trace("gone.test", policy=policy)
    assert trace.addresses == []
    assert "does not resolve" in trace.problem


def test_the_hosting_country_picks_the_partner_hotline(dns_policy) -> None:  # type: ignore[no-untyped-def]
    policy, _ = dns_policy
    network_ranges_load(SAMPLE)
    dutch = PartnerHotline.objects.create(name="Dutch hotline", country="NL")
    PartnerHotline.objects.create(name="Thai hotline", country="TH")
    PartnerHotline.objects.create(name="Old Dutch", country="NL", active=False)
    assert partner_hotlines_for(host_trace("mixed.test", policy=policy)) == [dutch]
    assert partner_hotlines_for(host_trace("inside.test", policy=policy)) == []
