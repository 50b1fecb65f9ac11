"""Staff dashboard pages: the figures with their tables, each chart's SVG and CSV (thin)."""

from __future__ import annotations

import io
from collections.abc import Callable

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.csp import CSP
from django.views.decorators.csp import csp_override
from django.views.decorators.http import require_GET

from hotline.accounts.requests import staff_user
from hotline.audit.services import audit_record
from hotline.core.csvfile import SafeWriter
from hotline.staff.helpers import _in_english
from hotline.statistics.charts import chart_svg
from hotline.statistics.dashboard import (
    TABLE_NAMES,
    Filters,
    Table,
    dashboard_figures,
    dashboard_table,
    tables_of,
)
from hotline.statistics.forms import DashboardFilterForm

# A chart is a document of its own: only its inline <style> (pygal's), nothing else at all.
SVG_CSP = {
    "default-src": [CSP.NONE],
    "style-src": [CSP.UNSAFE_INLINE],
    "base-uri": [CSP.NONE],
    "form-action": [CSP.NONE],
    "frame-ancestors": [CSP.SELF],
}


def _query(filters: Filters) -> str:
    return (
        f"start={filters.start:%Y-%m-%d}&end={filters.end:%Y-%m-%d}"
        f"&bucket={filters.bucket.value}&category={filters.category}"
    )


def _bad_filters(form: DashboardFilterForm) -> HttpResponse:
    problems = "; ".join(
        f"{name}: {' '.join(map(str, errors))}" if name != "__all__" else " ".join(map(str, errors))
        for name, errors in form.errors.items()
    )
    return HttpResponse(
        f"Invalid filter: {problems}\n", status=400, content_type="text/plain; charset=utf-8"
    )


@login_required
@require_GET
@_in_english
def dashboard(request: HttpRequest) -> HttpResponse:
    """The figures of the period asked for (or of the last 13 weeks), each with its table."""
    form = DashboardFilterForm(request.GET or None)
    filters = form.filters()
    figures = dashboard_figures(staff_user(request), filters)
    return render(
        request,
        "statistics/dashboard.html",
        {
            "form": form,
            "invalid": form.is_bound and not form.is_valid(),
            "figures": figures,
            "tables": tables_of(figures),
            "query": _query(filters),
        },
    )


def _table_view(
    respond: Callable[[HttpRequest, Table, Filters], HttpResponse],
) -> Callable[[HttpRequest, str], HttpResponse]:
    @login_required
    @require_GET
    @_in_english
    def view(request: HttpRequest, name: str) -> HttpResponse:
        if name not in TABLE_NAMES:
            raise Http404("no such table")
        user = staff_user(request)
        form = DashboardFilterForm(request.GET or None)
        if form.is_bound and not form.is_valid():
            return _bad_filters(form)
        filters = form.filters()
        return respond(request, dashboard_table(user, filters, name), filters)

    return view


def _svg(request: HttpRequest, table: Table, filters: Filters) -> HttpResponse:
    response = HttpResponse(chart_svg(table), content_type="image/svg+xml")
    response["Cache-Control"] = "private, no-store"
    return response


def _csv(request: HttpRequest, table: Table, filters: Filters) -> HttpResponse:
    out = io.StringIO()
    writer = SafeWriter(out)
    writer.writerow(table.columns)
    writer.writerows(table.rows)
    # A download of figures is an export: recorded (which table and period; never a report).
    audit_record(
        actor=staff_user(request),
        action="statistics.csv_download",
        target_type="statistics_table",
        target_id=table.name,
        details={
            "start": filters.start.isoformat(),
            "end": filters.end.isoformat(),
            "category": filters.category,
            "bucket": filters.bucket.value,
        },
    )
    response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    stamp = f"{filters.start:%Y%m%d}-{filters.end:%Y%m%d}"
    response["Content-Disposition"] = f'attachment; filename="statistics-{table.name}-{stamp}.csv"'
    response["Cache-Control"] = "private, no-store"
    return response


chart = csp_override(SVG_CSP)(_table_view(_svg))
csv_download = _table_view(_csv)
