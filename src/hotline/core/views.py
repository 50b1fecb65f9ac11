"""Site-wide views: CSRF failure, errors, health."""

from __future__ import annotations

import logging

from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from hotline.tasks.selectors import worker_health

logger = logging.getLogger(__name__)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """Explain a missing or stale form token in plain words; nothing was saved."""
    return render(request, "core/csrf_failure.html", status=403)


def healthz(request: HttpRequest) -> JsonResponse:
    """Report whether the database answers, whether a worker runs, and the queue's backlog.

    Three small queries (load balancers poll this). 503 only when the database does not answer.
    A stale or missing worker still answers 200 with "status": "ok": this web server works
    (reports are stored, their processing waits on the queue until a worker runs again), and a
    load balancer that took every web server out of rotation for it would refuse reports over
    a problem no web server can fix. Monitors alert on "worker" and "queue_oldest_seconds".
    """
    try:
        health = worker_health()
    except DatabaseError as exc:
        # The type only: a driver's message may name the host and user.
        logger.warning("health check: the database does not answer (%s)", type(exc).__name__)
        return JsonResponse({"status": "error", "database": "error"}, status=503)
    return JsonResponse(
        {
            "status": "ok",
            "database": "ok",
            "worker": health.worker,
            "worker_last_seen_seconds": (
                None if health.last_seen_seconds is None else int(health.last_seen_seconds)
            ),
            "queue_pending": health.queue_pending,
            "queue_oldest_seconds": int(health.queue_oldest_seconds),
        }
    )


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """Render a plain 400 page."""
    return render(request, "core/error.html", {"status": 400}, status=400)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """Render a plain 404 page."""
    return render(request, "core/error.html", {"status": 404}, status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    """Render a plain 500 page."""
    return render(request, "core/error.html", {"status": 500}, status=500)
