"""Production settings pass Django's deploy check; every response carries the strict headers."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
import types
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

import pytest
from django.http import HttpResponse
from django.test import Client
from django.urls import path

from hotline.intake.services import ReportInput, report_submit
from process_helpers import Install, free_port, http_get, wait_for
from staff_login import staff_client

README = Path(__file__).resolve().parents[2] / "README.md"
HOTLINE = str(Path(sys.executable).with_name("hotline"))
PASSWORD = "a long enough passphrase 42"


def readme_production_environment() -> dict[str, str]:
    """Return the variables the README's production block exports."""
    text = README.read_text()
    block = re.search(r"<!-- production-environment -->\s*```sh\n(.*?)```", text, re.S)
    assert block, "README lost its production-environment block"
    env: dict[str, str] = {}
    for line in block.group(1).splitlines():
        words = shlex.split(line)
        if words[:1] == ["export"]:
            env.update(word.split("=", 1) for word in words[1:])  # type: ignore[misc]
    return env


def test_readme_production_example_passes_check_deploy_at_warning_level(tmp_path: Path) -> None:
    production = readme_production_environment()
    assert "HOTLINE_HSTS_SECONDS" in production
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HOTLINE_", "DJANGO_"))}
    # First start of a PostgreSQL install: the README says to create the key file once.
    env.update(production, HOTLINE_DATA_DIR=str(tmp_path), HOTLINE_CREATE_KEY_FILE="1")
    done = subprocess.run(
        [HOTLINE, "check", "--deploy", "--fail-level", "WARNING"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.django_db
def test_hsts_and_https_redirect_follow_the_settings(client: Client, settings: object) -> None:
    settings.SECURE_SSL_REDIRECT = True  # type: ignore[attr-defined]
    settings.SECURE_HSTS_SECONDS = 31536000  # type: ignore[attr-defined]
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True  # type: ignore[attr-defined]
    redirected = client.get("/report/")
    assert redirected.status_code == 301
    assert redirected["Location"].startswith("https://")
    secure = client.get("/help/", secure=True)
    assert secure["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    assert client.get("/healthz").status_code in {200, 503}  # local monitors use plain HTTP


def _raise(request: object) -> HttpResponse:
    raise RuntimeError("a bug")


@pytest.fixture
def erroring_urls(settings: object) -> None:
    """Serve the real URL map plus a view that fails (for the 500 page)."""
    from hotline import urls

    module = types.ModuleType("hotline_test_error_urls")
    module.urlpatterns = [path("test-500/", _raise), *urls.urlpatterns]  # type: ignore[attr-defined]
    for name in ("handler400", "handler404", "handler500"):
        setattr(module, name, getattr(urls, name))
    sys.modules[module.__name__] = module
    settings.ROOT_URLCONF = module.__name__  # type: ignore[attr-defined]


def every_kind_of_response() -> dict[str, Callable[[], HttpResponse]]:
    report = report_submit(
        data=ReportInput(reporter_role="myself", categories=["sextortion"], narrative="x"),
        evidence=[],
    ).report
    staff = staff_client("analyst")[0]
    public = Client()
    strict = Client(enforce_csrf_checks=True, raise_request_exception=False)
    return {
        "home": lambda: public.get("/"),
        "report form": lambda: public.get("/report/"),
        "report form refused": lambda: public.post("/report/", {}),  # 303 back to the form
        "report form with errors": lambda: public.get("/report/"),  # its draft, by GET
        "challenge refused": lambda: public.get("/report/challenge/"),  # 400
        "status lookup": lambda: public.get("/status/"),
        "danger": lambda: public.get("/danger/"),
        "guidance": lambda: public.get("/help/"),
        "staff login": lambda: public.get("/staff/login/"),
        "staff redirect to login": lambda: public.get("/staff/"),
        "staff list": lambda: staff.get("/staff/"),
        "staff report": lambda: staff.get(f"/staff/reports/{report.public_id}/"),
        "staff search": lambda: staff.get("/staff/entities/"),
        "admin": lambda: public.get("/admin/login/"),
        "api schema": lambda: public.get("/api/openapi.json"),
        "api unauthorised": lambda: public.get("/api/v1/reports"),
        "api not found": lambda: public.get("/api/nothing"),
        "static": lambda: public.get("/static/core/site.css"),
        "static missing": lambda: public.get("/static/core/nothing.css"),
        "not found": lambda: public.get("/no-such-page/"),
        "csrf failure": lambda: strict.post("/report/", {}),
        "too large": lambda: public.post(
            "/report/", data=b"x", content_type="text/plain", CONTENT_LENGTH=str(10**10)
        ),
        "server error": lambda: strict.get("/test-500/"),
        "health": lambda: public.get("/healthz"),
    }


@pytest.mark.django_db
@pytest.mark.usefixtures("erroring_urls")
def test_every_response_carries_strict_csp_and_corp() -> None:
    seen_statuses = set()
    for name, request in every_kind_of_response().items():
        response = request()
        seen_statuses.add(response.status_code)
        csp = response.get("Content-Security-Policy", "")
        directives = {
            name: value
            for name, _, value in (p.strip().partition(" ") for p in csp.split(";"))
            if name
        }
        assert directives.get("default-src") == "'none'", (name, csp)
        assert directives.get("base-uri") == "'none'", (name, csp)
        assert directives.get("frame-ancestors") == "'none'", (name, csp)
        assert directives.get("form-action") == "'self'", (name, csp)
        assert directives.get("style-src") == "'self'", (name, csp)
        assert directives.get("img-src") == "'self'", (name, csp)
        # A nonce is added on pages that load scripts (Django adds it only where used).
        assert re.fullmatch(r"'self'( 'nonce-[\w+/=-]+')?", directives.get("script-src", "")), csp
        assert response.get("Cross-Origin-Resource-Policy") == "same-origin", name
    # The list really covers successes, redirects, client and server errors.
    assert {200, 302, 400, 401, 403, 404, 413, 500} <= seen_statuses


# Documents saved and opened offline, served only as downloads (Content-Disposition:
# attachment, checked in their own tests), or laid out as PDFs by WeasyPrint and never served
# as a page (the annual report): they carry their style inline on purpose.
STANDALONE_DOCUMENTS = {
    "audit/templates/audit/custody.html",
    "statistics/templates/statistics/report.html",
}


def test_no_template_needs_inline_styles_or_scripts() -> None:
    """The CSP allows no inline style or script: a template with one breaks under it."""
    source = Path(__file__).resolve().parents[2] / "src" / "hotline"
    problems = []
    for template in source.rglob("templates/**/*.html"):
        text = template.read_text()
        where = str(template.relative_to(source))
        inline_style_allowed = where in STANDALONE_DOCUMENTS
        if not inline_style_allowed and (re.search(r"\sstyle\s*=", text) or "<style" in text):
            problems.append(f"{where}: inline style")
        if re.search(r"\son[a-z]+\s*=", text) or "javascript:" in text:
            problems.append(f"{where}: inline event handler")
        if re.search(r"<script(?![^>]*\bsrc=)", text):
            problems.append(f"{where}: inline script")
    assert problems == []


@pytest.mark.django_db
@pytest.mark.parametrize("page", ["/", "/report/", "/status/", "/danger/", "/help/"])
def test_csrf_cookie_is_a_browser_session_cookie_on_public_pages(page: str) -> None:
    response = Client().get(page)
    header = response.cookies["csrftoken"].output(header="Set-Cookie:")
    assert header.startswith("Set-Cookie: csrftoken=")
    attributes = [a.strip().split("=")[0].lower() for a in header.split(";")[1:]]
    assert "expires" not in attributes, header
    assert "max-age" not in attributes, header


@pytest.mark.slow
def test_real_server_sends_the_headers_on_pages_static_files_and_errors(install: Install) -> None:
    port = free_port()
    web = install.start(
        "run", "--no-worker", "--port", str(port), "--processes", "1", "--threads", "2"
    )
    base = f"http://127.0.0.1:{port}"
    wait_for(lambda: http_get(f"{base}/healthz")[0] == 200, timeout=120, what="/healthz", alive=web)
    for page, status in [
        ("/report/", 200),
        ("/static/core/site.css", 200),
        ("/api/v1/reports", 401),
        ("/no-such-page/", 404),
        ("/healthz", 200),
    ]:
        request = urllib.request.Request(base + page)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                got, headers = response.status, response.headers
        except urllib.error.HTTPError as exc:
            got, headers = exc.code, exc.headers
        assert got == status, page
        assert headers["Cross-Origin-Resource-Policy"] == "same-origin", page
        csp = headers["Content-Security-Policy"]
        assert csp.startswith("default-src 'none'"), (page, csp)
        assert "frame-ancestors 'none'" in csp
        assert "base-uri 'none'" in csp
