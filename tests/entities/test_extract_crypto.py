"""Wallet validators against the published test vectors (BIP-173, BIP-350, EIP-55)."""

from __future__ import annotations

import pytest

from hotline.entities.extract import extract_entities
from hotline.entities.extract.crypto import (
    b58check_decode,
    b58check_encode,
    ethereum_canonical,
    is_bitcoin_legacy,
    is_tron,
    keccak256,
    segwit_decode,
    segwit_encode,
)


def test_keccak256_known_digests() -> None:
    assert keccak256(b"").hex() == (
        "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470"
    )
    assert keccak256(b"abc").hex() == (
        "4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45"
    )
    # More than one 136-byte block.
    assert keccak256(b"a" * 200) != keccak256(b"a" * 199)


@pytest.mark.parametrize(
    "address",
    [  # EIP-55's own examples
        "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
        "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
        "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB",
        "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb",
    ],
)
def test_eip55(address: str) -> None:
    assert ethereum_canonical(address) == address
    assert ethereum_canonical(address.lower()) == address
    assert ethereum_canonical("0x" + address[2:].upper()) == address
    flipped = address[:-1] + address[-1].swapcase()
    if flipped != address:
        assert ethereum_canonical(flipped) is None


@pytest.mark.parametrize(
    ("address", "version"),
    [  # BIP-173 / BIP-350 valid mainnet vectors
        ("BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4", 0),
        ("bc1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3qccfmv3", 0),
        ("bc1pw508d6qejxtdg4y5r3zarvary0c5xw7kw508d6qejxtdg4y5r3zarvary0c5xw7kt5nd6y", 1),
        ("BC1SW50QGDZ25J", 16),
        ("bc1zw508d6qejxtdg4y5r3zarvaryvaxxpcs", 2),
        ("bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0", 1),
    ],
)
def test_segwit_valid(address: str, version: int) -> None:
    decoded = segwit_decode(address)
    assert decoded is not None
    assert decoded[0] == version
    assert segwit_encode(*decoded) == address.lower()


@pytest.mark.parametrize(
    "address",
    [  # BIP-350 invalid vectors (mainnet ones) and a mixed-case string
        "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqh2y7hd",  # v1 with bech32
        "BC1S0XLXVLHEMJA6C4DQV22UAPCTQUPFHLXM9H8Z3K2E72Q4K9HCZ7VQ54WELL",  # v16 with bech32
        "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kemeawh",  # v0 with bech32m
        "bc1p38j9r5y49hruaue7wxjce0updqjuyyx0kh56v8s25huc6995vvpql3jow4",  # invalid character
        "BC130XLXVLHEMJA6C4DQV22UAPCTQUPFHLXM9H8Z3K2E72Q4K9HCZ7VQ7ZWS8R",  # version 17
        "bc1pw5dgrnzv",  # program too short
        "BC1QR508D6QEJXTDG4Y5R3ZARVARYV98GJ9P",  # v0 program of 16 bytes
        "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t5",  # checksum
        "bc1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4",  # mixed case
    ],
)
def test_segwit_invalid(address: str) -> None:
    assert segwit_decode(address) is None


def test_base58check() -> None:
    assert is_bitcoin_legacy("1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2")
    assert is_bitcoin_legacy("3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy")
    assert not is_bitcoin_legacy("1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN3")
    assert not is_bitcoin_legacy("1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN0")  # 0 is not base58
    assert is_tron("TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t")
    assert not is_tron("1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2")  # valid checksum, wrong prefix
    payload = bytes([0x41]) + bytes(range(20))
    assert b58check_decode(b58check_encode(payload)) == payload
    assert b58check_encode(b"\x00\x00\x01").startswith("11")


def test_wallet_needs_a_holding_checksum_to_be_extracted() -> None:
    text = (
        "TRON TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t fake TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6u "
        "34-char junk T" + "a" * 33 + " and bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t5"
    )
    found = [(str(e.type), e.value) for e in extract_entities(text)]
    assert found == [("tron", "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t")]


def test_wallet_inside_explorer_link_is_extracted_too() -> None:
    text = "see https://tronscan.org/#/address/TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t"
    found = {(str(e.type), e.value) for e in extract_entities(text)}
    assert ("tron", "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t") in found
    assert ("url", "https://tronscan.org#/address/TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t") in found
