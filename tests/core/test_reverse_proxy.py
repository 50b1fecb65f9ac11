"""The README's nginx configuration, run for real in front of `hotline run`.

The configuration is taken from the README's ```nginx block (what an operator copies), with
only the ports, certificate paths and log folder replaced; nginx (Debian's nginx-light, which
scripts/test installs) runs it with a generated self-signed certificate.
"""

from __future__ import annotations

import datetime
import http.client
import re
import shutil
import socket
import ssl
import subprocess
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from django.conf import settings

from process_helpers import RUN_STOP_SECONDS, Install, free_port, kill_group, log_of, wait_for

pytestmark = pytest.mark.slow

README = Path(__file__).resolve().parents[2] / "README.md"
HOST = "hotline.example.org"
CLIENT_ADDRESS = "127.0.0.7"  # distinctive loopback address the client connects from
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


def readme_nginx_config() -> str:
    blocks = re.findall(r"```nginx\n(.*?)```", README.read_text(), re.S)
    assert len(blocks) == 1, "the README has one nginx configuration"
    return blocks[0]


def replace(text: str, old: str, new: str) -> str:
    assert old in text, f"the README's nginx configuration no longer has {old!r}"
    return text.replace(old, new)


def self_signed(folder: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, HOST)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(HOST)]), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


def nginx_config(folder: Path, *, http_port: int, https_port: int, app_port: int) -> Path:
    cert, key = self_signed(folder)
    logs = folder / "logs"
    logs.mkdir()
    site = readme_nginx_config()
    site = replace(site, "listen 80;", f"listen 127.0.0.1:{http_port};")
    site = replace(site, "listen 443 ssl;", f"listen 127.0.0.1:{https_port} ssl;")
    site = replace(site, "server 127.0.0.1:8000;", f"server 127.0.0.1:{app_port};")
    site = replace(site, f"/etc/letsencrypt/live/{HOST}/fullchain.pem", str(cert))
    site = replace(site, f"/etc/letsencrypt/live/{HOST}/privkey.pem", str(key))
    site = replace(site, "/var/log/nginx/", f"{logs}/")
    (folder / "openhotline.conf").write_text(site)
    temp = "\n".join(
        f"  {kind}_temp_path {folder / kind};" for kind in ("client_body", "proxy", "fastcgi")
    )
    main = folder / "nginx.conf"
    main.write_text(
        f"daemon off;\nuser root;\nworker_processes 1;\npid {folder / 'nginx.pid'};\n"
        f"error_log {logs / 'main-error.log'} notice;\n"
        "events { worker_connections 256; }\n"
        f"http {{\n{temp}\n  uwsgi_temp_path {folder / 'uwsgi'};\n"
        f"  scgi_temp_path {folder / 'scgi'};\n"
        f"  include {folder / 'openhotline.conf'};\n}}\n"
    )
    return main


def listening(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
    except OSError:
        return False
    return True


def https(port: int) -> http.client.HTTPSConnection:
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return http.client.HTTPSConnection(
        "127.0.0.1", port, timeout=30, context=context, source_address=(CLIENT_ADDRESS, 0)
    )


def call(
    port: int, method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], str]:
    conn = https(port)
    try:
        conn.request(method, path, body=body, headers={"Host": HOST, **(headers or {})})
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read().decode()
    finally:
        conn.close()


