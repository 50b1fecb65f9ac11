"""The public figures page and its CSV and JSON downloads (only published quarters)."""

from __future__ import annotations

import io
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from hotline.core.csvfile import SafeWriter
from hotline.statistics.public import (
    TABLES,
    derived_outcomes,
    download_rows,
    published_quarters,
    threshold_setting,
)


@require_safe
def figures_page(request: HttpRequest) -> HttpResponse:
    quarters = []
    for published in published_quarters():
        figures = published.figures
        tables = []
        for name, cells in (figures.get("tables") or {}).items():
            title, labels = TABLES[name]
            tables.append(
                {
                    "name": name,
                    "title": title,
                    "withheld": cells is None,
                    "rows": [(labels.get(c["code"], c["code"]), c["text"]) for c in cells or []],
                }
            )
        quarters.append(
            {
                "key": f"{published.year}-Q{published.quarter}",
                "year": published.year,
                "quarter": published.quarter,
                "total": figures["total"]["text"],
                "too_few": figures.get("tables") is None,
                "derived": derived_outcomes(figures),
                "tables": tables,
                "threshold": published.threshold,
            }
        )
    threshold = threshold_setting()
    context = {"quarters": quarters, "threshold": threshold, "below": threshold - 1}
    return render(request, "statistics/public.html", context)


@require_safe
def figures_csv(request: HttpRequest) -> HttpResponse:
    out = io.StringIO()
    writer = SafeWriter(out)
    writer.writerow(["quarter", "table", "code", "label", "figure"])
    for row in download_rows(published_quarters()):
        writer.writerow([row.quarter, row.table, row.code, row.label, row.text])
    response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="hotline-figures.csv"'
    return response


@require_safe
def figures_json(request: HttpRequest) -> HttpResponse:
    body: dict[str, Any] = {
        "about": (
            "Reports received per quarter and how they split by type, platform, victim age "
            "group and outcome. 'value' is null where a number is hidden: 'text' is '<N' for "
            "1 to N-1, '*' for a number hidden so that no hidden number can be worked out."
        ),
        "quarters": [
            {
                "quarter": f"{p.year}-Q{p.quarter}",
                "threshold": p.threshold,
                "total": p.figures["total"],
                "tables": p.figures.get("tables"),
            }
            for p in published_quarters()
        ],
    }
    response = JsonResponse(body, json_dumps_params={"ensure_ascii": False})
    response["Content-Disposition"] = 'attachment; filename="hotline-figures.json"'
    return response
