"""Weigh the report form as a phone downloads it, in Khmer and English, against the targets.

    .venv/bin/python benchmarks/page_weight.py            # about 30 s (starts `hotline run`)

It starts the real server (`hotline run --no-worker`, which migrates a throwaway install and
collects the static files) and fetches /report/ and everything the page loads, as a phone
does: once asking for gzip (what every browser asks for) and once without compression, the
baseline (what was served before pages and static files were compressed). A weight is the sum
of the response bodies (HTTP headers not counted). "Without JavaScript": the page and its
stylesheet; "with JavaScript": plus the scripts it names. The Khmer web font (already WOFF2)
is counted apart: only a phone without a Khmer font fetches it.
Targets (issue 10): report form <= 30 KB compressed without JavaScript, <= 60 KB with.
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

KB = 1024
TARGET_WITHOUT_JS = 30 * KB
TARGET_WITH_JS = 60 * KB
HOTLINE = str(Path(sys.executable).with_name("hotline"))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextlib.contextmanager
def running_hotline(prefix: str) -> Iterator[str]:
    """Start a throwaway `hotline run` (SQLite, no worker) and yield its base URL; stop it after."""
    data_dir = tempfile.mkdtemp(prefix=prefix)
    port = free_port()
    env = {
        **os.environ,
        "HOTLINE_DATA_DIR": data_dir,
        "HOTLINE_CREATE_KEY_FILE": "1",
        "HOTLINE_ACCESS_LOG": os.devnull,
    }
    env.pop("HOTLINE_DATABASE_URL", None)  # a throwaway SQLite install
    log = Path(data_dir) / "server.log"
    server = subprocess.Popen(
        [HOTLINE, "run", "--no-worker", "--port", str(port), "--processes", "1"],
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180
        while True:
            try:
                urllib.request.urlopen(base + "/healthz", timeout=10).close()
                break
            except OSError:  # not listening yet, or still starting (URLError is one)
                if server.poll() is not None or time.monotonic() > deadline:
                    sys.exit(f"hotline run did not start:\n{log.read_text()}")
                time.sleep(0.5)
        yield base
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=60)


def fetch(url: str, *, language: str, compressed: bool) -> tuple[int, str]:
    """Return the body's size on the wire and its text (decoded when it came compressed)."""
    headers = {"Accept-Language": language}
    if compressed:
        headers["Accept-Encoding"] = "gzip"
    request = urllib.request.Request(url, headers=headers)
    with urllib.request.urlopen(request, timeout=30) as response:
        raw = response.read()
        encoding = response.headers.get("Content-Encoding")
    text = raw
    if encoding == "gzip":
        text = gzip.decompress(raw)
    return len(raw), text.decode(errors="replace")


def weigh(base: str, *, language: str, compressed: bool) -> dict[str, int]:
    """Return the weights (bytes) of the report form's page, stylesheet, scripts and font."""
    page_bytes, page = fetch(base + "/report/", language=language, compressed=compressed)
    stylesheets = re.findall(r'<link rel="stylesheet" href="([^"]+)"', page)
    scripts = re.findall(r'<script src="([^"]+)"', page)
    css_bytes, js_bytes, font_bytes = 0, 0, 0
    for href in stylesheets:
        size, css = fetch(base + href, language=language, compressed=compressed)
        css_bytes += size
        folder = href.rsplit("/", 1)[0]
        for font in re.findall(r'url\("([^"]+\.woff2)"\)', css):
            url = f"{base}{folder}/{font}"
            font_bytes += fetch(url, language=language, compressed=compressed)[0]
    for src in scripts:
        js_bytes += fetch(base + src, language=language, compressed=compressed)[0]
    return {"html": page_bytes, "css": css_bytes, "js": js_bytes, "font": font_bytes}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.parse_args()
    with running_hotline("hotline-weight-bench-") as base:
        print("report form /report/, bytes of response bodies (KB = 1024 bytes)")
        print(
            f"{'language':<9}{'transfer':<10}{'HTML':>8}{'CSS':>8}{'JS':>8}"
            f"{'no JS':>9}{'with JS':>9}{'+font':>8}"
        )
        verdicts = []
        for language, name in [("km", "Khmer"), ("en", "English")]:
            for compressed in (False, True):
                w = weigh(base, language=language, compressed=compressed)
                without_js = w["html"] + w["css"]
                with_js = without_js + w["js"]
                print(
                    f"{name:<9}{'gzip' if compressed else 'identity':<10}"
                    f"{w['html'] / KB:>8.1f}{w['css'] / KB:>8.1f}{w['js'] / KB:>8.1f}"
                    f"{without_js / KB:>9.1f}{with_js / KB:>9.1f}{w['font'] / KB:>8.1f}"
                )
                if compressed:
                    verdicts.append(
                        f"{name}: without JavaScript {without_js / KB:.1f} KB "
                        f"(target <= {TARGET_WITHOUT_JS // KB} KB: "
                        f"{'met' if without_js <= TARGET_WITHOUT_JS else 'MISSED'}), "
                        f"with JavaScript {with_js / KB:.1f} KB "
                        f"(target <= {TARGET_WITH_JS // KB} KB: "
                        f"{'met' if with_js <= TARGET_WITH_JS else 'MISSED'}); "
                        f"a phone without a Khmer font adds {w['font'] / KB:.1f} KB of font"
                    )
        print()
        print("\n".join(verdicts))


if __name__ == "__main__":
    main()
