"""Partner intake API (django-ninja): token-authenticated JSON, OpenAPI at /api/openapi.json.

Thin: parse and check the request, call intake.partners, shape the answer. Every error is
JSON of one shape (api_schemas.ErrorOut), with the failing fields as dotted paths.
No docs page: ninja's loads its assets from a CDN, and no page of ours loads anything from
another host.
"""

from __future__ import annotations

import json
from typing import Any, cast
from uuid import UUID

from django.core.exceptions import RequestDataTooBig
from django.http import Http404, HttpRequest, HttpResponse
from ninja import HeaderEx, NinjaAPI, P, QueryEx
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.parser import Parser
from ninja.security import HttpBearer

from hotline.cases.workflow import public_status
from hotline.core.throttle import limit_from_env, throttle_spend
from hotline.hashing.index import DEFAULT_THRESHOLD
from hotline.hashing.selectors import match_each
from hotline.intake.api_schemas import (
    MAX_IDEMPOTENCY_KEY_CHARS,
    MAX_REFERENCE_CHARS,
    ONE_LINE,
    BatchAccepted,
    BatchIn,
    ErrorOut,
    HashMatchIn,
    HashMatchOut,
    ReportAccepted,
    ReportIn,
    ReportList,
    ReportStatusOut,
)
from hotline.intake.models import Partner, Report
from hotline.intake.partners import (
    PartnerError,
    PartnerReport,
    partner_authenticate,
    partner_report_find,
    partner_reports_list,
    partner_reports_submit,
    request_digest,
)
from hotline.intake.services import ReportInput


class StrictJSONParser(Parser):
    """Parse a body as UTF-8 JSON, refusing what json.loads would let through (NaN, Infinity)."""

    def parse_body(self, request: HttpRequest) -> dict[str, Any]:
        # ninja turns any exception here into a bare "400 Cannot parse request body"; keep
        # the reason (a position, never the content) for the error answer.
        try:
            value = json.loads(request.body.decode("utf-8"), parse_constant=_refuse_constant)
        except UnicodeDecodeError as exc:
            request.parse_error = f"not UTF-8 (byte {exc.start})"  # type: ignore[attr-defined]
            raise
        except RecursionError:
            request.parse_error = "nested too deeply"  # type: ignore[attr-defined]
            raise
        except ValueError as exc:
            request.parse_error = f"not JSON ({exc})"  # type: ignore[attr-defined]
            raise
        if not isinstance(value, dict):
            request.parse_error = "not a JSON object"  # type: ignore[attr-defined]
            raise TypeError("the body must be a JSON object")
        return value


def _refuse_constant(name: str) -> None:
    raise ValueError(f"{name} is not JSON")


class PartnerToken(HttpBearer):
    """`Authorization: Bearer <token>` with a token from `hotline createpartner`."""

    def authenticate(self, request: HttpRequest, token: str) -> Partner | None:
        return partner_authenticate(token=token)


api = NinjaAPI(
    title="OpenHotline partner API",
    version="1",
    description=(
        "Submit reports (one, or up to 500 in one all-or-nothing batch) with image hashes "
        "instead of files, and read back the status of the reports you submitted. "
        "Authenticate with `Authorization: Bearer <token>`. Send an `Idempotency-Key` header "
        "to make a retry safe: the same key with the same body returns the stored answer. "
        "Check up to 1000 hashes (PDQ, MD5, SHA-256) against the hotline's hash lists."
    ),
    urls_namespace="partner-api",
    docs_url=None,
    auth=PartnerToken(),
    parser=StrictJSONParser(),
)

ERRORS: dict[int, type[ErrorOut]] = {
    400: ErrorOut,
    401: ErrorOut,
    409: ErrorOut,
    413: ErrorOut,
    422: ErrorOut,
}
READ_ERRORS: dict[int, type[ErrorOut]] = {400: ErrorOut, 401: ErrorOut, 404: ErrorOut}
CHECK_ERRORS: dict[int, type[ErrorOut]] = {
    400: ErrorOut,
    401: ErrorOut,
    413: ErrorOut,
    429: ErrorOut,
}
# Hashes (not requests) a partner may check per minute: a full batch costs 1000.
HASH_CHECK_WINDOW_SECONDS = 60
HASH_CHECK_LIMIT_ENV = "HOTLINE_THROTTLE_PARTNER_HASHES_PER_MIN"
HASH_CHECK_LIMIT_DEFAULT = 30_000
IDEMPOTENCY_KEY = P(
    alias="Idempotency-Key",
    max_length=MAX_IDEMPOTENCY_KEY_CHARS,
    pattern=r"^[\x21-\x7e]+$",
    description="Any unique string (a UUID is fine) to make a retry of this request safe.",
)


