"""Proof of work for the public report form (ALTCHA v2 challenges, PBKDF2-SHA256).

The form's script finds a counter whose PBKDF2 key starts with a prefix the server chose; the
browser runs PBKDF2 natively (Web Crypto), so a flooder's own code is not much faster than a
reporter's phone, and every client pays the same per report, whatever address it comes from.
See docs/decisions/flood-control.md.

Invariants:
- a challenge is signed with a key derived from the Django secret key (every web process and
  host accepts what another issued), expires, and names the form's one-time submission token
  (a solution opens that form only, and that token makes at most one report);
- verification is one HMAC (the server solved its own challenge when issuing it), done before
  the form is validated or any file examined, so a bad proof costs nothing expensive;
- a solution is spent on first use (in this process's memory; the token's unique row in the
  database stops a second report anywhere else).
"""

from __future__ import annotations

import enum
import functools
import hashlib
import json
import secrets
import time
from typing import Final

from altcha import Challenge, Payload, create_challenge, verify_solution
from django.conf import settings
from django.core.cache import cache
from django.utils.crypto import salted_hmac

ALGORITHM: Final = "PBKDF2/SHA-256"
# A proof is a base64 JSON object of a few hundred characters: anything much longer is not one.
MAX_PROOF_CHARS: Final = 2000


class ProofResult(enum.Enum):
    """What a submitted proof of work turned out to be."""

    VALID = "valid"
    MISSING = "missing"  # no JavaScript, or not solved yet: the global bucket decides
    MALFORMED = "malformed"  # not a proof, or not one we signed, or a wrong answer
    EXPIRED = "expired"
    OTHER_FORM = "other_form"  # issued for another submission token
    SPENT = "spent"  # already used once


def _secret(purpose: str) -> str:
    return _derived_secret(settings.SECRET_KEY, purpose)


@functools.lru_cache(maxsize=8)
def _derived_secret(secret_key: str, purpose: str) -> str:
    # Keyed on the secret key itself, so a changed key (tests, a rotation) derives anew.
    return salted_hmac(
        f"hotline.intake.proof_of_work.{purpose}", "v1", secret=secret_key, algorithm="sha256"
    ).hexdigest()


def _token_tag(submission_token: str) -> str:
    return hashlib.sha256(b"openhotline-pow|" + submission_token.encode()).hexdigest()[:32]


def proof_challenge_create(*, submission_token: str) -> str:
    """Return a signed challenge (JSON) for the form carrying `submission_token`.

    The answer is drawn uniformly below HOTLINE_POW_MAX_COUNTER, so a reporter's work is at
    most that many tries of HOTLINE_POW_ITERATIONS each (half on average): bounded on a slow
    phone, unlike a "find any key that starts with zeros" puzzle. Issuing costs the server one
    derivation (one try).
    """
    challenge = create_challenge(
        ALGORITHM,
        settings.HOTLINE_POW_ITERATIONS,
        counter=secrets.randbelow(settings.HOTLINE_POW_MAX_COUNTER),
        expires_at=int(time.time()) + settings.HOTLINE_POW_EXPIRES_SECONDS,
        data={"form": _token_tag(submission_token)},
        hmac_secret=_secret("challenge"),
        hmac_key_secret=_secret("key"),
    )
    return json.dumps(challenge.to_dict(), separators=(",", ":"))


def proof_verify(*, proof: str, submission_token: str) -> ProofResult:
    """Check a submitted proof for this form and spend it; O(1), no key derivation."""
    if not proof:
        return ProofResult.MISSING
    if len(proof) > MAX_PROOF_CHARS or not submission_token:
        return ProofResult.MALFORMED
    try:
        payload = Payload.from_base64(proof)
        result = verify_solution(payload, _secret("challenge"), hmac_key_secret=_secret("key"))
    except (ValueError, KeyError, TypeError, AttributeError, RecursionError):
        # Not base64, not JSON, not the shape of a proof: the client's mistake, not ours.
        return ProofResult.MALFORMED
    challenge: Challenge = payload.challenge
    if result.expired:
        return ProofResult.EXPIRED
    if not result.verified or not challenge.parameters.key_signature:
        return ProofResult.MALFORMED
    # Signed by us from here on: the data is what we wrote.
    data = challenge.parameters.data or {}
    if not secrets.compare_digest(str(data.get("form", "")), _token_tag(submission_token)):
        return ProofResult.OTHER_FORM
    expires_at = int(challenge.parameters.expires_at or 0)
    remaining = max(1, expires_at - int(time.time()) + 1)
    if not cache.add(f"pow-spent:{challenge.signature}", 1, timeout=remaining):
        return ProofResult.SPENT
    return ProofResult.VALID
