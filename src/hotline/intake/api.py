"""Partner intake API (django-ninja): token-authenticated JSON, OpenAPI at /api/openapi.json."""

from __future__ import annotations

from ninja import NinjaAPI

api = NinjaAPI(
    title="OpenHotline partner API",
    version="1",
    urls_namespace="partner-api",
    docs_url=None,
)
