"""Site-wide views: CSRF failure, errors, outages, health."""

from __future__ import annotations

import errno
import logging
import sys

from django.db import DatabaseError, InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import translation

from hotline.core.selectors import disk_space, disk_state, emergency_contacts_last_known
from hotline.tasks.selectors import worker_health

logger = logging.getLogger(__name__)

# Seconds a client is asked to wait before trying again after a 503.
RETRY_AFTER_SECONDS = 60


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """Explain a missing or stale form token in plain words; nothing was saved."""
    return render(request, "core/csrf_failure.html", status=403)


def healthz(request: HttpRequest) -> JsonResponse:
    """Report whether the database answers, the disk has room, a worker runs, and the backlog.

    Three small queries and a `statvfs` per file system (load balancers poll this). 503 when
    the database does not answer or a data folder is full (this server cannot store a
    report), with "disk": "low" as an early warning at 200.
    A stale or missing worker still answers 200 with "status": "ok": this web server works
    (reports are stored, their processing waits on the queue until a worker runs again), and a
    load balancer that took every web server out of rotation for it would refuse reports over
    a problem no web server can fix. Monitors alert on "worker", "disk" and
    "queue_oldest_seconds".
    """
    spaces = disk_space()
    disk = disk_state(spaces)
    disk_free = {name: space.free_bytes for space in spaces for name in space.names}
    try:
        health = worker_health()
    except DatabaseError as exc:
        # The type only: a driver's message may name the host and user.
        logger.warning("health check: the database does not answer (%s)", type(exc).__name__)
        return JsonResponse(
            {"status": "error", "database": "error", "disk": disk, "disk_free_bytes": disk_free},
            status=503,
        )
    return JsonResponse(
        {
            "status": "error" if disk == "full" else "ok",
            "database": "ok",
            "disk": disk,
            "disk_free_bytes": disk_free,
            "worker": health.worker,
            "worker_last_seen_seconds": (
                None if health.last_seen_seconds is None else int(health.last_seen_seconds)
            ),
            "queue_pending": health.queue_pending,
            "queue_oldest_seconds": int(health.queue_oldest_seconds),
        },
        status=503 if disk == "full" else 200,
    )


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """Render a plain 400 page."""
    return render(request, "core/error.html", {"status": 400}, status=400)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """Render a plain 404 page."""
    return render(request, "core/error.html", {"status": 404}, status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    """Render a plain 500 page, or the outage page if the database or disk is the cause.

    Django calls this for an exception raised anywhere, middleware included (a session
    saved to a database that has gone); the exception is still being handled here.
    """
    response = service_unavailable_for(request, sys.exc_info()[1])
    if response is not None:
        return response
    return render(request, "core/error.html", {"status": 500}, status=500)


def outage_cause(exc: BaseException | None) -> str | None:
    """Return "database" or "disk" if `exc` means the service cannot work right now, else None.

    OperationalError and InterfaceError are the database's "not now" errors (gone, refused,
    restarting, locked, its disk full); IntegrityError or ProgrammingError are bugs or bad
    data, which stay 500s.
    """
    if isinstance(exc, OperationalError | InterfaceError):
        return "database"
    if isinstance(exc, OSError) and exc.errno in {errno.ENOSPC, errno.EDQUOT}:
        return "disk"
    return None


def service_unavailable_for(request: HttpRequest, exc: BaseException | None) -> HttpResponse | None:
    """Return a 503 that says "try again" if `exc` is an outage, else None.

    Built without the database: the page shows the emergency numbers this process last read
    (hotline.core.selectors.emergency_contacts_last_known), in the reporter's language; the
    partner API gets JSON.
    """
    cause = outage_cause(exc)
    if cause is None:
        return None
    # The type only: a driver's message may name the host and the user.
    logger.error("503: the %s cannot be used (%s)", cause, type(exc).__name__)
    if request.path.startswith("/api/"):
        response: HttpResponse = JsonResponse(
            {
                "error": "unavailable",
                "message": "The service cannot store or read reports right now; nothing was "
                "saved. Try again later (with the same Idempotency-Key).",
                "errors": [],
            },
            status=503,
        )
    else:
        # Chosen from the request again: the failure may have come before LocaleMiddleware.
        with translation.override(translation.get_language_from_request(request)):
            response = render(
                request,
                "core/unavailable.html",
                {"contacts": emergency_contacts_last_known()},
                status=503,
            )
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response
