"""Trace who hosts a reported address, from its name alone: addresses, network owner, country,
reverse names, CDN. Nothing is ever fetched from the reported site itself.

The network data comes from an IP-to-ASN file the operator downloads (the public-domain
"ip2asn-combined.tsv" of iptoasn.com, or any file in its five tab-separated columns:
range start, range end, AS number, country code, AS description) and loads with
`hotline hosting load FILE`.
"""

from __future__ import annotations

import gzip
import ipaddress
import tomllib
from collections.abc import Iterable, Iterator
from datetime import timedelta
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import dns.exception
import dns.resolver
import dns.reversename
from django.db import transaction
from django.utils import timezone

from hotline.directory.models import PartnerHotline
from hotline.directory.services import host_of
from hotline.hosting.models import ADDRESS_KEY_LENGTH, HostTrace, NetworkRange
from hotline.takedown.addresses import IPAddress, address_refusal
from hotline.takedown.fetcher import FetchPolicy, policy_from_settings, resolve_host

TRACE_MAX_AGE = timedelta(hours=24)
REVERSE_LOOKUP_SECONDS = 2.0
LOAD_BATCH = 5000


class NetworkFileError(ValueError):
    """A line of the IP-to-ASN file cannot be read (the message names the line)."""


def address_key(address: IPAddress) -> str:
    """Sortable text form of an address: its IPv6 value (IPv4 mapped) as 39 padded digits."""
    if address.version == 4:
        address = ipaddress.IPv6Address(f"::ffff:{address}")
    return str(int(address)).zfill(ADDRESS_KEY_LENGTH)


def _parse_lines(lines: Iterable[str]) -> Iterator[NetworkRange]:
    for number, line in enumerate(lines, start=1):
        if not line.strip() or line.startswith("#"):
            continue
        fields = line.rstrip("\n").split("\t")
        if len(fields) != 5:
            raise NetworkFileError(f"line {number}: expected 5 tab-separated columns")
        start_text, end_text, asn_text, country, owner = fields
        try:
            start, end = ipaddress.ip_address(start_text), ipaddress.ip_address(end_text)
            asn = int(asn_text)
        except ValueError as exc:
            raise NetworkFileError(f"line {number}: {exc}") from exc
        if start.version != end.version or int(start) > int(end) or asn < 0:
            raise NetworkFileError(f"line {number}: not a range of addresses")
        if asn == 0:
            continue  # "Not routed": no network announces it
        country = country.strip().upper()
        if country in {"NONE", "ZZ"} or len(country) != 2 or not country.isalpha():
            country = ""
        yield NetworkRange(
            start=address_key(start),
            end=address_key(end),
            asn=asn,
            country=country,
            owner=owner.strip()[:200],
        )


def network_ranges_load(path: Path) -> int:
    """Replace the network table with the ranges of an IP-to-ASN file (.tsv or .tsv.gz).

    All or nothing: a bad line leaves the table as it was.
    """
    opener: Any = gzip.open if path.suffix == ".gz" else open
    count = 0
    with opener(path, "rt", encoding="utf-8", errors="replace") as lines, transaction.atomic():
        NetworkRange.objects.all().delete()
        batch: list[NetworkRange] = []
        for network in _parse_lines(lines):
            batch.append(network)
            if len(batch) >= LOAD_BATCH:
                NetworkRange.objects.bulk_create(batch)
                count += len(batch)
                batch.clear()
        NetworkRange.objects.bulk_create(batch)
        count += len(batch)
    return count


def network_of(address: IPAddress) -> NetworkRange | None:
    """The announced range that holds `address`, if the loaded file has one."""
    key = address_key(address)
    found = NetworkRange.objects.filter(start__lte=key).order_by("-start").first()
    return found if found is not None and found.end >= key else None


@lru_cache(maxsize=1)
def cdn_networks() -> dict[int, str]:
    text = resources.files("hotline.hosting").joinpath("data", "cdn_networks.toml").read_text()
    return {int(asn): str(name) for asn, name in tomllib.loads(text)["cdn"].items()}


def reverse_names(address: IPAddress, policy: FetchPolicy) -> list[str]:
    """The PTR names of an address (empty when there are none or DNS does not answer soon)."""
    resolver = dns.resolver.Resolver(configure=not policy.nameservers)
    if policy.nameservers:
        server = policy.nameservers[0]
        name, _, port = server.rpartition(":") if server.count(":") == 1 else (server, "", "")
        resolver.nameservers = [name]
        resolver.port = int(port) if port else 53
    try:
        answer = resolver.resolve(
            dns.reversename.from_address(str(address)), "PTR", lifetime=REVERSE_LOOKUP_SECONDS
        )
    except (dns.exception.DNSException, OSError):
        return []
    return sorted(record.to_text().rstrip(".") for record in answer)[:5]


def _describe(address: IPAddress, policy: FetchPolicy) -> dict[str, Any]:
    refusal = address_refusal(address)
    if refusal is not None:
        # Said as such, never looked up further: a reported name pointing inside a network
        # is a sign of a broken or hostile record, not a host to write to.
        return {"address": str(address), "internal": refusal}
    network = network_of(address)
    asn = network.asn if network else None
    return {
        "address": str(address),
        "asn": asn,
        "country": network.country if network else "",
        "owner": network.owner if network else "",
        "cdn": cdn_networks().get(asn, "") if asn else "",
        "names": reverse_names(address, policy),
    }


def host_trace(host: str, *, policy: FetchPolicy | None = None, fresh: bool = False) -> HostTrace:
    """Trace `host` (a name or an address), reusing a trace younger than a day."""
    host = host.strip().rstrip(".").lower()[:255]
    now = timezone.now()
    cached = HostTrace.objects.filter(host=host).first()
    if cached is not None and not fresh and now - cached.traced_at < TRACE_MAX_AGE:
        return cached
    policy = policy or policy_from_settings()
    problem = ""
    described: list[dict[str, Any]] = []
    try:
        addresses = resolve_host(host, policy)
    except LookupError as exc:
        problem = str(exc)[:300]
    else:
        described = [_describe(address, policy) for address in addresses[:16]]
    trace, _ = HostTrace.objects.update_or_create(
        host=host, defaults={"traced_at": now, "addresses": described, "problem": problem}
    )
    return trace


def url_trace(
    url: str, *, policy: FetchPolicy | None = None, fresh: bool = False
) -> HostTrace | None:
    """Trace the host of a reported URL (None when the URL names no host)."""
    host = host_of(url)
    return host_trace(host, policy=policy, fresh=fresh) if host else None


def partner_hotlines_for(trace: HostTrace) -> list[PartnerHotline]:
    """Active partner hotlines in the countries the host's addresses are announced from."""
    countries = trace.countries
    if not countries:
        return []
    return list(PartnerHotline.objects.filter(active=True, country__in=countries))
