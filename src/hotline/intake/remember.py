"""Remember a receipt code in this browser session without putting it in a URL.

Every public form is answered with a redirect (docs/decisions/public-navigation.md); the page
the browser then GETs finds the code it shows in a cookie sealed with the vault (AES-GCM, bound
to its purpose): HttpOnly, SameSite=Lax, without an expiry date (gone when the browser session
ends) and refused by the server HOTLINE_PUBLIC_CODE_SECONDS after the last form that set it.
The cookie never holds the code in clear; "Forget this code on this phone" deletes it.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import time
from dataclasses import dataclass

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from hotline.intake.receipts import code_format, code_normalise
from hotline.vault import services as vault

CODE_COOKIE = "hotline_code"
DRAFT_COOKIE = "hotline_draft"
_CONTEXT = "intake.cookie:remembered-code"
# A masked CSRF form token as Django makes them (csrf._mask_cipher_secret).
MASKED_TOKEN = re.compile(r"[a-zA-Z0-9]{64}")
# What a redirected page may say once: a reply was received, an answer saved or refused.
NOTICES = frozenset({"sent", "answered", "answer_failed", "answer_conflict"})


@dataclass(frozen=True)
class Remembered:
    """The code this browser session opened last, and what its next page should say."""

    code: str
    receipt: bool = False  # sent from this browser: the receipt page may show it again
    in_danger: bool = False  # the receipt page then shows the emergency contacts
    notice: str = ""
    # The masked CSRF token the report's POST carried (it passed the check): the receipt page
    # reuses it instead of masking a new one (32 draws from the OS per page).
    form_token: str = ""


def remembered(request: HttpRequest) -> Remembered | None:
    """Return the code remembered in this request's cookie, or None (none, expired, forged)."""
    raw = request.COOKIES.get(CODE_COOKIE, "")
    if not raw or len(raw) > 1024:
        return None
    try:
        blob = base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4))
        value = json.loads(vault.decrypt(blob, context=_CONTEXT))
    except (binascii.Error, ValueError, vault.VaultError):
        return None
    if not isinstance(value, dict) or float(value.get("x", 0)) < time.time():
        return None
    notice = str(value.get("n", ""))
    token = str(value.get("t", ""))
    return Remembered(
        code=str(value.get("c", "")),
        receipt=bool(value.get("r")),
        in_danger=bool(value.get("d")),
        notice=notice if notice in NOTICES else "",
        form_token=token if MASKED_TOKEN.fullmatch(token) else "",
    )


def remember(response: HttpResponse, state: Remembered) -> None:
    """Seal `state` into the response's code cookie, valid HOTLINE_PUBLIC_CODE_SECONDS from now."""
    value = {
        "c": state.code,
        "r": int(state.receipt),
        "d": int(state.in_danger),
        "n": state.notice,
        "x": int(time.time()) + settings.HOTLINE_PUBLIC_CODE_SECONDS,
    }
    if state.form_token:
        value["t"] = state.form_token
    blob = vault.encrypt(json.dumps(value, separators=(",", ":")).encode(), context=_CONTEXT)
    response.set_cookie(
        CODE_COOKIE,
        base64.urlsafe_b64encode(blob).decode().rstrip("="),
        httponly=True,
        samesite="Lax",
        secure=settings.SESSION_COOKIE_SECURE,
    )


def remember_code(
    request: HttpRequest, response: HttpResponse, code: str, notice: str = ""
) -> None:
    """Remember `code` (which opened a report), keeping its receipt flags if it is the same code.

    The code is kept as it is shown on the receipt (XXXX-XXXX-…), however it was typed.
    """
    normal = code_normalise(code)
    code = code_format(normal) if normal else code
    before = remembered(request)
    same = before is not None and before.code == code
    remember(
        response,
        Remembered(
            code=code,
            receipt=same and before is not None and before.receipt,
            in_danger=same and before is not None and before.in_danger,
            notice=notice,
        ),
    )


def forget(response: HttpResponse) -> None:
    """Delete the code cookie."""
    response.delete_cookie(CODE_COOKIE, samesite="Lax")


def draft_cookie(request: HttpRequest) -> str:
    """Return this browser's draft id, or ''."""
    value = request.COOKIES.get(DRAFT_COOKIE, "")
    return value if 16 <= len(value) <= 64 and value.isascii() and value.isprintable() else ""


def set_draft_cookie(response: HttpResponse, draft_id: str) -> None:
    """Give the browser its draft id (a session cookie, like the code's)."""
    response.set_cookie(
        DRAFT_COOKIE,
        draft_id,
        httponly=True,
        samesite="Lax",
        secure=settings.SESSION_COOKIE_SECURE,
    )
