"""hotline.core.pdf: Khmer in PDFs through the committed font; nothing fetched from elsewhere."""

from __future__ import annotations

import io
import socket
import subprocess
import sys

import pikepdf
import pytest

from hotline.core.pdf import render_pdf
from net_stubs import http_server

KHMER = "របាយការណ៍អំពីក្មេងស្រី"


def _font_names(pdf: bytes) -> set[str]:
    document = pikepdf.open(io.BytesIO(pdf))
    names: set[str] = set()
    for page in document.pages:
        for font in page.Resources.Font.values():
            names.add(str(font.BaseFont).split("+", 1)[-1])
    return names


def test_khmer_text_is_drawn_with_the_committed_khmer_font() -> None:
    pdf = render_pdf(f'<h1>Report</h1><p lang="km">{KHMER}</p>')

    assert pdf.startswith(b"%PDF-")
    assert "Hotline-Khmer" in _font_names(pdf)


def test_a_document_without_khmer_embeds_no_khmer_font() -> None:
    # The check above must be able to fail: the font is embedded only when Khmer is drawn.
    assert "Hotline-Khmer" not in _font_names(render_pdf("<p>English only</p>"))


def test_a_document_naming_a_remote_image_or_stylesheet_contacts_no_host() -> None:
    def answer(conn: socket.socket, head: bytes) -> None:
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")

    with http_server(answer) as (port, seen):
        html = (
            f'<link rel="stylesheet" href="http://127.0.0.1:{port}/style.css">'
            f'<img src="http://127.0.0.1:{port}/pixel.png">'
            f'<p style="background: url(http://127.0.0.1:{port}/bg.png)">text</p>'
        )
        pdf = render_pdf(html)

    assert pdf.startswith(b"%PDF-")
    assert seen.requests == []


def test_the_title_is_written_and_no_author() -> None:
    document = pikepdf.open(io.BytesIO(render_pdf("<p>x</p>", title="Referral R-1")))
    info = document.docinfo

    assert str(info["/Title"]) == "Referral R-1"
    assert "/Author" not in info


@pytest.mark.parametrize("html", ["", "<", "<html><body>" * 200, "\x00\ufffd"])
def test_odd_html_still_gives_a_pdf(html: str) -> None:
    assert render_pdf(html).startswith(b"%PDF-")


def test_spaces_between_khmer_words_are_drawn_with_a_real_glyph(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # WeasyPrint warns for every character it can only draw with a font's empty placeholder.
    with caplog.at_level("WARNING", logger="weasyprint"):
        render_pdf(f'<p lang="km">{KHMER} {KHMER}\u00a0{KHMER}</p>')

    assert not [r for r in caplog.records if ".notdef" in r.getMessage()]


def test_making_a_pdf_leaves_pillow_refusing_truncated_images() -> None:
    # A fresh process: WeasyPrint changes Pillow's setting when it is first imported.
    script = (
        "from hotline.core.pdf import render_pdf\n"
        "render_pdf('<p>x</p>')\n"
        "from PIL import ImageFile\n"
        "print(ImageFile.LOAD_TRUNCATED_IMAGES)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=True
    )

    assert done.stdout.strip() == "False"
