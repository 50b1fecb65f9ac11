"""The dashboard's charts: pygal bar charts, drawn on the server as SVG with their text kept.

pygal's SVG asks for its tooltip script from a CDN by default (`Config.js`) and always adds a
small inline script with its configuration. Neither is wanted: the charts are served from our
own URL and shown through <img> (which runs no script anyway), and no page of the hotline names
another host. So `js` is emptied and every <script> element is removed from the document before
it is served; tests/statistics/test_dashboard_charts.py checks that no URL of another host and
no script is left in any chart.
"""

from __future__ import annotations

from typing import Final
from xml.etree import ElementTree as ET

import pygal
from pygal.style import Style

from hotline.statistics.dashboard import Table

SVG_NS: Final = "http://www.w3.org/2000/svg"
ET.register_namespace("", SVG_NS)
ET.register_namespace("xlink", "http://www.w3.org/1999/xlink")

# Dark text on white, colours that stay apart for colour-blind readers (Okabe-Ito).
STYLE: Final = Style(
    background="white",
    plot_background="white",
    foreground="#222222",
    foreground_strong="#111111",
    foreground_subtle="#555555",
    font_family="system-ui, sans-serif",
    colors=("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00"),
    label_font_size=12,
    major_label_font_size=12,
    title_font_size=16,
    legend_font_size=12,
)


def _config(table: Table) -> pygal.Config:
    config = pygal.Config()
    config.js = []  # no script from a CDN (or from anywhere)
    config.style = STYLE
    config.width = 720
    config.height = 380 if len(table.bars) <= 12 else 460
    config.title = table.title
    config.show_legend = len(table.series_names) > 1
    config.legend_at_bottom = True
    config.x_label_rotation = 30 if len(table.bars) > 6 else 0
    config.truncate_label = 28
    config.show_minor_x_labels = len(table.bars) <= 30
    config.print_values = False
    config.no_data_text = "No reports in this period"
    config.disable_xml_declaration = False
    config.min_scale = 1
    return config


def _without_scripts(svg: bytes) -> bytes:
    root = ET.fromstring(svg)  # noqa: S314 - pygal's output, not anyone's input
    for parent in root.iter():
        for child in list(parent):
            if child.tag in {f"{{{SVG_NS}}}script", "script"}:
                parent.remove(child)
    text = ET.tostring(root, encoding="unicode")
    return ('<?xml version="1.0" encoding="utf-8"?>\n' + text).encode()


def chart_svg(table: Table) -> bytes:
    """The table's chart as a standalone SVG document (no script, nothing from other hosts)."""
    chart = pygal.Bar(_config(table))
    chart.x_labels = [label for label, _ in table.bars]
    for index, name in enumerate(table.series_names):
        values = [values[index] for _, values in table.bars]
        chart.add(name, values if any(values) else [])
    return _without_scripts(chart.render())
