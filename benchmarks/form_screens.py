"""Count how many phone screens the report form is, in Khmer and English, with and without JS.

    .venv/bin/python benchmarks/form_screens.py            # about 30 s (starts `hotline run`)

A screen is 740 px of a 360x740 viewport (Debian's chromium through Playwright); the figure is
document.body.scrollHeight / 740 for the empty form as it first opens. Issue 10 measured about
7 screens before optional sections were folded.
"""

from __future__ import annotations

from page_weight import running_hotline
from playwright.sync_api import sync_playwright

CHROMIUM = "/usr/bin/chromium"
WIDTH, HEIGHT = 360, 740


def main() -> None:
    with running_hotline("hotline-screens-bench-") as base:
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


if __name__ == "__main__":
    main()
