"""Staff pages: search by identifier, cluster page (thin: selectors do the reads)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from hotline.accounts.models import User
from hotline.entities.pages import access_entity, cluster_page, staff_search


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


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
