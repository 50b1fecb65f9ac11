"""The annual report: a PDF in Khmer or English with the year's published figures and charts.

Built from the same quarterly figures as the public page (hotline.statistics.public): a
published quarter's frozen snapshot, else the quarter computed now with the same suppression.
A yearly figure is shown only when every quarter's part of it is published (a sum of hidden
cells would give them back). Median times to removal come from hotline.takedown's targets and
are shown only where at least `threshold` removals stand behind them.

Charts are pygal SVG drawn inline (WeasyPrint draws SVG itself; pygal's script is removed, and
nothing is fetched: render_pdf refuses every resource but the Khmer font).
"""

from __future__ import annotations

import re
import statistics
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.db.models import F
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from hotline.core.pdf import render_pdf
from hotline.sitesettings.selectors import site_settings
from hotline.statistics.public import (
    TABLES,
    QuarterKey,
    derived_outcomes,
    quarter_figures_for_year,
    threshold_setting,
)
from hotline.takedown.models import Target

LANGUAGES = ("km", "en")
Progress = Callable[[int, int, str], None]
_SCRIPT = re.compile(r"<script\b.*?</script>", re.S | re.I)


class NoData(Exception):
    """Nothing was received in the year: there is nothing to report."""


@dataclass(frozen=True)
class TableRow:
    label: str
    cells: list[str]  # one text per quarter
    year: str  # the yearly figure, or "—" when a quarter's part is hidden


@dataclass(frozen=True)
class Median:
    label: str
    days: str


def _sum_text(values: list[int | None]) -> str:
    return "—" if any(v is None for v in values) else str(sum(v for v in values if v is not None))


def _chart(title: str, labels: list[str], values: list[int | None]) -> str:
    """A bar chart as inline SVG (no script, fonts that draw Khmer)."""
    import pygal
    from pygal.style import Style

    font = '"Hotline Khmer", "DejaVu Sans", sans-serif'
    style = Style(
        font_family=font,
        label_font_family=font,
        major_label_font_family=font,
        title_font_family=font,
        value_font_family=font,
        legend_font_family=font,
        background="white",
        plot_background="white",
        colors=("#1f5fa8",),
        label_font_size=11,
        title_font_size=14,
    )
    chart = pygal.HorizontalBar(
        js=[],
        style=style,
        width=700,
        height=max(160, 34 * len(labels) + 60),
        show_legend=False,
        disable_xml_declaration=True,
        print_values=True,
        print_zeroes=True,
        margin=6,
        no_data_text="—",
    )
    chart.title = title
    chart.x_labels = labels
    chart.add(title, values)
    return _SCRIPT.sub("", chart.render(is_unicode=True))


def _medians(year: int, threshold: int) -> tuple[Median | None, list[Median], int]:
    """The year's median days from first notice to removal: overall and per platform (only
    platforms with at least `threshold` removals), and the number of removals behind it."""
    key_start, key_end = QuarterKey(year, 1).start(), QuarterKey(year, 4).end()
    rows = (
        Target.objects.filter(
            state=Target.State.REMOVED,
            removed_at__gte=key_start,
            removed_at__lt=key_end,
            first_noticed_at__isnull=False,
        )
        .annotate(took=F("removed_at") - F("first_noticed_at"))
        .values_list("platform__name", "took")
    )
    by_platform: dict[str, list[float]] = {}
    everything: list[float] = []
    for name, took in rows.iterator(chunk_size=20_000):
        days = max(took, timedelta(0)).total_seconds() / 86400
        everything.append(days)
        by_platform.setdefault(name or _("Other hosts"), []).append(days)
    if len(everything) < threshold:
        return None, [], len(everything)
    overall = Median(_("All platforms"), f"{statistics.median(everything):.1f}")
    platforms = [
        Median(name, f"{statistics.median(days):.1f}")
        for name, days in sorted(by_platform.items())
        if len(days) >= threshold
    ]
    return overall, platforms, len(everything)


