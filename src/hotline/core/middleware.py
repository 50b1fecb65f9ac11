"""Privacy middleware: no client address past this point, no caching, no referrer."""

from __future__ import annotations

import functools
import hashlib
import hmac
import ipaddress
import secrets
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

# A per-process random key: throttling can tell clients apart for a few minutes, in memory,
# but the value cannot be reversed to an address or compared across restarts.
_PROCESS_KEY = secrets.token_bytes(32)

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


# The token of every client seen only as a shared address (HOTLINE_SHARED_CLIENT_ADDRESSES):
# the Tor daemon of an onion service, say. Not an HMAC: flood control must know it is shared.
SHARED_CLIENT = "shared"


def client_token(request: HttpRequest) -> str:
    """Return this request's throttling token (never an address)."""
    return str(getattr(request, "client_token", "anonymous"))


@functools.cache
def _trusted_networks(proxies: tuple[str, ...]) -> tuple[IPNetwork, ...]:
    return tuple(ipaddress.ip_network(proxy, strict=False) for proxy in proxies)


def _trusted(address: str, networks: tuple[IPNetwork, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)


def client_address(remote_addr: str, forwarded_for: str) -> str:
    """Return the address to tell clients apart by: the socket's, or a trusted proxy's word.

    Only when the socket's peer is one of HOTLINE_TRUSTED_PROXIES is X-Forwarded-For read, from
    the right: the rightmost hop that is not itself a trusted proxy is the client (hops to its
    left were written by the client and prove nothing). The result only ever becomes the
    in-memory token below; it is never stored, logged or passed on.
    """
    from django.conf import settings

    networks = _trusted_networks(tuple(settings.HOTLINE_TRUSTED_PROXIES))
    if not networks or not _trusted(remote_addr, networks):
        return remote_addr
    hops = [hop.strip() for hop in forwarded_for[-2000:].split(",") if hop.strip()]
    for hop in reversed(hops):
        if not _trusted(hop, networks):
            return hop
    return remote_addr


def client_is_shared(address: str) -> bool:
    """Say whether `address` stands for many people (HOTLINE_SHARED_CLIENT_ADDRESSES, or none)."""
    from django.conf import settings

    networks = _trusted_networks(tuple(settings.HOTLINE_SHARED_CLIENT_ADDRESSES))
    return not address or _trusted(address, networks)


class PrivacyHeadersMiddleware:
    """Replace the client address with an in-memory token and set privacy headers.

    Runs first, so no later middleware, view or log handler ever sees the address.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        peer = request.META.pop("REMOTE_ADDR", "") or ""
        address = client_address(peer, request.META.pop("HTTP_X_FORWARDED_FOR", "") or "")
        request.META.pop("HTTP_X_REAL_IP", None)
        request.META.pop("HTTP_FORWARDED", None)
        if address == peer and client_is_shared(address):
            # Nobody said who is behind this peer (an onion service's Tor daemon, say).
            request.client_token = SHARED_CLIENT  # type: ignore[attr-defined]
        else:
            request.client_token = hmac.new(  # type: ignore[attr-defined]
                _PROCESS_KEY, address.encode(), hashlib.sha256
            ).hexdigest()[:32]
        response = self.get_response(request)
        if not request.path.startswith("/static/"):
            response["Cache-Control"] = "no-store"
        response["Referrer-Policy"] = "no-referrer"
        response["Permissions-Policy"] = (
            "camera=(), microphone=(), geolocation=(), interest-cohort=()"
        )
        # No other site may embed or load anything of ours (images, scripts, JSON): a page
        # elsewhere cannot probe whether its visitor has been here.
        response["Cross-Origin-Resource-Policy"] = "same-origin"
        return response


class RequestSizeLimitMiddleware:
    """Refuse a request whose declared body exceeds HOTLINE_MAX_REQUEST_BYTES before reading it.

    Uploads are held in memory only (settings.FILE_UPLOAD_HANDLERS), never spooled unencrypted
    to a temporary file, so the whole request must be bounded first.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        from django.conf import settings

        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > settings.HOTLINE_MAX_REQUEST_BYTES:
            return self._too_large(request)
        return self.get_response(request)

    @staticmethod
    def _too_large(request: HttpRequest) -> HttpResponse:
        from django.http import JsonResponse
        from django.shortcuts import render
        from django.utils import translation
        from django.utils.translation import gettext

        if request.path.startswith("/api/"):
            return JsonResponse(
                {"error": "too_large", "message": "The request body is too large.", "errors": []},
                status=413,
            )
        with translation.override(translation.get_language_from_request(request)):
            return render(
                request,
                "intake/error_page.html",
                {"message": gettext("What you sent is too large.")},
                status=413,
            )


class ServiceUnavailableMiddleware:
    """Answer 503 "try again" when a view fails because the database or the disk is unusable.

    Exceptions raised by other middleware reach `hotline.core.views.server_error`, which
    answers the same way; this class covers views, also with DEBUG on.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        from hotline.core.views import service_unavailable_for

        return service_unavailable_for(request, exception)