def test_readme_nginx_config_passes_nginx_t(tmp_path: Path) -> None:
    main = nginx_config(tmp_path, http_port=free_port(), https_port=free_port(), app_port=8000)
    done = subprocess.run(
        [NGINX, "-t", "-p", str(tmp_path), "-c", str(main), "-e", str(tmp_path / "early.log")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr


def test_readme_upload_limit_is_the_apps_request_limit() -> None:
    size = re.search(r"client_max_body_size (\d+)m;", readme_nginx_config())
    assert size
    assert int(size.group(1)) * 1024 * 1024 == settings.HOTLINE_MAX_REQUEST_BYTES


def test_readme_nginx_config_serves_reports_and_logs_no_address(
    install: Install, tmp_path: Path
) -> None:
    app_port, http_port, https_port = free_port(), free_port(), free_port()
    run = install.start(
        "run",
        "--port",
        str(app_port),
        "--no-worker",
        "--processes",
        "1",
        "--threads",
        "2",
        log="run.log",
        HOTLINE_TRUSTED_PROXIES="127.0.0.1",
        HOTLINE_BEHIND_TLS_PROXY="1",
        HOTLINE_SECURE_COOKIES="1",
        HOTLINE_ALLOWED_HOSTS=HOST,
        HOTLINE_LOG_LEVEL="DEBUG",
    )
    folder = tmp_path / "nginx"
    folder.mkdir()
    main = nginx_config(folder, http_port=http_port, https_port=https_port, app_port=app_port)
    early = folder / "early.log"
    with (folder / "nginx.out").open("wb") as out:
        nginx = subprocess.Popen(
            [NGINX, "-p", str(folder), "-c", str(main), "-e", str(early)],
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    nginx.log_path = folder / "nginx.out"  # type: ignore[attr-defined]
    try:
        wait_for(
            lambda: listening(https_port) or nginx.poll() is not None,
            timeout=30,
            what="nginx to listen",
        )
        assert nginx.poll() is None, log_of(nginx)

        def app_answers() -> bool:
            try:
                return call(https_port, "GET", "/healthz")[0] == 200
            except OSError:
                return False

        wait_for(app_answers, timeout=120, what="OpenHotline behind nginx", alive=run)

        # Plain HTTP is sent to HTTPS.
        conn = http.client.HTTPConnection(
            "127.0.0.1", http_port, timeout=10, source_address=(CLIENT_ADDRESS, 0)
        )
        conn.request("GET", "/report/", headers={"Host": HOST})
        answer = conn.getresponse()
        assert answer.status == 301
        assert answer.getheader("Location") == f"https://{HOST}/report/"
        conn.close()

        # A report goes through (CSRF over HTTPS: the proxy's Host and scheme are right).
        status, headers, page = call(https_port, "GET", "/report/")
        assert status == 200, page[-1000:]
        cookie = re.search(r"csrftoken=([^;]+)", headers.get("Set-Cookie", ""))
        assert cookie
        assert "Secure" in headers["Set-Cookie"]
        hidden = dict(
            re.findall(r'name="(csrfmiddlewaretoken|submission_token)" value="([^"]+)"', page)
        )
        form = {
            **hidden,
            "in_danger": "no",
            "reporter_role": "myself",
            "categories": "sextortion",
            "narrative": "He wants money or he posts my photos.",
        }
        status, headers, page = call(
            https_port,
            "POST",
            "/report/",
            "&".join(f"{k}={v}" for k, v in form.items()).replace(" ", "+").encode(),
            {
                "Content-Type": "application/x-www-form-urlencoded",
                "Cookie": f"csrftoken={cookie.group(1)}",
                "Origin": f"https://{HOST}",
                "X-Forwarded-For": "203.0.113.9",
            },
        )
        # Post/redirect/get: the receipt is a page of its own, its code in a sealed cookie.
        assert status == 303, page[-2000:]
        assert headers["Location"] == "/report/receipt/"
        remembered = re.search(r"hotline_code=([^;]+)", headers.get("Set-Cookie", ""))
        assert remembered
        status, _, page = call(
            https_port, "GET", "/report/receipt/", headers={"Cookie": remembered.group(0)}
        )
        assert status == 200, page[-2000:]
        assert 'id="receipt-code"' in page

        # Over the app's request limit: nginx refuses before reading the body.
        status, _, _ = call(
            https_port,
            "POST",
            "/report/",
            b"",
            {"Content-Length": str(settings.HOTLINE_MAX_REQUEST_BYTES + 1)},
        )
        assert status == 413
        # A path with CR, LF and ESC is logged escaped (nginx's escape=default).
        call(https_port, "GET", "/status/%0d%0aINFO%20audit%20ok%1b[31mX")
    finally:
        kill_group(nginx, 15)
        nginx.wait(timeout=30)
        kill_group(run, 15)
        run.wait(timeout=RUN_STOP_SECONDS)

    access = (folder / "logs" / "openhotline-access.log").read_text()
    assert '"POST /report/" 303' in access
    assert '"POST /report/" 413' in access
    assert "\x1b" not in access
    assert not [line for line in access.splitlines() if line.startswith("INFO")]
    logs = [*folder.rglob("*.log"), folder / "nginx.out", run.log_path]  # type: ignore[attr-defined]
    for path in logs:
        text = path.read_text(errors="replace")
        assert CLIENT_ADDRESS not in text, f"the client address is in {path.name}"
        assert "203.0.113.9" not in text, f"the forwarded address is in {path.name}"
