"""`hotline verify-package`: an intact package passes; every kind of tampering, another key and
a relabelled old package fail, with exit status 1 (rejected) or 2 (not a package)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from django.core.management import call_command
from django.core.management.base import CommandError
from referral_support import (
    case_full_of_identity,
    entries,
    flip,
    foreign_signature,
    produce,
    rezip,
    write,
)

from hotline.cli import main as hotline_main
from hotline.referrals.models import ReferralPackage

pytestmark = pytest.mark.django_db


def verify(path: Path, *extra: str) -> str:
    """Run the command; return what it printed, or raise CommandError (with its returncode)."""
    from io import StringIO

    out = StringIO()
    call_command("verify-package", str(path), *extra, stdout=out)
    return out.getvalue()


def rejected(path: Path, *extra: str) -> str:
    with pytest.raises(CommandError) as caught:
        verify(path, *extra)
    assert caught.value.returncode == 1, caught.value
    return str(caught.value)


@pytest.fixture
def made(tmp_path: Path) -> tuple[bytes, str, Path]:
    produced = produce(case_full_of_identity().report)
    path = write(tmp_path, produced.filename, produced.data)
    return produced.data, produced.filename, path


def test_an_intact_package_verifies_and_lists_every_file(made: tuple[bytes, str, Path]) -> None:
    data, filename, path = made
    printed = verify(path)

    assert printed.startswith("OK: package ")
    assert "in this hotline's registry" in printed
    names = set(entries(data))
    assert {"report.pdf", "report.json", "public-key.pem", "manifest.json", "manifest.sig"} <= names
    assert len([n for n in names if n.startswith("evidence/")]) == 2
    manifest = json.loads(entries(data)["manifest.json"])
    assert {f["name"] for f in manifest["files"]} == names - {"manifest.json", "manifest.sig"}
    for entry in manifest["files"]:
        body = entries(data)[entry["name"]]
        assert (entry["sha256"], entry["size"]) == (hashlib.sha256(body).hexdigest(), len(body))
    assert manifest["label"] in filename
    assert manifest["version"] == 1


@pytest.mark.parametrize(
    "name", ["report.pdf", "report.json", "public-key.pem", "evidence", "manifest.json"]
)
def test_a_flipped_byte_in_any_file_is_rejected(
    made: tuple[bytes, str, Path], tmp_path: Path, name: str
) -> None:
    data, filename, _ = made
    if name == "evidence":
        name = sorted(n for n in entries(data) if n.startswith("evidence/"))[0]
    for at in (0, None, -1):
        body = entries(data)[name]
        position = len(body) - 1 if at == -1 else at
        path = write(tmp_path, filename, rezip(data, change={name: flip(body, position)}))
        assert "REJECTED" in rejected(path)


def test_a_flipped_byte_in_the_signature_is_rejected(
    made: tuple[bytes, str, Path], tmp_path: Path
) -> None:
    data, filename, _ = made
    signature = entries(data)["manifest.sig"]
    path = write(tmp_path, filename, rezip(data, change={"manifest.sig": flip(signature)}))

    assert "signature is not valid" in rejected(path)


def test_an_added_file_is_rejected(made: tuple[bytes, str, Path], tmp_path: Path) -> None:
    data, filename, _ = made
    path = write(tmp_path, filename, rezip(data, add={"evidence/999-extra.bin": b"planted"}))

    assert "not in the manifest were added: evidence/999-extra.bin" in rejected(path)


@pytest.mark.parametrize("name", ["report.pdf", "public-key.pem", "evidence"])
def test_a_removed_file_is_rejected(
    made: tuple[bytes, str, Path], tmp_path: Path, name: str
) -> None:
    data, filename, _ = made
    if name == "evidence":
        name = sorted(n for n in entries(data) if n.startswith("evidence/"))[0]
    path = write(tmp_path, filename, rezip(data, change={name: None}))

    assert f"missing: {name}" in rejected(path)


@pytest.mark.parametrize("name", ["manifest.json", "manifest.sig"])
def test_a_package_without_its_manifest_or_signature_is_rejected(
    made: tuple[bytes, str, Path], tmp_path: Path, name: str
) -> None:
    data, filename, _ = made
    path = write(tmp_path, filename, rezip(data, change={name: None}))

    assert f"no {name}" in rejected(path)


def test_an_edited_manifest_is_rejected_even_with_matching_files(
    made: tuple[bytes, str, Path], tmp_path: Path
) -> None:
    # The forger changes report.json and writes its new hash into the manifest.
    data, filename, _ = made
    report = entries(data)["report.json"].replace(b"offender_channel_x", b"someone_else_xx")
    manifest = json.loads(entries(data)["manifest.json"])
    for entry in manifest["files"]:
        if entry["name"] == "report.json":
            entry["sha256"] = hashlib.sha256(report).hexdigest()
            entry["size"] = len(report)
    edited = json.dumps(manifest, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    forged = rezip(data, change={"report.json": report, "manifest.json": edited.encode() + b"\n"})

    assert "signature is not valid" in rejected(write(tmp_path, filename, forged))


def test_a_package_re_signed_with_another_key_is_rejected_even_with_that_key_inside(
    made: tuple[bytes, str, Path], tmp_path: Path
) -> None:
    data, filename, _ = made
    manifest = entries(data)["manifest.json"]
    _, key = foreign_signature(manifest)
    pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    # The forger also puts their own key in the package (and in a re-signed manifest).
    parsed = json.loads(manifest)
    for entry in parsed["files"]:
        if entry["name"] == "public-key.pem":
            entry["sha256"], entry["size"] = hashlib.sha256(pem).hexdigest(), len(pem)
    forged_manifest = (
        json.dumps(parsed, sort_keys=True, ensure_ascii=False, separators=(",", ":")) + "\n"
    ).encode()
    forged_signature, _ = foreign_signature(forged_manifest)
    forged = rezip(
        data,
        change={
            "manifest.json": forged_manifest,
            "manifest.sig": forged_signature,
            "public-key.pem": pem,
        },
    )

    assert "another key signed it" in rejected(write(tmp_path, filename, forged))


def test_key_option_trusts_only_the_key_given(
    made: tuple[bytes, str, Path], tmp_path: Path
) -> None:
    data, _, path = made
    ours = write(tmp_path, "ours.pem", entries(data)["public-key.pem"])
    _, other_key = foreign_signature(b"")
    other = write(
        tmp_path,
        "other.pem",
        other_key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        ),
    )

    assert verify(path, "--key", str(ours)).startswith("OK")
    assert "signature is not valid" in rejected(path, "--key", str(other))


def test_a_package_signed_for_another_purpose_is_rejected(
    made: tuple[bytes, str, Path], tmp_path: Path
) -> None:
    from hotline.audit.checkpoints import document_sign

    data, filename, _ = made
    manifest = entries(data)["manifest.json"]
    url_list_signature = document_sign(manifest, purpose="url-list")
    path = write(tmp_path, filename, rezip(data, change={"manifest.sig": url_list_signature}))

    assert "signature is not valid" in rejected(path)


# --- relabelling ----------------------------------------------------------------------------


def test_an_old_package_renamed_as_another_case_is_rejected(tmp_path: Path) -> None:
    first = case_full_of_identity(pictures=1).report
    second = case_full_of_identity(pictures=1).report
    old = produce(first, evidence=False)
    relabelled = old.filename.replace(str(first.public_id), str(second.public_id))

    message = rejected(write(tmp_path, relabelled, old.data))
    assert "does not carry the package's signed label" in message
    assert str(first.public_id) in message  # says what the package really is


def test_an_old_package_renamed_with_another_date_or_id_is_rejected(tmp_path: Path) -> None:
    report = case_full_of_identity(pictures=1).report
    old = produce(report, evidence=False)
    newer = produce(report, evidence=False)
    day = old.record.created_at.strftime("%Y%m%d")
    for name in (
        old.filename.replace(f"-{day}-", "-20991231-"),
        old.filename.replace(str(old.record.package_id), str(newer.record.package_id)),
        newer.filename,  # the old package under the newer one's name
        "referral-package.zip",
    ):
        assert "signed label" in rejected(write(tmp_path, name, old.data))
    # Back under its own name, it is what it is.
    assert verify(write(tmp_path, old.filename, old.data)).startswith("OK")


def test_a_package_the_registry_does_not_know_is_rejected(
    made: tuple[bytes, str, Path],
) -> None:
    _data, _, path = made
    ReferralPackage.objects.all().delete()

    assert "registry has no package" in rejected(path)


@pytest.mark.parametrize("field", ["report", "created_at", "manifest_sha256"])
def test_a_package_whose_registry_row_says_otherwise_is_rejected(
    made: tuple[bytes, str, Path], field: str
) -> None:
    from datetime import timedelta

    _, _, path = made
    row = ReferralPackage.objects.get()
    if field == "report":
        row.report = case_full_of_identity(pictures=0).report
    elif field == "created_at":
        row.created_at -= timedelta(days=30)
    else:
        row.manifest_sha256 = "0" * 64
    row.save()

    assert "relabelled" in rejected(path)


# --- not a package, bad arguments, the CLI's exit status ------------------------------------


@pytest.mark.parametrize(
    "content",
    [b"", b"not a zip at all", b"PK\x03\x04" + b"\x00" * 40, b"%PDF-1.7\n" + b"x" * 1000],
)
def test_a_file_that_is_not_a_zip_exits_2(tmp_path: Path, content: bytes) -> None:
    with pytest.raises(CommandError) as caught:
        verify(write(tmp_path, "x.zip", content))

    assert caught.value.returncode == 2
    assert "not a referral package" in str(caught.value)


def test_a_truncated_package_is_refused(made: tuple[bytes, str, Path], tmp_path: Path) -> None:
    data, filename, _ = made
    for cut in (len(data) // 2, len(data) - 10, 100):
        with pytest.raises(CommandError) as caught:
            verify(write(tmp_path, filename, data[:cut]))
        assert caught.value.returncode in (1, 2)


def test_a_missing_file_and_bad_key_files_exit_2(
    made: tuple[bytes, str, Path], tmp_path: Path
) -> None:
    _, _, path = made
    cases = [
        (tmp_path / "nope.zip", ()),
        (path, ("--key", str(tmp_path / "no-key.pem"))),
        (path, ("--key", str(write(tmp_path, "garbage.pem", b"-----BEGIN nonsense")))),
        (path, ("--key", str(write(tmp_path, "huge.pem", b"A" * 100_000)))),
        (path, ("--key", str(tmp_path))),  # a folder
    ]
    rsa_pem = (
        b"-----BEGIN PUBLIC KEY-----\nMFwwDQYJKoZIhvcNAQEBBQADSwAwSAJBAMEhSe3tHz6VjHlVl1i4z3U7Y0"
        b"5k5b8VY7o0iTnJ9hEcmF6bK8C0Jc6o1p4mC7wmy0iG5b6Fh5b2n3XH0hrM7u8CAwEAAQ==\n"
        b"-----END PUBLIC KEY-----\n"
    )
    cases.append((path, ("--key", str(write(tmp_path, "rsa.pem", rsa_pem)))))
    for file, extra in cases:
        with pytest.raises(CommandError) as caught:
            verify(file, *extra)
        assert caught.value.returncode == 2, (file, extra, caught.value)


def test_the_hotline_cli_exits_0_1_and_2(
    made: tuple[bytes, str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data, filename, path = made

    def status(*args: str) -> int:
        try:
            return hotline_main(["verify-package", *args])
        except SystemExit as exit_:
            return int(exit_.code or 0)

    assert status(str(path)) == 0
    body = entries(data)["report.pdf"]
    tampered = write(tmp_path / "t", filename, rezip(data, change={"report.pdf": flip(body)}))
    assert status(str(tampered)) == 1
    assert status(str(write(tmp_path, "junk.zip", b"junk"))) == 2
    err = capsys.readouterr().err
    assert "REJECTED: report.pdf differs from the manifest" in err
    assert "Traceback" not in err
