"""The words of a notice: a plain-text template per platform and language, rendered here.

Templates live in `data/notice_templates/` as `<platform code>.<language>.txt`, with
`generic.<language>.txt` as the fallback and English as the last resort. They are Django
templates without HTML escaping (the text goes into a plain-text e-mail or a web form). Their
context holds only what a platform needs: the identifiers, the hotline's name, reference and
address, and for an escalation the notice it follows. Nothing about the reporter is ever
passed in, so no template can leak it.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from django.conf import settings
from django.template import Context, Engine
from django.utils import timezone

from hotline.sitesettings.selectors import site_settings

LANGUAGES = ("en", "km")
FORWARD_SCHEMA = "openhotline.forward/1"
_TEMPLATE_DIR = "notice_templates"


@cache
def _engine() -> Engine:
    folder = Path(str(resources.files("hotline.takedown").joinpath("data", _TEMPLATE_DIR)))
    return Engine(dirs=[str(folder)], autoescape=False, libraries={})


def notice_reference(public_id: uuid.UUID, *, prefix: str = "OH-N") -> str:
    """The short reference a platform quotes back: OH-N- and the first 8 hex digits."""
    return f"{prefix}-{public_id.hex[:8].upper()}"


def template_name(platform_code: str, language: str) -> str:
    """The most specific template that exists: platform+language, generic+language, English."""
    language = language if language in LANGUAGES else "en"
    candidates = [f"generic.{language}.txt", "generic.en.txt"]
    if platform_code and "/" not in platform_code and not platform_code.startswith("."):
        candidates.insert(0, f"{platform_code}.{language}.txt")
    folder = Path(_engine().dirs[0])
    for name in candidates:
        if (folder / name).is_file():
            return name
    return "generic.en.txt"


def _hotline_name(language: str) -> str:
    return site_settings().name(language) or settings.HOTLINE_NAME


@dataclass(frozen=True)
class NoticeText:
    subject: str
    body: str


def takedown_text(
    *,
    public_id: uuid.UUID,
    platform_code: str,
    platform_name: str,
    language: str,
    items: list[str],
    escalation_level: int = 0,
    previous_reference: str = "",
    previous_sent_at: datetime | None = None,
) -> NoticeText:
    """Render the subject and body of a takedown notice (or an escalation of one)."""
    reference = notice_reference(public_id)
    hotline_name = _hotline_name(language)
    context: dict[str, Any] = {
        "reference": reference,
        "hotline_name": hotline_name,
        "contact_email": settings.DEFAULT_FROM_EMAIL,
        "platform_name": platform_name,
        "items": items,
        "escalation_level": escalation_level,
        "previous_reference": previous_reference,
        "previous_sent_at": previous_sent_at,
    }
    template = _engine().get_template(template_name(platform_code, language))
    body = template.render(Context(context)).strip() + "\n"
    prefix = {0: "", 1: "Second request: "}.get(escalation_level, "Final request: ")
    subject = (
        f"[{reference}] {prefix}Removal request: child sexual exploitation material "
        f"on {platform_name}"
    )
    return NoticeText(subject=subject[:300], body=body)


def forward_text(*, public_id: uuid.UUID, partner_name: str) -> NoticeText:
    """Render the short covering text of a forwarded report (the data is in the attachment)."""
    reference = notice_reference(public_id, prefix="OH-F")
    context = {
        "reference": reference,
        "hotline_name": _hotline_name("en"),
        "contact_email": settings.DEFAULT_FROM_EMAIL,
        "partner_name": partner_name,
        "filename": forward_filename(public_id),
        "schema": FORWARD_SCHEMA,
    }
    body = _engine().get_template("forward.en.txt").render(Context(context)).strip() + "\n"
    subject = f"[{reference}] Report forwarded by {context['hotline_name']} (Cambodia)"
    return NoticeText(subject=subject[:300], body=body)


def forward_filename(public_id: uuid.UUID) -> str:
    return f"{notice_reference(public_id, prefix='OH-F')}.json"


def forward_document(
    *,
    public_id: uuid.UUID,
    report_received_at: datetime,
    categories: list[str],
    identifiers: list[dict[str, Any]],
    partner_country: str,
) -> str:
    """The forwarded report as JSON (docs/schemas/forward-v1.md): no reporter, no narrative."""
    document = {
        "schema": FORWARD_SCHEMA,
        "reference": notice_reference(public_id, prefix="OH-F"),
        "sender": {
            "name": _hotline_name("en"),
            "country": "KH",
            "email": settings.DEFAULT_FROM_EMAIL,
        },
        "recipient_country": partner_country,
        "created_at": timezone.now().isoformat(timespec="seconds"),
        "report": {
            "received_on": report_received_at.date().isoformat(),
            "categories": sorted(categories),
        },
        "identifiers": identifiers,
    }
    return json.dumps(document, ensure_ascii=False, indent=2, sort_keys=True) + "\n"
