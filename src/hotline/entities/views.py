"""Staff pages: search by identifier, cluster page, matched escrows (thin: pages.py reads)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from hotline.accounts.requests import staff_user as _user
from hotline.entities.pages import (
    access_entity,
    access_escrow,
    cluster_page,
    staff_escrows,
    staff_search,
)
from hotline.entities.services import escrow_ask_consent


@login_required
def search(request: HttpRequest) -> HttpResponse:
    """Find an entity from a pasted link, phone number (any format), wallet or account."""
    query = request.GET.get("q", "")[:2000]
    entity = staff_search(_user(request), query) if query.strip() else None
    if entity is not None:
        return redirect("entities:cluster", entity_id=entity.pk)
    return render(
        request, "entities/search.html", {"query": query, "searched": bool(query.strip())}
    )


@login_required
def cluster(request: HttpRequest, entity_id: int) -> HttpResponse:
    """Show the cluster of reports around one entity."""
    entity = access_entity(_user(request), entity_id)
    return render(request, "entities/cluster.html", cluster_page(entity))


@login_required
def escrows(request: HttpRequest) -> HttpResponse:
    """List escrows that a later report matched, for an analyst to judge."""
    context = staff_escrows(_user(request))
    return render(
        request, "entities/escrows.html", {**context, "refused": "refused" in request.GET}
    )


@login_required
@require_POST
def escrow_ask(request: HttpRequest, escrow_id: int) -> HttpResponse:
    """Show the consent question on the earlier reporter's status page (audited)."""
    escrow = access_escrow(_user(request), escrow_id)
    try:
        escrow_ask_consent(escrow=escrow, actor=_user(request))
    except ValueError:
        # Decided already (another analyst, a second tap): nothing changes.
        return redirect(f"{reverse('entities:escrows')}?refused=1")
    return redirect("entities:escrows")
