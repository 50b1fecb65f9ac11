"""Keep what a reporter typed across a redirect: sealed drafts of public forms.

A draft is made when a public form comes back with errors or when the language is switched in
the middle of the report form (docs/decisions/public-navigation.md). Its answers are sealed
under a key derived from a random id that only the reporter's browser holds (a session cookie);
the database keeps the ciphertext and a digest of the id, so neither a copy of the database nor
the key file can open a draft. Files are never kept. A draft expires after
HOTLINE_DRAFT_SECONDS; it is deleted when its form is sent, when read after expiry, and by the
periodic drafts_purge.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from hotline.intake.models import FormDraft
from hotline.vault import services as vault


def draft_id_new() -> str:
    """Return a fresh random draft id (the value of the browser's draft cookie)."""
    return secrets.token_urlsafe(24)


def _digest(draft_id: str, form: str) -> str:
    return hashlib.sha256(f"openhotline-draft|{form}|{draft_id}".encode()).hexdigest()


def _key(draft_id: str, form: str) -> bytes:
    return hashlib.sha256(f"openhotline-draft-key|{form}|{draft_id}".encode()).digest()


@transaction.atomic
def draft_save(*, draft_id: str, form: str, value: dict[str, Any]) -> None:
    """Keep `value` (JSON-serialisable, no files) as the draft of `form` for this browser."""
    digest = _digest(draft_id, form)
    blob = vault.seal_with_key(
        json.dumps(value, ensure_ascii=False).encode(),
        key=_key(draft_id, form),
        context=f"intake.draft:{digest}",
    )
    expires = timezone.now() + timedelta(seconds=settings.HOTLINE_DRAFT_SECONDS)
    FormDraft.objects.update_or_create(
        key_digest=digest, defaults={"ciphertext": blob, "expires_at": expires}
    )


def draft_read(*, draft_id: str, form: str) -> dict[str, Any] | None:
    """Return this browser's draft of `form`, or None (none, expired: then deleted, or damaged)."""
    if not draft_id:
        return None
    digest = _digest(draft_id, form)
    draft = FormDraft.objects.filter(key_digest=digest).first()
    if draft is None:
        return None
    if draft.expires_at <= timezone.now():
        draft.delete()
        return None
    try:
        plain = vault.open_with_key(
            bytes(draft.ciphertext), key=_key(draft_id, form), context=f"intake.draft:{digest}"
        )
    except vault.VaultError:
        # Cannot happen without tampering with the row; the reporter gets an empty form.
        draft.delete()
        return None
    value = json.loads(plain)
    return value if isinstance(value, dict) else None


def draft_delete(*, draft_id: str, form: str) -> None:
    """Forget this browser's draft of `form` (its form was sent)."""
    if draft_id:
        FormDraft.objects.filter(key_digest=_digest(draft_id, form)).delete()


def drafts_purge() -> int:
    """Delete expired drafts; return how many (a periodic job)."""
    deleted, _ = FormDraft.objects.filter(expires_at__lte=timezone.now()).delete()
    return deleted
