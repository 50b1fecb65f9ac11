"""The hosting of a report's web addresses: traced by the worker, read by the report page and
by forwarding (which partner hotline gets a report).

The worker step (`report_hosts_trace`, queued by the report pipeline after extraction) traces
each host named by the report's web links, reusing a trace younger than a day (HostTrace is
the per-host cache); nothing is fetched from the reported sites. Hosts are read from the
report's identifiers (encrypted in hotline.entities) each time, so no new table points at a
report and a purged report leaves no link to its hosts.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Final

from django.conf import settings
from django.utils import timezone

from hotline.accounts.models import User
from hotline.accounts.permissions import Action, require
from hotline.directory.models import PartnerHotline
from hotline.directory.services import host_of
from hotline.entities.models import Kind, ReportEntity
from hotline.entities.services import entity_value
from hotline.hosting.models import HostTrace
from hotline.hosting.rdap import trace_registrar_refresh
from hotline.hosting.services import TRACE_MAX_AGE, host_trace
from hotline.intake.models import Report
from hotline.tasks.queue import enqueue

# A report naming hundreds of links is traced for its first hosts; the rest wait for an analyst.
MAX_HOSTS_PER_REPORT: Final = 20


@dataclass(frozen=True)
class ReportHost:
    host: str
    trace: HostTrace | None  # None: the worker has not traced it yet

    @property
    def stale(self) -> bool:
        return self.trace is not None and timezone.now() - self.trace.traced_at >= TRACE_MAX_AGE


def report_hosts(report_id: int) -> list[str]:
    """The hosts of the report's web links (not those an analyst rejected), sorted, once each."""
    links = (
        ReportEntity.objects.filter(report_id=report_id, entity__kind=Kind.URL)
        .exclude(state=ReportEntity.State.REJECTED)
        .select_related("entity")
    )
    hosts = {host_of(entity_value(link.entity)) for link in links}
    hosts.discard("")
    return sorted(hosts)[:MAX_HOSTS_PER_REPORT]


def report_trace_queue(*, report_id: int) -> bool:
    """Queue the trace of a report's hosts if it names any web link; return whether queued."""
    has_links = (
        ReportEntity.objects.filter(report_id=report_id, entity__kind=Kind.URL)
        .exclude(state=ReportEntity.State.REJECTED)
        .exists()
    )
    if has_links:
        enqueue("hotline.hosting.tasks.report_trace", report_id)
    return has_links


def report_hosts_trace(*, report_id: int) -> int:
    """Trace every host of a report (cached per host for a day); return how many hosts."""
    hosts = report_hosts(report_id)
    for host in hosts:
        trace_registrar_refresh(host_trace(host))
    return len(hosts)


def report_hosting_for(*, actor: User, report: Report) -> list[ReportHost]:
    """The report's hosts and their traces, for the staff report page."""
    require(actor, Action.VIEW_NARRATIVE)
    hosts = report_hosts(report.pk)
    traces = {t.host: t for t in HostTrace.objects.filter(host__in=hosts)}
    return [ReportHost(host, traces.get(host)) for host in hosts]


def report_hosting_countries(report: Report) -> list[str]:
    """Countries hosting the report's content, most addresses first.

    CDN addresses are left out: a CDN's edge says where the visitor is, not where the content
    lives (the notice goes to the CDN instead); internal answers have no country.
    """
    tally: Counter[str] = Counter()
    for trace in HostTrace.objects.filter(host__in=report_hosts(report.pk)):
        for address in trace.addresses:
            if address.get("country") and not address.get("cdn"):
                tally[str(address["country"])] += 1
    return [country for country, _ in sorted(tally.items(), key=lambda item: (-item[1], item[0]))]


def partner_for_report(report: Report) -> PartnerHotline | None:
    """The partner hotline to forward the report to: in the country hosting most of it.

    None when it is hosted at home (HOTLINE_HOME_COUNTRY), not traced yet, only behind CDNs,
    or no active partner covers the countries. INHOPE members first, then by name.
    """
    home = str(getattr(settings, "HOTLINE_HOME_COUNTRY", "")).upper()
    for country in report_hosting_countries(report):
        if country == home:
            return None
        partner = (
            PartnerHotline.objects.filter(active=True, country=country)
            .order_by("-inhope_member", "name")
            .first()
        )
        if partner is not None:
            return partner
    return None
