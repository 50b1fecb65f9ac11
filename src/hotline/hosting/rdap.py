"""The registrar of a reported domain, from RDAP (the registries' JSON WHOIS).

Asked only when the operator sets HOTLINE_RDAP_URL (a bootstrap service such as
https://rdap.org/, which redirects to the registry of the domain's TLD). RDAP servers are
registries, not the reported site: this is the one place the hosting trace reads a response
body, bounded in time and size. Unreachable, slow or odd answers are recorded as a problem in a
few words and the trace goes on without a registrar.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from datetime import timedelta
from typing import Any, Final

from django.conf import settings
from django.utils import timezone

from hotline.hosting.models import HostTrace

RDAP_SECONDS: Final = 5.0
RDAP_MAX_BYTES: Final = 256 * 1024
# Registrars change seldom: a lookup is reused for a week.
REGISTRAR_MAX_AGE: Final = timedelta(days=7)
# www.example.co.uk: ask "co.uk", then "example.co.uk", then stop (the registered domain is
# never longer than that in practice, and every extra label is one more request).
MAX_CANDIDATES: Final = 3


class RdapUnavailable(Exception):
    """The RDAP service did not answer usefully (the message says how, in a few words)."""


def rdap_base() -> str:
    return str(getattr(settings, "HOTLINE_RDAP_URL", "") or "").strip()


def _candidates(host: str) -> list[str]:
    labels = host.strip(".").lower().split(".")
    if len(labels) < 2 or all(label.isdigit() for label in labels):
        return []  # a bare name or an IPv4 address has no registrar
    try:
        labels = [label.encode("idna").decode("ascii") for label in labels]
    except UnicodeError:
        return []
    return [".".join(labels[-n:]) for n in range(2, min(len(labels), MAX_CANDIDATES + 1) + 1)]


class _WebRedirectsOnly(urllib.request.HTTPRedirectHandler):
    """Follow a bootstrap service's redirect to the registry, but only to http(s)."""

    def redirect_request(self, req: Any, fp: Any, code: int, msg: str, headers: Any, newurl: str):  # type: ignore[no-untyped-def]
        if urllib.parse.urlsplit(newurl).scheme not in {"http", "https"}:
            raise RdapUnavailable("RDAP redirected to another scheme")
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def _get(url: str) -> dict[str, Any] | None:
    """GET an RDAP object; None for 404 (no such domain at this level)."""
    if urllib.parse.urlsplit(url).scheme not in {"http", "https"}:
        raise RdapUnavailable("HOTLINE_RDAP_URL is not an http(s) address")
    request = urllib.request.Request(  # noqa: S310 - the scheme is checked just above
        url, headers={"Accept": "application/rdap+json, application/json"}
    )
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), _WebRedirectsOnly())
    try:
        with opener.open(request, timeout=RDAP_SECONDS) as response:
            body = response.read(RDAP_MAX_BYTES + 1)
    except urllib.error.HTTPError as exc:
        if exc.code == 404:
            return None
        raise RdapUnavailable(f"RDAP answered {exc.code}") from exc
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        raise RdapUnavailable(f"RDAP unreachable: {str(reason)[:120]}") from exc
    if len(body) > RDAP_MAX_BYTES:
        raise RdapUnavailable("RDAP answer too large")
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise RdapUnavailable("RDAP answer is not JSON") from exc
    if not isinstance(data, dict):
        raise RdapUnavailable("RDAP answer is not an object")
    return data


def registrar_name(data: dict[str, Any]) -> str:
    """The registrar's name in an RDAP domain object ("" when it names none)."""
    entities = data.get("entities")
    for entity in entities if isinstance(entities, list) else []:
        if not isinstance(entity, dict) or "registrar" not in (entity.get("roles") or []):
            continue
        vcard = entity.get("vcardArray")
        if isinstance(vcard, list) and len(vcard) == 2 and isinstance(vcard[1], list):
            for field in vcard[1]:
                if isinstance(field, list) and len(field) >= 4 and field[0] == "fn":
                    return str(field[3]).strip()[:200]
        handle = entity.get("handle")
        if isinstance(handle, str) and handle.strip():
            return handle.strip()[:200]
    return ""


def registrar_lookup(host: str, base: str) -> str:
    """The registrar of `host`'s registered domain ("" if RDAP knows none); RdapUnavailable."""
    for candidate in _candidates(host):
        url = base.rstrip("/") + "/domain/" + urllib.parse.quote(candidate, safe=".-")
        data = _get(url)
        if data is not None:
            return registrar_name(data)
    return ""


def trace_registrar_refresh(trace: HostTrace, *, fresh: bool = False) -> HostTrace:
    """Record the registrar of a traced host (when RDAP is configured and a week has passed)."""
    base = rdap_base()
    if not base:
        return trace
    now = timezone.now()
    if (
        not fresh
        and trace.registrar_checked_at is not None
        and now - trace.registrar_checked_at < REGISTRAR_MAX_AGE
    ):
        return trace
    try:
        trace.registrar, trace.registrar_problem = registrar_lookup(trace.host, base), ""
    except RdapUnavailable as exc:
        trace.registrar_problem = str(exc)[:200]
    trace.registrar_checked_at = now
    trace.save(update_fields=["registrar", "registrar_problem", "registrar_checked_at"])
    return trace