def _error(
    request: HttpRequest,
    status: int,
    code: str,
    message: str,
    errors: list[tuple[str, str]] | None = None,
) -> HttpResponse:
    body = {
        "error": code,
        "message": message,
        "errors": [{"path": path, "message": text} for path, text in errors or []],
    }
    return api.create_response(request, body, status=status)


def _path(loc: Any) -> str:
    parts = [str(part) for part in loc]
    # ninja names the body after the view's argument ("payload"); partners never see it.
    if len(parts) >= 2 and parts[0] == "body" and parts[1] == "payload":
        del parts[1]
    return ".".join(parts)


@api.exception_handler(ValidationError)
def _invalid(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    errors = [(_path(item.get("loc", ())), str(item.get("msg", ""))) for item in exc.errors]
    return _error(request, 400, "invalid_request", "The request does not fit the schema.", errors)


@api.exception_handler(AuthenticationError)
def _unauthorized(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    response = _error(
        request,
        401,
        "unauthorized",
        "Send a valid partner token: Authorization: Bearer <token>.",
    )
    response["WWW-Authenticate"] = 'Bearer realm="partner-api"'
    return response


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    if exc.status_code == 400:
        # The only 400 ninja raises itself: a body that json.loads refused.
        return _error(
            request,
            400,
            "invalid_json",
            "The request body is not a UTF-8 JSON object.",
            [("body", getattr(request, "parse_error", str(exc)))],
        )
    return _error(request, exc.status_code, "error", str(exc))


@api.exception_handler(RequestDataTooBig)
def _too_big(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
    return _error(
        request,
        413,
        "too_large",
        "The request body is too large: send fewer reports per request.",
    )


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return _error(request, 404, "not_found", "No such report among the reports you submitted.")


@api.exception_handler(PartnerError)
def _refused(request: HttpRequest, exc: PartnerError) -> HttpResponse:
    return _error(request, exc.status, exc.code, exc.message, exc.errors)


def _codes(values: list[Any]) -> list[str]:
    # The schema keeps enum values as plain strings (use_enum_values): nothing to convert.
    return cast(list[str], values)


def _input(report: ReportIn) -> PartnerReport:
    data = ReportInput(
        reporter_role=report.reporter_role,
        categories=_codes(report.categories),
        victim_age=report.victim_age,
        victim_gender=report.victim_gender,
        province=report.province,
        platforms=_codes(report.platforms),
        links=report.links,
        usernames=report.usernames,
        phones=report.phones,
        payment_accounts=report.payment_accounts,
        started=report.started,
        money=report.money,
        amount=report.amount,
        payment_methods=_codes(report.payment_methods),
        narrative=report.narrative,
        contact=report.contact,
        help_wanted=_codes(report.help_wanted),
        consent_contact=report.consent_contact,
        in_danger=report.in_danger,
        language=report.language,
        hashes=[(item.kind, item.value, item.quality) for item in report.hashes],
    )
    return PartnerReport(data=data, partner_reference=report.partner_reference)


def _submit(
    request: HttpRequest,
    reports: list[PartnerReport],
    idempotency_key: str | None,
    *,
    single: bool,
) -> HttpResponse:
    partner = request.auth  # type: ignore[attr-defined]
    assert isinstance(partner, Partner)
    digest = ""
    if idempotency_key:
        digest = request_digest(method=request.method or "", path=request.path, body=request.body)
    result = partner_reports_submit(
        partner=partner,
        reports=reports,
        idempotency_key=idempotency_key,
        digest=digest,
        path_prefix="body" if single else "body.reports",
    )
    body: Any = result.body
    if single:
        body = body["reports"][0]
    # Built by us from strings only, so it is rendered as is: re-validating hundreds of
    # accepted ids against the response model would cost more than storing them did.
    # (Schemathesis checks the answers against the published schema.)
    response = api.create_response(request, body, status=result.status_code)
    if result.replayed:
        response["Idempotent-Replayed"] = "true"
    return response


@api.post(
    "/v1/reports",
    response={201: ReportAccepted, **ERRORS},
    summary="Submit one report",
    operation_id="report_submit",
)
def report_submit(
    request: HttpRequest,
    payload: ReportIn,
    idempotency_key: HeaderEx[str | None, IDEMPOTENCY_KEY] = None,
) -> HttpResponse:
    """Store one report; answer with its id."""
    return _submit(request, [_input(payload)], idempotency_key, single=True)


@api.post(
    "/v1/reports/batch",
    response={201: BatchAccepted, **ERRORS},
    summary="Submit up to 500 reports, all or none",
    operation_id="reports_submit_batch",
)
def reports_submit_batch(
    request: HttpRequest,
    payload: BatchIn,
    idempotency_key: HeaderEx[str | None, IDEMPOTENCY_KEY] = None,
) -> HttpResponse:
    """Store every report of the batch in one transaction, or none of them."""
    return _submit(
        request, [_input(item) for item in payload.reports], idempotency_key, single=False
    )


def _status(report: Report) -> dict[str, object]:
    return {
        "id": report.public_id,
        "partner_reference": report.partner_reference,
        # The coarse status only: partners see no internal step (hotline.cases.workflow).
        "status": public_status(report.status),
        "created_at": report.created_at,
        "updated_at": report.updated_at,
    }


@api.get(
    "/v1/reports/{public_id}",
    response={200: ReportStatusOut, **READ_ERRORS},
    summary="Status of one of your reports",
    operation_id="report_status",
)
def report_status(request: HttpRequest, public_id: UUID) -> dict[str, object]:
    """Return the status of a report this partner submitted (others' reports are 404)."""
    partner = request.auth  # type: ignore[attr-defined]
    report = partner_report_find(partner=partner, public_id=public_id)
    if report is None:
        raise Http404
    return _status(report)


@api.get(
    "/v1/reports",
    response={200: ReportList, **READ_ERRORS},
    summary="Your reports, newest first, or the one with a given reference",
    operation_id="reports_list",
)
def reports_list(
    request: HttpRequest,
    reference: QueryEx[str | None, P(max_length=MAX_REFERENCE_CHARS, pattern=ONE_LINE)] = None,
    limit: QueryEx[int, P(ge=1, le=100)] = 50,
    offset: QueryEx[int, P(ge=0, le=1_000_000)] = 0,
) -> dict[str, object]:
    """List this partner's reports (filter by partner_reference with ?reference=)."""
    partner = request.auth  # type: ignore[attr-defined]
    rows = partner_reports_list(partner=partner, reference=reference, limit=limit, offset=offset)
    return {"reports": [_status(row) for row in rows]}


@api.post(
    "/v1/hashes/match",
    response={200: HashMatchOut, **CHECK_ERRORS},
    summary="Check up to 1000 hashes against the hotline's hash lists",
    operation_id="hashes_match",
)
def hashes_match(request: HttpRequest, payload: HashMatchIn) -> HttpResponse:
    """Answer, for each hash, the entries of the hotline's lists it matches.

    The victim-submitted list is left out: a match there would tell the partner that
    someone reported that picture to the hotline (docs/decisions/partner-hash-check.md).
    """
    partner = request.auth  # type: ignore[attr-defined]
    assert isinstance(partner, Partner)
    wait = throttle_spend(
        # The token digest too: a database rolled back in tests reuses partner ids.
        key=f"partner-hashes:{partner.pk}:{partner.token_digest[:16]}",
        cost=len(payload.hashes),
        limit=limit_from_env(HASH_CHECK_LIMIT_ENV, HASH_CHECK_LIMIT_DEFAULT),
        window_seconds=HASH_CHECK_WINDOW_SECONDS,
    )
    if wait:
        response = _error(
            request,
            429,
            "too_many_requests",
            f"Too many hashes checked this minute: try again in {wait} seconds.",
        )
        response["Retry-After"] = str(wait)
        return response
    queries = [(item.kind, item.value) for item in payload.hashes]
    found = match_each(queries=queries, victim_submitted=False)
    body = {
        "results": [
            {
                "kind": kind,
                "value": value,
                "matches": [
                    {
                        "bank": m.bank,
                        "category": m.category,
                        "distance": m.distance,
                        "label": m.label,
                    }
                    for m in matches
                ],
            }
            for (kind, value), matches in zip(queries, found, strict=True)
        ],
        "pdq_threshold": DEFAULT_THRESHOLD,
    }
    return api.create_response(request, body, status=200)


def api_not_found(request: HttpRequest) -> HttpResponse:
    """Answer an unknown path under /api/ with the API's JSON 404."""
    return _error(request, 404, "not_found", "There is no such API path; see /api/openapi.json.")