def report_html(year: int, language: str, progress: Progress | None = None) -> str:
    """The annual report's HTML in `language` (raises NoData for a year with no reports)."""
    if language not in LANGUAGES:
        raise ValueError(f"language must be one of {', '.join(LANGUAGES)}")
    step = progress or (lambda _n, _of, _what: None)
    steps = 4 + len(TABLES)
    with translation.override(language):
        step(0, steps, _("Counting reports"))
        quarters = quarter_figures_for_year(year)
        if all(figures["total"]["value"] == 0 for figures, _p in quarters.values()):
            raise NoData(f"no reports were received in {year}: there is nothing to report")
        threshold = max(int(f["threshold"]) for f, _p in quarters.values())
        step(1, steps, _("Times to removal"))
        overall, platform_medians, removals = _medians(year, threshold_setting())
        names = [f"Q{q}" for q in range(1, 5)]

        summary_rows = []
        totals: list[int | None] = []
        for q in range(1, 5):
            figures, _published = quarters[q]
            derived = derived_outcomes(figures)
            totals.append(figures["total"]["value"])
            summary_rows.append(
                {
                    "quarter": names[q - 1],
                    "received": figures["total"]["text"],
                    **{k: ("—" if v is None else str(v)) for k, v in derived.items()},
                }
            )
        year_totals = {
            "received": _sum_text(totals),
            **{
                k: _sum_text([derived_outcomes(quarters[q][0])[k] for q in range(1, 5)])
                for k in ("assessed", "actioned", "removed")
            },
        }
        step(2, steps, _("Charts"))
        charts = [_chart(_("Reports received per quarter"), names, totals)]
        tables = []
        for index, (name, (title, labels)) in enumerate(TABLES.items()):
            step(3 + index, steps, str(title))
            rows: list[TableRow] = []
            year_values: list[int | None] = []
            for code, label in labels.items():
                cells: list[str] = []
                values: list[int | None] = []
                for q in range(1, 5):
                    figures, _published = quarters[q]
                    table = (figures.get("tables") or {}).get(name)
                    cell = next((c for c in table or [] if c["code"] == code), None)
                    if cell is None:
                        cells.append("—")
                        values.append(None)
                    else:
                        cells.append(cell["text"])
                        values.append(cell["value"])
                year_text = _sum_text(values)
                rows.append(TableRow(str(label), cells, year_text))
                year_values.append(None if year_text == "—" else int(year_text))
            tables.append({"title": str(title), "rows": rows})
            if name in {"type", "platform"}:
                shown = [(r.label, v) for r, v in zip(rows, year_values, strict=True) if v]
                if shown:
                    charts.append(
                        _chart(f"{title} ({year})", [s[0] for s in shown], [s[1] for s in shown])
                    )
        step(steps - 1, steps, _("Writing the PDF"))
        context: dict[str, Any] = {
            "year": year,
            "language": language,
            "hotline_name": site_settings().name(language),
            "threshold": threshold,
            "below": threshold - 1,
            "quarters": names,
            "summary_rows": summary_rows,
            "year_totals": year_totals,
            "tables": tables,
            "charts": charts,
            "overall_median": overall,
            "platform_medians": platform_medians,
            "removals": removals if overall else None,
            "unpublished": [names[q - 1] for q in range(1, 5) if not quarters[q][1]],
            "made_on": timezone.localdate(),
        }
        return render_to_string("statistics/report.html", context)


def report_pdf(year: int, language: str, progress: Progress | None = None) -> bytes:
    """The annual report as a PDF (through hotline.core.pdf.render_pdf)."""
    html = report_html(year, language, progress)
    with translation.override(language):
        title = _("Annual report %(year)s") % {"year": year}
    pdf = render_pdf(html, title=title)
    if progress:
        steps = 4 + len(TABLES)
        progress(steps, steps, "")
    return pdf
