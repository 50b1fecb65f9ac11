"""The hotline's signatures of documents (referral packages, URL lists) are bound to a purpose."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from hotline.audit.checkpoints import document_sign, document_signature_valid

pytestmark = pytest.mark.django_db


def test_a_signature_verifies_for_its_data_and_purpose() -> None:
    signature = document_sign(b"manifest", purpose="referral-manifest")

    assert document_signature_valid(b"manifest", signature, purpose="referral-manifest")


def test_a_flipped_byte_of_the_data_fails() -> None:
    signature = document_sign(b"manifest", purpose="referral-manifest")

    assert not document_signature_valid(b"manifesT", signature, purpose="referral-manifest")


def test_a_signature_made_for_one_purpose_does_not_verify_for_another() -> None:
    signature = document_sign(b"list", purpose="url-list")

    assert not document_signature_valid(b"list", signature, purpose="referral-manifest")


def test_another_key_does_not_verify_the_hotlines_signature() -> None:
    signature = document_sign(b"list", purpose="url-list")
    other = Ed25519PrivateKey.generate().public_key()

    assert not document_signature_valid(b"list", signature, purpose="url-list", key=other)


@pytest.mark.parametrize("purpose", ["", "two\nlines", "ខ្មែរ"])
def test_a_purpose_that_is_not_a_short_ascii_name_is_refused(purpose: str) -> None:
    with pytest.raises(ValueError, match="purpose"):
        document_sign(b"x", purpose=purpose)
