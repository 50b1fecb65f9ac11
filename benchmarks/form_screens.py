"""Count how many phone screens the report form is, in Khmer and English, with and without JS.

    .venv/bin/python benchmarks/form_screens.py            # about 30 s (starts `hotline run`)

A screen is 740 px of a 360x740 viewport (Debian's chromium through Playwright); the figure is
document.body.scrollHeight / 740 for the empty form as it first opens. Issue 10 measured about
7 screens before optional sections were folded.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from page_weight import HOTLINE, free_port
from playwright.sync_api import sync_playwright

CHROMIUM = "/usr/bin/chromium"
WIDTH, HEIGHT = 360, 740


def main() -> None:
    data_dir = tempfile.mkdtemp(prefix="hotline-screens-bench-")
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
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    sys.exit(f"hotline run did not start:\n{log.read_text()}")
                time.sleep(0.5)
        print(f"report form /report/ at {WIDTH}x{HEIGHT}: screens = body.scrollHeight / {HEIGHT}")
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=CHROMIUM, headless=True, args=["--no-sandbox", "--disable-gpu"]
            )
            for language, locale in [("km", "km-KH"), ("en", "en-US")]:
                for javascript in (False, True):
                    context = browser.new_context(
                        viewport={"width": WIDTH, "height": HEIGHT},
                        java_script_enabled=javascript,
                        locale=locale,
                        extra_http_headers={"Accept-Language": language},
                    )
                    page = context.new_page()
                    page.goto(base + "/report/")
                    page.wait_for_load_state("load")
                    height = int(page.evaluate("document.body.scrollHeight"))
                    js = "with JS" if javascript else "no JS"
                    print(f"{language:<3}{js:<9}{height:>6} px {height / HEIGHT:>5.1f} screens")
                    context.close()
            browser.close()
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=60)


if __name__ == "__main__":
    main()
