"""Small, dependency-free validators for wallet addresses.

Base58Check (Bitcoin P2PKH/P2SH, TRON), Bech32/Bech32m segwit (BIP-173, BIP-350) and EIP-55 mixed-
case checksums over Keccak-256. Keccak is written here (not hashlib.sha3_256, whose padding
differs) because EIP-55 runs only for mixed-case Ethereum addresses, which are rare in reports, and
a pure-Python permutation is fast enough for that (about 0.1 ms).
"""

from __future__ import annotations

import hashlib

B58_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_B58_INDEX = {char: index for index, char in enumerate(B58_ALPHABET)}


def b58decode(text: str) -> bytes | None:
    """Decode Base58 text, or return None when a character is outside the alphabet."""
    number = 0
    for char in text:
        digit = _B58_INDEX.get(char)
        if digit is None:
            return None
        number = number * 58 + digit
    body = number.to_bytes((number.bit_length() + 7) // 8, "big") if number else b""
    leading = len(text) - len(text.lstrip("1"))
    return b"\x00" * leading + body


def b58encode(data: bytes) -> str:
    """Encode bytes as Base58 text."""
    number = int.from_bytes(data, "big")
    out = []
    while number:
        number, rest = divmod(number, 58)
        out.append(B58_ALPHABET[rest])
    leading = len(data) - len(data.lstrip(b"\x00"))
    return "1" * leading + "".join(reversed(out))


def _double_sha256(data: bytes) -> bytes:
    return hashlib.sha256(hashlib.sha256(data).digest()).digest()


def b58check_decode(text: str) -> bytes | None:
    """Return the payload (version byte included) of Base58Check text whose checksum holds."""
    raw = b58decode(text)
    if raw is None or len(raw) < 5:
        return None
    payload, checksum = raw[:-4], raw[-4:]
    return payload if _double_sha256(payload)[:4] == checksum else None


def b58check_encode(payload: bytes) -> str:
    """Encode a payload with its 4-byte double-SHA-256 checksum."""
    return b58encode(payload + _double_sha256(payload)[:4])


def is_bitcoin_legacy(text: str) -> bool:
    """Check a Bitcoin P2PKH ("1...") or P2SH ("3...") address."""
    payload = b58check_decode(text)
    return payload is not None and len(payload) == 21 and payload[0] in (0x00, 0x05)


def is_tron(text: str) -> bool:
    """Check a TRON address: Base58Check, 21-byte payload starting 0x41."""
    payload = b58check_decode(text)
    return payload is not None and len(payload) == 21 and payload[0] == 0x41


# --- Bech32 / Bech32m (BIP-173, BIP-350) ---------------------------------------------------

BECH32_CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
_BECH32_INDEX = {char: index for index, char in enumerate(BECH32_CHARSET)}
_BECH32_CONST = 1
_BECH32M_CONST = 0x2BC830A3
_GENERATOR = (0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3)


def _polymod(values: list[int]) -> int:
    checksum = 1
    for value in values:
        top = checksum >> 25
        checksum = (checksum & 0x1FFFFFF) << 5 ^ value
        for i in range(5):
            checksum ^= _GENERATOR[i] if (top >> i) & 1 else 0
    return checksum


def _hrp_expand(hrp: str) -> list[int]:
    return [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp]


def bech32_create_checksum(hrp: str, data: list[int], const: int) -> list[int]:
    """Return the six checksum symbols for `data` under `const` (1: bech32, else bech32m)."""
    polymod = _polymod([*_hrp_expand(hrp), *data, 0, 0, 0, 0, 0, 0]) ^ const
    return [(polymod >> 5 * (5 - i)) & 31 for i in range(6)]


def _convert_bits(data: list[int], from_bits: int, to_bits: int, pad: bool) -> list[int] | None:
    acc = 0
    bits = 0
    out = []
    max_value = (1 << to_bits) - 1
    for value in data:
        acc = (acc << from_bits) | value
        bits += from_bits
        while bits >= to_bits:
            bits -= to_bits
            out.append((acc >> bits) & max_value)
    if pad:
        if bits:
            out.append((acc << (to_bits - bits)) & max_value)
    elif bits >= from_bits or (acc << (to_bits - bits)) & max_value:
        return None
    return out


def segwit_decode(address: str, hrp: str = "bc") -> tuple[int, bytes] | None:
    """Return (witness version, program) of a valid segwit address, else None."""
    if len(address) > 90 or (address.lower() != address and address.upper() != address):
        return None
    address = address.lower()
    sep = address.rfind("1")
    if sep < 1 or sep + 7 > len(address) or address[:sep] != hrp:
        return None
    data = []
    for char in address[sep + 1 :]:
        digit = _BECH32_INDEX.get(char)
        if digit is None:
            return None
        data.append(digit)
    const = _polymod(_hrp_expand(hrp) + data)
    if const not in (_BECH32_CONST, _BECH32M_CONST) or not data[:-6]:
        return None
    version = data[0]
    program = _convert_bits(data[1:-6], 5, 8, pad=False)
    if program is None or version > 16 or not 2 <= len(program) <= 40:
        return None
    if version == 0 and len(program) not in (20, 32):
        return None
    # BIP-350: version 0 must use bech32, versions 1-16 must use bech32m.
    if (version == 0) != (const == _BECH32_CONST):
        return None
    return version, bytes(program)


def segwit_encode(version: int, program: bytes, hrp: str = "bc") -> str:
    """Encode a segwit address (bech32 for version 0, bech32m above)."""
    data = [version, *(_convert_bits(list(program), 8, 5, pad=True) or [])]
    const = _BECH32_CONST if version == 0 else _BECH32M_CONST
    checksum = bech32_create_checksum(hrp, data, const)
    return hrp + "1" + "".join(BECH32_CHARSET[d] for d in data + checksum)


# --- Keccak-256 and EIP-55 -------------------------------------------------------------------

_ROUND_CONSTANTS = (
    0x0000000000000001, 0x0000000000008082, 0x800000000000808A, 0x8000000080008000,
    0x000000000000808B, 0x0000000080000001, 0x8000000080008081, 0x8000000000008009,
    0x000000000000008A, 0x0000000000000088, 0x0000000080008009, 0x000000008000000A,
    0x000000008000808B, 0x800000000000008B, 0x8000000000008089, 0x8000000000008003,
    0x8000000000008002, 0x8000000000000080, 0x000000000000800A, 0x800000008000000A,
    0x8000000080008081, 0x8000000000008080, 0x0000000080000001, 0x8000000080008008,
)  # fmt: skip
_ROTATIONS = (
    (0, 36, 3, 41, 18), (1, 44, 10, 45, 2), (62, 6, 43, 15, 61),
    (28, 55, 25, 21, 56), (27, 20, 39, 8, 14),
)  # fmt: skip
_MASK = (1 << 64) - 1


def _rotl(value: int, shift: int) -> int:
    return ((value << shift) | (value >> (64 - shift))) & _MASK if shift else value


def _keccak_f(state: list[list[int]]) -> None:
    for constant in _ROUND_CONSTANTS:
        parity = [
            state[x][0] ^ state[x][1] ^ state[x][2] ^ state[x][3] ^ state[x][4] for x in range(5)
        ]
        for x in range(5):
            d = parity[(x - 1) % 5] ^ _rotl(parity[(x + 1) % 5], 1)
            for y in range(5):
                state[x][y] ^= d
        b = [[0] * 5 for _ in range(5)]
        for x in range(5):
            for y in range(5):
                b[y][(2 * x + 3 * y) % 5] = _rotl(state[x][y], _ROTATIONS[x][y])
        for x in range(5):
            for y in range(5):
                state[x][y] = b[x][y] ^ (~b[(x + 1) % 5][y] & b[(x + 2) % 5][y])
        state[0][0] ^= constant


def keccak256(data: bytes) -> bytes:
    """Return the Keccak-256 digest (Ethereum's, with the original 0x01 padding)."""
    rate = 136
    padded = bytearray(data) + b"\x01" + b"\x00" * ((rate - len(data) - 1) % rate)
    padded[-1] |= 0x80
    state = [[0] * 5 for _ in range(5)]
    for offset in range(0, len(padded), rate):
        block = padded[offset : offset + rate]
        for i in range(rate // 8):
            x, y = i % 5, i // 5
            state[x][y] ^= int.from_bytes(block[8 * i : 8 * i + 8], "little")
        _keccak_f(state)
    out = b"".join(state[i % 5][i // 5].to_bytes(8, "little") for i in range(4))
    return out


def eip55(address_hex: str) -> str:
    """Return the EIP-55 checksummed form of 40 hex digits (without 0x), prefixed with 0x."""
    lower = address_hex.lower()
    digest = keccak256(lower.encode("ascii")).hex()
    return "0x" + "".join(
        char.upper() if char.isalpha() and int(digest[i], 16) >= 8 else char
        for i, char in enumerate(lower)
    )


def ethereum_canonical(text: str) -> str | None:
    """Return the checksummed address, or None when a mixed-case address fails EIP-55."""
    body = text[2:]
    if len(body) != 40 or text[:2] not in ("0x", "0X"):
        return None
    canonical = eip55(body)
    if body.lower() == body or body.upper() == body:
        return canonical
    return canonical if canonical[2:] == body else None
