"""PDF documents from HTML, with Khmer shaped correctly, for referral packages and reports.

WeasyPrint lays the HTML out with Pango and HarfBuzz, which apply Khmer's reordering and
subscript stacking (ReportLab and fpdf2 garble it: ../shared/ECOSYSTEM.md). The Khmer font is
the one OpenHotline already serves to browsers (Noto Sans Khmer, subset, committed under
static/core/fonts/), so a PDF looks the same on a server with no Khmer font installed.

Nothing is fetched while rendering: the only resource a document may load is that font, from
this package's own files (``url_fetcher`` refuses everything else), so an HTML template that
names a remote image or stylesheet cannot make the hotline contact another host.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

FONT_FILE = Path(__file__).resolve().parent.parent / "static/core/fonts/noto-sans-khmer.woff2"
FONT_URL = FONT_FILE.as_uri()

# Prepended to every document's own style. DejaVu Sans (Latin, digits, punctuation) first: it
# has no Khmer, so Khmer letters fall through to the committed Khmer font. Pango draws the
# spaces between Khmer words with the Khmer run's font, which is why the subset keeps a space
# and a no-break space (scripts/khmer_font.py).
BASE_CSS = f"""
@font-face {{ font-family: "Hotline Khmer"; src: url("{FONT_URL}") format("woff2"); }}
@page {{ size: A4; margin: 18mm 16mm 20mm 16mm;
  @bottom-center {{ content: counter(page) " / " counter(pages); font-size: 8pt; color: #555; }} }}
html {{ font-family: "DejaVu Sans", "Hotline Khmer", sans-serif; font-size: 10pt; line-height: 1.5;
  color: #111; }}
:lang(km) {{ line-height: 1.9; }}
h1 {{ font-size: 16pt; margin: 0 0 6pt; }}
h2 {{ font-size: 12.5pt; margin: 14pt 0 4pt; border-bottom: 0.6pt solid #999; }}
h3 {{ font-size: 11pt; margin: 10pt 0 3pt; }}
table {{ border-collapse: collapse; width: 100%; margin: 4pt 0 8pt; }}
th, td {{ border: 0.5pt solid #999; padding: 2pt 4pt; text-align: left; vertical-align: top; }}
th {{ background: #eee; }}
td.number, th.number {{ text-align: right; }}
.mono {{ font-family: "DejaVu Sans Mono", monospace; font-size: 8.5pt; overflow-wrap: anywhere; }}
"""


def _weasyprint() -> Any:
    """Import WeasyPrint without letting it change how Pillow reads images everywhere else.

    Importing weasyprint sets Pillow's process-wide ImageFile.LOAD_TRUNCATED_IMAGES to True
    (weasyprint/images.py, at import): after the first PDF, a worker would then accept the
    truncated pictures the evidence checks must refuse. Our documents embed no raster images,
    so the setting is put back as it was.
    """
    from PIL import ImageFile

    before = ImageFile.LOAD_TRUNCATED_IMAGES
    try:
        import weasyprint
        import weasyprint.images
    finally:
        ImageFile.LOAD_TRUNCATED_IMAGES = before
    return weasyprint


class RemoteResourceRefused(Exception):
    """A document asked for a resource other than OpenHotline's own font."""


def _local_font_fetcher() -> Any:
    """A WeasyPrint fetcher (its documented subclassing API) that serves only the Khmer font."""
    _weasyprint()
    from weasyprint.urls import URLFetcher

    class LocalFontOnly(URLFetcher):  # type: ignore[misc]
        def fetch(self, url: str, headers: Any = None) -> Any:
            if url != FONT_URL:
                raise RemoteResourceRefused(f"a PDF may not load {url[:80]!r}")
            return super().fetch(url, headers)

    return LocalFontOnly(allowed_protocols=("file",), allow_redirects=False)


def render_pdf(html: str, *, extra_css: str = "", title: str = "") -> bytes:
    """The PDF for ``html`` (a whole document or a fragment), with the hotline's base style.

    ``extra_css`` is appended after the base style. ``title`` becomes the PDF's title metadata;
    no author is written.
    """
    _weasyprint()
    from weasyprint import CSS, HTML
    from weasyprint.text.fonts import FontConfiguration

    # @font-face rules take effect only through a FontConfiguration shared by the stylesheet
    # and the rendering (WeasyPrint's documented way to use web fonts).
    fonts = FontConfiguration()
    fetcher = _local_font_fetcher()
    document = HTML(string=html, url_fetcher=fetcher, base_url=str(FONT_FILE.parent))
    stylesheets = [CSS(string=BASE_CSS + extra_css, url_fetcher=fetcher, font_config=fonts)]
    rendered = document.render(stylesheets=stylesheets, font_config=fonts)
    rendered.metadata.title = title or None
    rendered.metadata.authors = []
    pdf = rendered.write_pdf()
    assert pdf is not None
    return bytes(pdf)
