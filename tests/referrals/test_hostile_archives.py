"""Hostile or garbage archives handed to the verifier: zip bombs, ../ names, duplicates,
encrypted or damaged entries, too many entries, random bytes. Each is refused with a message;
nothing is extracted, nothing crashes, and a bomb is never inflated beyond its cap."""

from __future__ import annotations

import io
import re
import warnings
import zipfile
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from hotline.referrals import archive as archive_module
from hotline.referrals.archive import PackageRejected, PackageUnreadable, package_check


def _zip(files: list[tuple[str, bytes]], *, level: int = 6) -> bytes:
    out = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns about duplicate names: we want them
        with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=level) as z:
            for name, body in files:
                z.writestr(name, body)
    return out.getvalue()


def _check(data: bytes) -> None:
    package_check(io.BytesIO(data), key=None)


@pytest.fixture(autouse=True)
def _key_dir(tmp_path: Path, settings: object) -> None:
    settings.HOTLINE_AUDIT_DIR = tmp_path / "keys"  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "name",
    [
        "../../x",
        "../manifest.json",
        "/etc/passwd",
        "evidence/../../x",
        "evidence\\..\\x",
        "C:/x",
        "evidence/",
        "evidence/sub/x.bin",
        ".hidden",
        "x\x01y",
        "a" * 500,
        "évidence",
    ],
)
def test_a_name_a_package_never_has_is_refused_before_anything_is_read(name: str) -> None:
    data = _zip([("manifest.json", b"{}"), ("manifest.sig", b"x" * 64), (name, b"boom")])

    with pytest.raises(PackageRejected, match="file name a package never has"):
        _check(data)


def test_duplicate_names_are_refused() -> None:
    data = _zip([("manifest.json", b"{}"), ("manifest.sig", b"s"), ("report.pdf", b"1"),
                 ("report.pdf", b"2")])  # fmt: skip

    with pytest.raises(PackageRejected, match=re.escape("two files named 'report.pdf'")):
        _check(data)


def test_a_zip_bomb_manifest_is_read_only_up_to_its_cap() -> None:
    bomb = b"\x00" * (64 << 20)  # 64 MiB of zeros, about 64 KiB compressed
    data = _zip([("manifest.json", bomb), ("manifest.sig", b"s" * 64)], level=9)
    assert len(data) < 1 << 20

    with pytest.raises(PackageRejected, match=re.escape("manifest.json is larger than")):
        _check(data)


def test_a_zip_bomb_signature_is_capped_too() -> None:
    data = _zip([("manifest.json", b"{}"), ("manifest.sig", b"\x00" * (8 << 20))], level=9)

    with pytest.raises(PackageRejected, match=re.escape("manifest.sig is larger than 64 bytes")):
        _check(data)


def test_too_many_entries_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(archive_module, "MAX_ENTRIES", 50)
    data = _zip([(f"evidence/{i}.bin", b"") for i in range(51)])

    with pytest.raises(PackageRejected, match="51 entries"):
        _check(data)


def test_an_encrypted_or_damaged_entry_is_refused() -> None:
    good = _zip([("manifest.json", b"{" * 2000), ("manifest.sig", b"s" * 64)])
    # Mark the first entry encrypted (general purpose flag bit 0) in both headers.
    encrypted = bytearray(good)
    for signature, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        at = encrypted.find(signature)
        encrypted[at + offset] |= 0x01
    with pytest.raises(PackageRejected):
        _check(bytes(encrypted))
    # Corrupt compressed bytes: a CRC or inflate error, reported as damage.
    damaged = bytearray(good)
    start = damaged.find(b"manifest.json") + len("manifest.json") + 5
    damaged[start : start + 8] = b"\xff" * 8
    with pytest.raises((PackageRejected, PackageUnreadable)):
        _check(bytes(damaged))


def test_a_zip_without_manifest_is_not_a_referral_package() -> None:
    with pytest.raises(PackageRejected, match=re.escape("no manifest.json")):
        _check(_zip([("report.pdf", b"%PDF")]))


@pytest.mark.parametrize(
    "manifest",
    [b"not json", b"[]", b'{"format": "openhotline-referral-manifest-1"}', b"\xff\xfe"],
)
def test_a_garbage_manifest_fails_at_the_signature(manifest: bytes) -> None:
    with pytest.raises(PackageRejected, match="signature is not valid"):
        _check(_zip([("manifest.json", manifest), ("manifest.sig", b"s" * 64)]))


@hypothesis_settings(max_examples=200, deadline=None)
@given(st.binary(max_size=3000))
def test_random_bytes_are_refused_never_crash(data: bytes) -> None:
    with pytest.raises((PackageRejected, PackageUnreadable)):
        _check(data)


@hypothesis_settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.tuples(st.text(min_size=1, max_size=30), st.binary(max_size=200)),
        min_size=1,
        max_size=8,
    )
)
def test_random_archives_are_refused_never_crash(files: list[tuple[str, bytes]]) -> None:
    try:
        data = _zip(files)
    except (ValueError, UnicodeEncodeError):
        return  # zipfile itself would not write this name
    with pytest.raises((PackageRejected, PackageUnreadable)):
        _check(data)
