"""Hash banks: import/export, matching through the index, the CLI."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import IntegrityError, transaction
from PIL import Image, ImageDraw

from hotline.audit.models import AuditEvent
from hotline.hashing import services
from hotline.hashing.formats import HashFileError, HashRow, parse_hash_file, write_hash_file
from hotline.hashing.hashers import hash_image_bytes
from hotline.hashing.models import Bank, BankCategory, BankEntry, HashType
from hotline.hashing.selectors import bank_export, match_hashes
from hotline.hashing.services import (
    bank_create,
    bank_import,
    entry_add,
    entry_set_enabled,
    victim_bank,
)

pytestmark = pytest.mark.django_db

PDQ = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22"
MD5 = "d35c785545392755e7e4164457657269"
SHA = "b5b0799616df52d475a3968dc7e54f1d0724c912244ffa6175bc786375dd7298"


@pytest.fixture(autouse=True)
def _index_dir(tmp_path: Path, settings: object) -> None:
    settings.HASHING_INDEX_DIR = tmp_path / "pdq-index"  # type: ignore[attr-defined]


def flip_bits(hex_value: str, n: int) -> str:
    value = int(hex_value, 16)
    for bit in range(n):
        value ^= 1 << (bit * 7 % 256)
    return f"{value:064x}"


@pytest.fixture
def bank() -> Bank:
    return bank_create(name="partner list", category=BankCategory.CSAM, source="test partner")


def test_import_csv(bank: Bank) -> None:
    text = (
        "hash,type,label\n"
        f"{PDQ},pdq,bridge\n"
        f"{MD5.upper()},MD5\n"
        "# a comment\n"
        "\n"
        f'{SHA},sha-256,"label, with comma"\n'
        f"{PDQ},pdq,repeated row\n"
    )
    result = bank_import(bank=bank, text=text, fmt="csv", source_name="list.csv")
    assert (result.added, result.already_present) == (3, 0)
    entries = {(e.hash_type, e.value, e.label, e.added_via) for e in bank.entries.all()}
    assert entries == {
        ("pdq", PDQ, "bridge", "import:list.csv"),
        ("md5", MD5, "", "import:list.csv"),
        ("sha256", SHA, "label, with comma", "import:list.csv"),
    }
    again = bank_import(bank=bank, text=text, fmt="csv")
    assert (again.added, again.already_present) == (0, 3)
    assert AuditEvent.objects.filter(action="hashing.bank_import").count() == 2


def test_bad_file_imports_nothing_and_names_lines(bank: Bank) -> None:
    text = "\n".join(
        [
            "hash,type,label",
            f"{PDQ},pdq,good",
            f"{PDQ[:-1]},pdq,too short",
            f"{MD5},md5,good",
            f"{MD5},sha1,unknown type",
            f"{SHA}",
            f"{SHA},sha256,a,b",
        ]
    )
    with pytest.raises(HashFileError) as caught:
        bank_import(bank=bank, text=text, fmt="csv")
    assert [e.line for e in caught.value.errors] == [3, 5, 6, 7]
    assert "64 hex digits" in caught.value.errors[0].message
    assert "sha1" in caught.value.errors[1].message
    assert bank.entries.count() == 0


def test_export_import_round_trip_tsv(bank: Bank) -> None:
    entry_add(bank=bank, hash_type=HashType.PDQ, value=PDQ, label="a\tb")
    entry_add(bank=bank, hash_type=HashType.MD5, value=MD5)
    hidden = entry_add(bank=bank, hash_type=HashType.SHA256, value=SHA)
    entry_set_enabled(entry=hidden, enabled=False)
    exported = bank_export(bank=bank, fmt="tsv").text
    assert exported.splitlines()[0] == "hash\ttype\tlabel"
    assert SHA not in exported
    copy = bank_create(name="copy", category=BankCategory.OTHER)
    bank_import(bank=copy, text=exported, fmt="tsv")
    assert sorted(copy.entries.values_list("hash_type", "value", "label")) == [
        ("md5", MD5, ""),
        ("pdq", PDQ, "a\tb"),
    ]
    assert SHA in bank_export(bank=bank, fmt="csv", include_disabled=True).text


def test_write_and_parse_agree() -> None:
    rows = [HashRow(HashType.PDQ, PDQ, 'quote " and, comma'), HashRow(HashType.MD5, MD5)]
    for fmt in ("csv", "tsv"):
        assert parse_hash_file(write_hash_file(rows, fmt=fmt).text, fmt=fmt) == rows


def test_exact_and_near_matching(bank: Bank) -> None:
    entry_add(bank=bank, hash_type=HashType.PDQ, value=PDQ, label="bridge")
    entry_add(bank=bank, hash_type=HashType.MD5, value=MD5)
    entry_add(bank=bank, hash_type=HashType.SHA256, value=SHA)

    near = match_hashes(pdq=[flip_bits(PDQ, 31)])
    assert [(m.value, m.distance, m.label) for m in near] == [(PDQ, 31, "bridge")]
    assert match_hashes(pdq=[flip_bits(PDQ, 32)]) == []
    assert [m.distance for m in match_hashes(pdq=[flip_bits(PDQ, 32)], threshold=40)] == [32]
    assert [m.hash_type for m in match_hashes(md5=[MD5], sha256=[SHA])] == [
        HashType.MD5,
        HashType.SHA256,
    ]
    assert match_hashes(md5=["0" * 32]) == []


def test_disabled_entries_and_banks_do_not_match(bank: Bank) -> None:
    entry = entry_add(bank=bank, hash_type=HashType.PDQ, value=PDQ)
    other = bank_create(name="other", category=BankCategory.NCII)
    entry_add(bank=other, hash_type=HashType.PDQ, value=PDQ)
    assert {m.bank for m in match_hashes(pdq=[PDQ])} == {"partner list", "other"}
    entry_set_enabled(entry=entry, enabled=False)
    assert {m.bank for m in match_hashes(pdq=[PDQ])} == {"other"}
    Bank.objects.filter(pk=other.pk).update(enabled=False)
    assert match_hashes(pdq=[PDQ]) == []
    assert BankEntry.objects.count() == 2  # disabled, not deleted


def test_index_is_built_from_existing_entries(bank: Bank, settings: object) -> None:
    entry_add(bank=bank, hash_type=HashType.PDQ, value=PDQ)
    # A fresh installation directory (e.g. after moving the data dir): built from the banks.
    settings.HASHING_INDEX_DIR = Path(settings.HASHING_INDEX_DIR).parent / "fresh"  # type: ignore[attr-defined]
    assert [m.value for m in match_hashes(pdq=[flip_bits(PDQ, 5)])] == [PDQ]
    assert services.pdq_index_rebuild() == 1


def test_value_format_is_a_database_constraint(bank: Bank) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        BankEntry.objects.create(bank=bank, hash_type=HashType.MD5, value="xyz")
    with pytest.raises(IntegrityError), transaction.atomic():
        BankEntry.objects.create(bank=bank, hash_type=HashType.PDQ, value=MD5)


def test_one_victim_bank() -> None:
    assert victim_bank() == victim_bank()
    assert victim_bank().category == BankCategory.VICTIM_SUBMITTED
    with pytest.raises(IntegrityError), transaction.atomic():
        Bank.objects.create(name="second", category="other", victim_submitted=True)


def picture(seed: int) -> Image.Image:
    rng = np.random.default_rng(seed)
    image = Image.new("RGB", (400, 300), (30, 60, 90))
    draw = ImageDraw.Draw(image)
    for _ in range(15):
        x0, x1 = sorted(rng.integers(0, 400, 2).tolist())
        y0, y1 = sorted(rng.integers(0, 300, 2).tolist())
        draw.rectangle((x0, y0, x1, y1), fill=tuple(rng.integers(0, 256, 3).tolist()))
    return image


def test_cli_bank_import_export_and_match(tmp_path: Path) -> None:
    original = tmp_path / "original.png"
    picture(7).save(original)
    resized = tmp_path / "resized.jpg"
    picture(7).resize((300, 225)).save(resized, quality=80)
    unrelated = tmp_path / "unrelated.png"
    picture(8).save(unrelated)
    hashes = hash_image_bytes(original.read_bytes())

    out = io.StringIO()
    call_command("hashbank", "create", "known", "--category", "csam", stdout=out)
    listing = tmp_path / "known.csv"
    listing.write_text(f"{hashes.pdq_hex},pdq,known picture\n{hashes.md5},md5\n")
    call_command("hashbank", "import", "known", str(listing), stdout=out)
    assert "2 added" in out.getvalue()

    out = io.StringIO()
    call_command("match", str(resized), str(unrelated), hashes.md5, "nothex", stdout=out)
    results = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [m["label"] for m in results[0]["matches"]] == ["known picture"]
    assert results[0]["matches"][0]["distance"] <= 31
    assert results[1]["matches"] == []
    assert [m["hash_type"] for m in results[2]["matches"]] == ["md5"]
    assert results[3]["error"] == "not_a_hash"

    out = io.StringIO()
    call_command("hashbank", "export", "known", "--format", "tsv", stdout=out)
    assert out.getvalue().splitlines()[1:] == sorted(
        [f"{hashes.md5}\tmd5\t", f"{hashes.pdq_hex}\tpdq\tknown picture"]
    )


def test_cli_bad_import_reports_lines(tmp_path: Path) -> None:
    call_command("hashbank", "create", "known", stdout=io.StringIO())
    bad = tmp_path / "bad.tsv"
    bad.write_text(f"{PDQ}\tpdq\n{MD5}\tpdq\n")
    err = io.StringIO()
    with pytest.raises(CommandError, match="nothing imported"):
        call_command("hashbank", "import", "known", str(bad), stdout=io.StringIO(), stderr=err)
    assert err.getvalue().startswith("line 2:")
    assert BankEntry.objects.count() == 0
    with pytest.raises(CommandError, match="No bank named"):
        call_command("hashbank", "import", "missing", str(bad))


def test_cli_hashindex(bank: Bank) -> None:
    entry_add(bank=bank, hash_type=HashType.PDQ, value=PDQ)
    out = io.StringIO()
    call_command("hashindex", "--rebuild", stdout=out)
    assert "1 distinct" in out.getvalue()
    assert "in the base file" in out.getvalue()
    assert [m.value for m in match_hashes(pdq=[PDQ])] == [PDQ]


def test_threatexchange_file_round_trip(bank: Bank, tmp_path: Path) -> None:
    from threatexchange.exchanges.impl.file_api import (
        FileCollaborationConfig,
        LocalFileSignalExchangeAPI,
    )
    from threatexchange.signal_type.md5 import VideoMD5Signal
    from threatexchange.signal_type.pdq.signal import PdqSignal

    entry_add(bank=bank, hash_type=HashType.PDQ, value=PDQ)
    entry_add(bank=bank, hash_type=HashType.MD5, value=MD5)
    entry_add(bank=bank, hash_type=HashType.SHA256, value=SHA)
    export = bank_export(bank=bank, fmt="te")
    assert export.skipped == 1  # SHA-256 has no ThreatExchange signal type
    path = tmp_path / "signals.txt"
    path.write_text(export.text)

    # python-threatexchange's own reader (what Hasher-Matcher-Actioner's file exchange uses).
    api = LocalFileSignalExchangeAPI.for_collab(
        FileCollaborationConfig(name="ours", api="local_file", filename=str(path))
    )
    (delta,) = api.fetch_iter([PdqSignal, VideoMD5Signal], None)
    assert set(delta.updates) == {("pdq", PDQ), ("video_md5", MD5)}

    copy = bank_create(name="copy", category=BankCategory.OTHER)
    bank_import(bank=copy, text=export.text, fmt="te")
    assert sorted(copy.entries.values_list("hash_type", "value")) == [("md5", MD5), ("pdq", PDQ)]


def test_threatexchange_dataset_csv(bank: Bank) -> None:
    # The layout of `threatexchange dataset -P --csv`.
    text = (
        "signal_type,signal_str,collab,category,tags\n"
        f"pdq,{PDQ},Sample Data,POSITIVE_CLASS,media_priority_s\n"
        f"video_md5,{MD5},Sample Data,POSITIVE_CLASS,\n"
        f"url,https://example.org/,Sample Data,POSITIVE_CLASS,\n"
    )
    with pytest.raises(HashFileError) as caught:
        bank_import(bank=bank, text=text, fmt="te-csv")
    assert [(e.line, "url" in e.message) for e in caught.value.errors] == [(4, True)]
    result = bank_import(bank=bank, text=text.rsplit("url,", 1)[0], fmt="te-csv")
    assert result.added == 2
    labels = dict(bank.entries.values_list("hash_type", "label"))
    assert labels == {"pdq": "media_priority_s", "md5": "Sample Data"}
    exported = bank_export(bank=bank, fmt="te-csv").text.splitlines()
    assert exported[0] == "signal_type,signal_str,collab,category,tags"
    assert f"pdq,{PDQ},partner list,POSITIVE_CLASS,media_priority_s" in exported
