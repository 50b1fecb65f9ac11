"""Several web hosts, one database: each host's index learns what the others added.

Each host has its own data directory and so its own index files; here two index directories
stand for two hosts sharing the test database.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from hotline.hashing import services
from hotline.hashing.follow import follow_state_read
from hotline.hashing.index import PdqMatch
from hotline.hashing.models import Bank, BankCategory, BankEntry, HashType
from hotline.hashing.selectors import match_hashes
from hotline.hashing.services import bank_create, bank_import, entry_add, entry_set_enabled

pytestmark = pytest.mark.django_db

PDQ = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22"


def near(value: str, bits: int = 5) -> str:
    return f"{int(value, 16) ^ ((1 << bits) - 1):064x}"


@pytest.fixture
def host(tmp_path: Path, settings: object) -> Callable[[str], None]:
    """Switch this process to act as host "a" or "b" (each with its own index directory)."""
    settings.HASHING_FOLLOW_CHECK_SECONDS = 0  # type: ignore[attr-defined]

    def use(name: str) -> None:
        settings.HASHING_INDEX_DIR = tmp_path / name / "pdq-index"  # type: ignore[attr-defined]

    return use


@pytest.fixture
def bank() -> Bank:
    return bank_create(name="partner list", category=BankCategory.CSAM)


def test_a_hash_added_through_one_host_is_matched_through_another(
    host: Callable[[str], None], bank: Bank
) -> None:
    host("b")
    services.pdq_index()  # host b's index exists before the hash is added elsewhere
    host("a")
    entry = entry_add(bank=bank, hash_type=HashType.PDQ, value=PDQ)
    host("b")
    assert services.pdq_index().query(PDQ) == []  # not in b's files: only the database knows
    assert [(m.entry_id, m.distance) for m in match_hashes(pdq=[near(PDQ)])] == [(entry.pk, 5)]
    assert services.pdq_index().query(PDQ, threshold=0) == [PdqMatch(0, PDQ)]


def test_an_imported_list_on_one_host_is_matched_on_another(
    host: Callable[[str], None], bank: Bank
) -> None:
    values = [f"{i:02x}" * 32 for i in range(1, 40)]
    host("b")
    services.pdq_index()
    host("a")
    bank_import(bank=bank, text="".join(f"{v},pdq\n" for v in values), fmt="csv")
    host("b")
    for value in values:
        assert [m.value for m in match_hashes(pdq=[value], threshold=0)] == [value]


def test_an_entry_committed_late_below_the_highest_id_is_still_matched(
    host: Callable[[str], None], bank: Bank
) -> None:
    host("b")
    services.pdq_index()
    first = BankEntry.objects.create(bank=bank, hash_type=HashType.PDQ, value="11" * 32)
    # Another host's transaction took a higher id and committed first...
    BankEntry.objects.create(id=first.pk + 10, bank=bank, hash_type=HashType.PDQ, value="22" * 32)
    assert [m.value for m in match_hashes(pdq=["22" * 32])] == ["22" * 32]
    # ... and one that took a lower id commits only now (PostgreSQL hands ids out before commit).
    BankEntry.objects.create(id=first.pk + 5, bank=bank, hash_type=HashType.PDQ, value="33" * 32)
    assert [m.value for m in match_hashes(pdq=["33" * 32])] == ["33" * 32]


def test_an_entry_disabled_elsewhere_does_not_match(
    host: Callable[[str], None], bank: Bank
) -> None:
    host("b")
    services.pdq_index()
    host("a")
    entry = entry_add(bank=bank, hash_type=HashType.PDQ, value=PDQ)
    host("b")
    assert len(match_hashes(pdq=[PDQ])) == 1
    host("a")
    entry_set_enabled(entry=entry, enabled=False)
    host("b")
    # Host b's index keeps the value; matching goes through the database, which says no.
    assert services.pdq_index().query(PDQ, threshold=0) == [PdqMatch(0, PDQ)]
    assert match_hashes(pdq=[PDQ]) == []


def test_a_new_host_builds_its_index_from_the_database(
    host: Callable[[str], None], bank: Bank
) -> None:
    host("a")
    entry_add(bank=bank, hash_type=HashType.PDQ, value=PDQ)
    host("c")  # a host added later, with an empty data directory
    assert [m.value for m in match_hashes(pdq=[near(PDQ)])] == [PDQ]


def test_the_window_of_recent_ids_settles_after_the_settle_time(
    host: Callable[[str], None], bank: Bank, settings: object
) -> None:
    host("b")
    directory = services.pdq_index().directory
    entry = entry_add(bank=bank, hash_type=HashType.PDQ, value=PDQ)
    settings.HASHING_FOLLOW_SETTLE_SECONDS = 3600  # type: ignore[attr-defined]
    match_hashes(pdq=[PDQ])
    state = follow_state_read(directory)
    assert state is not None
    assert state.high == entry.pk > state.settled  # still re-checked
    settings.HASHING_FOLLOW_SETTLE_SECONDS = 0  # type: ignore[attr-defined]
    match_hashes(pdq=[PDQ])
    state = follow_state_read(directory)
    assert state is not None
    assert (state.settled, state.segments) == (entry.pk, [])


def test_a_lost_follow_state_rebuilds_instead_of_failing(
    host: Callable[[str], None], bank: Bank
) -> None:
    host("b")
    directory = services.pdq_index().directory
    host("a")
    entry_add(bank=bank, hash_type=HashType.PDQ, value=PDQ)
    host("b")
    (directory / "FOLLOW").write_text("{half", encoding="ascii")  # e.g. a crash, a bad restore
    assert [m.value for m in match_hashes(pdq=[PDQ])] == [PDQ]
    assert follow_state_read(directory) is not None
