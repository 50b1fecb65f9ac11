"""`hotline stats report`: the annual report PDF, its figures, its suppression, bad input."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pikepdf
import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone
from public_support import add_removed_target, add_reports, administrator, at, host_platform

from hotline.statistics.public import QuarterKey, quarter_publish
from hotline.statistics.report import NoData, report_html, report_pdf

pytestmark = pytest.mark.django_db


def _year_2025() -> None:
    # Q1: 12 sextortion on Facebook, under 13, action taken; 6 of them removed from Facebook
    # after 2 days, 1 after 10 days (median 2). Q2: 7 grooming on Telegram, aged 13-15,
    # waiting; 2 child images, assessed (a small count: "<5", and a complement).
    facebook = host_platform("facebook", "Facebook")
    q1 = add_reports(12, at(2025, 2), victim_age="under_13", status="notice_sent")
    for report in q1[:6]:
        add_removed_target(
            report, noticed=at(2025, 2, 20), removed=at(2025, 2, 22), platform=facebook
        )
    add_removed_target(q1[6], noticed=at(2025, 3, 1), removed=at(2025, 3, 11), platform=facebook)
    add_reports(7, at(2025, 5), categories=["grooming"], platforms=["telegram"], victim_age="13_15")
    add_reports(
        2, at(2025, 6), categories=["child_images"], platforms=["website"], status="assessed"
    )


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_the_report_shows_the_hand_computed_figures() -> None:
    _year_2025()
    html = report_html(2025, "en")

    summary = re.search(r'<table id="summary">.*?</table>', html, re.S)
    assert summary is not None
    rows = [_text(r).split() for r in re.findall(r"<tr>.*?</tr>", summary.group(0), re.S)[1:]]
    # quarter, received, assessed, actioned, removed
    assert rows[0] == ["Q1", "12", "12", "12", "7"]
    # Q2: 9 received; waiting 7, pending "<5" and a complement: derived figures withheld.
    assert rows[1] == ["Q2", "9", "—", "0", "0"]
    assert rows[2] == ["Q3", "0", "0", "0", "0"]
    assert rows[4] == ["2025", "21", "—", "12", "7"]
    assert 'id="year-received">21<' in html
    # Time to removal: median of six 2-day removals and one of 10 days.
    assert "within 2.0 days" in html
    assert "(7 removals)" in html
    medians = re.search(r'<table id="medians">.*?</table>', html, re.S)
    assert medians is not None
    assert re.findall(r'<td class="number">([^<]*)</td>', medians.group(0)) == ["2.0"]


def test_no_number_under_the_threshold_appears_in_the_report() -> None:
    _year_2025()
    html = report_html(2025, "en")
    tables = re.findall(r"<table.*?</table>", html, re.S)
    cells = [c for t in tables for c in re.findall(r'<td class="number">([^<]*)</td>', t)]
    assert "&lt;5" in cells
    for cell in cells:
        assert cell in {"&lt;5", "*", "—", "0"} or float(cell) >= 5 or "." in cell, cell


def test_a_yearly_total_is_left_out_when_a_quarter_hides_its_part() -> None:
    _year_2025()
    html = report_html(2025, "en")
    rows = re.findall(r"<tr><td>([^<]*)</td>(.*?)</tr>", html, re.S)
    child_images = next(
        cells for label, cells in rows if label == "Sexual images or videos of a child"
    )
    values = re.findall(r'<td class="number">([^<]*)</td>', child_images)
    assert values == ["0", "&lt;5", "0", "0", "—"]


def test_published_quarters_are_taken_from_their_frozen_snapshot() -> None:
    _year_2025()
    quarter_publish(actor=administrator(), key=QuarterKey(2025, 1))
    add_reports(30, at(2025, 2), categories=["live_abuse"])  # after publication

    html = report_html(2025, "en")

    assert re.search(r"<td>Q1</td><td class=\"number\">12</td>", html)
    assert 'id="unpublished"' in html
    assert "Q2, Q3, Q4" in html


def _fonts(pdf: bytes) -> set[str]:
    document = pikepdf.open(io.BytesIO(pdf))
    names: set[str] = set()
    for page in document.pages:
        for font in page.Resources.Font.values():
            names.add(str(font.BaseFont).split("+", 1)[-1])
    return names


def test_the_khmer_report_is_drawn_with_the_committed_khmer_font_and_charts() -> None:
    _year_2025()
    html = report_html(2025, "km")
    assert "របាយការណ៍ប្រចាំឆ្នាំ 2025" in html
    assert html.count("<svg") >= 2
    assert "<script" not in html

    pdf = report_pdf(2025, "km")

    assert pdf.startswith(b"%PDF-")
    assert "Hotline-Khmer" in _fonts(pdf)
    document = pikepdf.open(io.BytesIO(pdf))
    assert str(document.docinfo["/Title"]) == "របាយការណ៍ប្រចាំឆ្នាំ 2025"


def test_a_year_without_reports_says_so() -> None:
    with pytest.raises(NoData, match="no reports were received in 2024"):
        report_html(2024, "en")


def test_the_command_writes_the_pdf_quietly_when_not_on_a_terminal(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _year_2025()
    out = tmp_path / "report.pdf"

    call_command("stats", "report", "--year", "2025", "--language", "en", "--out", str(out))

    assert out.read_bytes().startswith(b"%PDF-")
    captured = capsys.readouterr()
    assert "wrote the 2025 annual report" in captured.out
    assert captured.err == ""
    assert list(tmp_path.iterdir()) == [out]


@pytest.mark.parametrize(
    ("year", "message"),
    [
        ("1800", "between 2000 and"),
        ("99999", "between 2000 and"),
        ("twenty", "must be a year"),
        ("", "must be a year"),
        ("2025; rm -rf /", "must be a year"),
        ("9" * 5000, "must be a year"),
        (str(timezone.localdate().year + 1), "between 2000 and"),
    ],
)
def test_bad_years_are_refused_clearly(tmp_path: Path, year: str, message: str) -> None:
    with pytest.raises(CommandError, match=message):
        call_command("stats", "report", "--year", year, "--out", str(tmp_path / "r.pdf"))
    assert list(tmp_path.iterdir()) == []


def test_a_year_with_no_data_writes_nothing(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="no reports were received in 2024"):
        call_command("stats", "report", "--year", "2024", "--out", str(tmp_path / "r.pdf"))
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("language", ["fr", "", "km; x", "k" * 3000])
def test_unknown_languages_are_refused(tmp_path: Path, language: str) -> None:
    with pytest.raises(CommandError, match="--language must be km or en"):
        call_command(
            "stats",
            "report",
            "--year",
            "2025",
            "--language",
            language,
            "--out",
            str(tmp_path / "r.pdf"),
        )


def test_an_output_in_a_missing_folder_or_a_folder_is_refused(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="does not exist"):
        call_command("stats", "report", "--year", "2025", "--out", str(tmp_path / "no" / "r.pdf"))
    with pytest.raises(CommandError, match="is a folder"):
        call_command("stats", "report", "--year", "2025", "--out", str(tmp_path))


def test_publish_from_the_command_line(capsys: pytest.CaptureFixture[str]) -> None:
    _year_2025()
    administrator()
    call_command("stats", "publish", "2025-Q1", "--by", "admin")
    assert "published 2025-Q1" in capsys.readouterr().out
    with pytest.raises(CommandError, match="already published"):
        call_command("stats", "publish", "2025-Q1", "--by", "admin")
    with pytest.raises(CommandError, match="no staff account"):
        call_command("stats", "publish", "2025-Q2", "--by", "nobody")
    with pytest.raises(CommandError, match="not a quarter"):
        call_command("stats", "publish", "Q2-2025", "--by", "admin")


def test_the_command_draws_a_progress_bar_on_a_terminal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import os
    import pty
    import sys

    _year_2025()
    controller, terminal = pty.openpty()
    with os.fdopen(terminal, "w", encoding="utf-8") as stderr:
        monkeypatch.setattr(sys, "stderr", stderr)
        call_command("stats", "report", "--year", "2025", "--out", str(tmp_path / "r.pdf"))
        stderr.flush()
        drawn = os.read(controller, 65536).decode()
    os.close(controller)

    assert "[" + "#" * 30 + "] 100%" in drawn
    assert "Counting reports" in drawn
    assert drawn.count("\r") >= 5


def test_the_khmer_report_is_quiet_when_not_on_a_terminal(
    tmp_path: Path, capfd: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    _year_2025()
    call_command(
        "stats", "report", "--year", "2025", "--language", "km", "--out", str(tmp_path / "r.pdf")
    )
    assert capfd.readouterr().err == ""
    assert not [r for r in caplog.records if r.name.startswith("weasyprint")]


def test_publish_by_a_role_that_may_not_is_refused_and_nothing_is_stored() -> None:
    from hotline.statistics.models import PublishedQuarter
    from staff_login import make_staff

    make_staff("sam", role="senior_analyst")
    with pytest.raises(CommandError, match="may not publish"):
        call_command("stats", "publish", "2025-Q1", "--by", "sam")
    assert not PublishedQuarter.objects.exists()
