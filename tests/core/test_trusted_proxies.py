"""HOTLINE_TRUSTED_PROXIES: whose X-Forwarded-For tells clients apart (in memory only)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from django.http import HttpRequest, HttpResponse
from django.test import RequestFactory

from hotline.core.middleware import PrivacyHeadersMiddleware

seen: list[HttpRequest] = []


def _token(remote_addr: str, forwarded_for: str | None = None) -> str:
    """Pass a request through the real middleware; return the token the view saw."""

    def view(request: HttpRequest) -> HttpResponse:
        seen.append(request)
        return HttpResponse(str(request.client_token))  # type: ignore[attr-defined]

    headers = {"REMOTE_ADDR": remote_addr}
    if forwarded_for is not None:
        headers["HTTP_X_FORWARDED_FOR"] = forwarded_for
    request = RequestFactory().get("/", **headers)
    return PrivacyHeadersMiddleware(view)(request).content.decode()


@pytest.fixture(autouse=True)
def _forget_requests() -> None:
    seen.clear()


def test_without_trusted_proxies_x_forwarded_for_is_ignored(settings: object) -> None:
    settings.HOTLINE_TRUSTED_PROXIES = []  # type: ignore[attr-defined]
    first = _token("127.0.0.1", "203.0.113.1")
    second = _token("127.0.0.1", "203.0.113.2")
    assert first == second == _token("127.0.0.1")
    assert _token("127.0.0.2") != first


def test_behind_a_trusted_proxy_each_forwarded_client_gets_its_own_token(
    settings: object,
) -> None:
    settings.HOTLINE_TRUSTED_PROXIES = ["127.0.0.1"]  # type: ignore[attr-defined]
    first = _token("127.0.0.1", "203.0.113.1")
    assert first != _token("127.0.0.1", "203.0.113.2")
    assert first == _token("127.0.0.1", "203.0.113.1")


def test_the_rightmost_untrusted_hop_counts_and_forged_hops_do_not(settings: object) -> None:
    settings.HOTLINE_TRUSTED_PROXIES = ["127.0.0.1", "10.0.0.0/8"]  # type: ignore[attr-defined]
    real = _token("127.0.0.1", "203.0.113.1")
    # Hops the client wrote itself (to the left) change nothing; trusted hops are skipped.
    assert _token("127.0.0.1", "6.6.6.6, 203.0.113.1") == real
    assert _token("127.0.0.1", "7.7.7.7, 203.0.113.1, 10.1.2.3") == real
    assert _token("127.0.0.1", "garbage,, 203.0.113.1 ,10.9.9.9") == real


def test_a_forwarded_address_from_an_untrusted_peer_is_ignored(settings: object) -> None:
    settings.HOTLINE_TRUSTED_PROXIES = ["127.0.0.1"]  # type: ignore[attr-defined]
    direct = _token("198.51.100.9")
    assert _token("198.51.100.9", "203.0.113.1") == direct
    assert _token("198.51.100.9", "203.0.113.2") == direct


def test_no_address_reaches_the_view(settings: object) -> None:
    settings.HOTLINE_TRUSTED_PROXIES = ["127.0.0.1"]  # type: ignore[attr-defined]
    token = _token("127.0.0.1", "203.0.113.77")
    meta = seen[-1].META
    assert "REMOTE_ADDR" not in meta
    assert "HTTP_X_FORWARDED_FOR" not in meta
    assert "203.0.113.77" not in repr(meta)
    assert "203.0.113.77" not in token


def test_a_trusted_proxy_that_is_not_an_address_stops_the_start() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    env["HOTLINE_TRUSTED_PROXIES"] = "127.0.0.1,nginx.local"
    done = subprocess.run(
        [sys.executable, "-c", "import hotline.settings"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode != 0
    assert "HOTLINE_TRUSTED_PROXIES: 'nginx.local' is not an IP address or network." in (
        done.stderr
    )
