"""Precision and recall per kind on the blind set (tests/entities/data/blind/), kept apart from
the labelled set written with the rules.

The files evaluated, the minimum number of texts and every floor live in
tests/entities/data/blind/evaluation.json; the format is in the README there. Run with `-s` to
see the figures.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hotline.entities.extract import EntityType, Flag, extract_entities

BLIND = Path(__file__).parent / "data" / "blind"
LANGUAGES = {"km", "en", "mixed"}
KINDS = {str(kind) for kind in EntityType}
FLAGS = {str(flag) for flag in Flag}


@dataclass(frozen=True)
class Record:
    where: str  # file:line, for messages
    id: str
    lang: str
    text: str
    expected: frozenset[tuple[str, str]]
    flagged: frozenset[tuple[str, str, str]]  # (kind, value, flag)


def _settings() -> dict[str, Any]:
    settings: dict[str, Any] = json.loads((BLIND / "evaluation.json").read_text("utf-8"))
    return settings


def _comparable(kind: str, value: str) -> tuple[str, str]:
    # The README lets writers give ETH addresses in any case (the checksummed case cannot be
    # written by hand); every other value is compared exactly.
    return kind, value.lower() if kind == EntityType.ETH else value


def _parse(where: str, line: str) -> Record:
    try:
        raw = json.loads(line)
    except json.JSONDecodeError as exc:
        raise AssertionError(f"{where}: not JSON ({exc})") from exc
    assert isinstance(raw, dict), f"{where}: not a JSON object"
    unknown = set(raw) - {"id", "lang", "text", "expected", "note"}
    assert not unknown, f"{where}: unknown fields {sorted(unknown)}"
    assert isinstance(raw.get("id"), str), f"{where}: id must be a string"
    assert raw["id"], f"{where}: id is empty"
    assert raw.get("lang") in LANGUAGES, f"{where}: lang must be one of {sorted(LANGUAGES)}"
    assert isinstance(raw.get("text"), str), f"{where}: text must be a string"
    assert raw["text"].strip(), f"{where}: text is empty"
    assert isinstance(raw.get("expected"), list), f"{where}: expected must be a list"
    expected: set[tuple[str, str]] = set()
    flagged: set[tuple[str, str, str]] = set()
    for item in raw["expected"]:
        assert isinstance(item, dict), f"{where}: each expected entry is an object"
        assert set(item) <= {"kind", "value", "flags"}, f"{where}: unknown keys in {item}"
        kind, value, flags = item.get("kind"), item.get("value"), item.get("flags", [])
        assert kind in KINDS, f"{where}: kind {kind!r} is not one of {sorted(KINDS)}"
        assert isinstance(value, str), f"{where}: value must be a string"
        assert value, f"{where}: value is empty"
        assert isinstance(flags, list), f"{where}: flags must be a list"
        assert set(flags) <= FLAGS, f"{where}: flags {flags!r} are not among {sorted(FLAGS)}"
        key = _comparable(kind, value)
        assert key not in expected, f"{where}: {kind} {value} listed twice (list it once)"
        expected.add(key)
        flagged.update((*key, flag) for flag in flags)
    return Record(
        where, raw["id"], raw["lang"], raw["text"], frozenset(expected), frozenset(flagged)
    )


def _records() -> list[Record]:
    records = []
    for name in _settings()["files"]:
        with (BLIND / name).open(encoding="utf-8") as handle:
            records += [
                _parse(f"{name}:{number}", line)
                for number, line in enumerate(handle, 1)
                if line.strip()
            ]
    return records


def _found(record: Record) -> tuple[set[tuple[str, str]], set[tuple[str, str, str]]]:
    entities = extract_entities(record.text)
    found = {_comparable(str(e.type), e.value) for e in entities}
    flagged = {(*_comparable(str(e.type), e.value), flag) for e in entities for flag in e.flags}
    return found, flagged


@dataclass(frozen=True)
class Score:
    tp: int
    fp: int
    fn: int

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0


def score(records: list[Record]) -> tuple[dict[str, Score], dict[str, Score]]:
    """Return (per kind, per flag) scores, counting distinct values per text.

    A flag counts only on entities both found and expected, so a missed account is a recall
    miss of its kind, not also of its flag.
    """
    counts: dict[str, Counter[str]] = {"tp": Counter(), "fp": Counter(), "fn": Counter()}
    flag_counts: dict[str, Counter[str]] = {"tp": Counter(), "fp": Counter(), "fn": Counter()}
    for record in records:
        found, found_flags = _found(record)
        for kind, _ in found & record.expected:
            counts["tp"][kind] += 1
        for kind, _ in found - record.expected:
            counts["fp"][kind] += 1
        for kind, _ in record.expected - found:
            counts["fn"][kind] += 1
        both = found & record.expected
        found_flags = {f for f in found_flags if f[:2] in both}
        expected_flags = {f for f in record.flagged if f[:2] in both}
        for *_, flag in found_flags & expected_flags:
            flag_counts["tp"][flag] += 1
        for *_, flag in found_flags - expected_flags:
            flag_counts["fp"][flag] += 1
        for *_, flag in expected_flags - found_flags:
            flag_counts["fn"][flag] += 1

    def table(c: dict[str, Counter[str]]) -> dict[str, Score]:
        names = set(c["tp"]) | set(c["fp"]) | set(c["fn"])
        return {n: Score(c["tp"][n], c["fp"][n], c["fn"][n]) for n in sorted(names)}

    return table(counts), table(flag_counts)


def test_blind_set_is_well_formed_and_complete() -> None:
    settings = _settings()
    listed = set(settings["files"]) | set(settings["not_evaluated"])
    on_disk = {path.name for path in BLIND.glob("*.jsonl")}
    assert on_disk <= listed, f"list these in evaluation.json: {sorted(on_disk - listed)}"
    assert listed <= on_disk, f"missing files: {sorted(listed - on_disk)}"
    records = _records()
    ids = Counter(record.id for record in records)
    assert not [i for i, n in ids.items() if n > 1], "ids repeat"
    assert len(records) >= settings["min_texts"]
    assert {record.lang for record in records} == LANGUAGES
    assert any(not record.expected for record in records), "no text without identifiers"


def test_blind_precision_and_recall_per_kind_meet_their_floors() -> None:
    settings = _settings()
    records = _records()
    kinds, flags = score(records)
    print(f"\nblind set: {len(records)} texts from {', '.join(settings['files'])}")
    for title, table in (("kind", kinds), ("flag", flags)):
        for name, s in table.items():
            print(
                f"  {title} {name}: precision {s.precision:.3f} recall {s.recall:.3f}"
                f" (tp={s.tp} fp={s.fp} fn={s.fn})"
            )
    failures = []
    for title, table, floors in (
        ("kind", kinds, settings["floors"]),
        ("flag", flags, settings["flag_floors"]),
    ):
        # Every kind or flag the data holds (or the extractor finds) needs a floor.
        unfloored = sorted(set(table) - set(floors))
        assert not unfloored, f"set floors in evaluation.json for {title}s {unfloored}"
        for name, floor in floors.items():
            s = table.get(name, Score(0, 0, 0))
            if s.precision < floor["precision"]:
                failures.append(f"{title} {name}: precision {s.precision:.3f} < {floor}")
            if s.recall < floor["recall"]:
                failures.append(f"{title} {name}: recall {s.recall:.3f} < {floor}")
    assert not failures, failures


def test_scoring_counts_misses_and_false_finds() -> None:
    """The scorer itself: a wrong expectation must lower the figures, not vanish."""
    records = [
        _parse("t:1", json.dumps({"id": "1", "lang": "en", "text": "call 012 345 678",
                                  "expected": [{"kind": "phone", "value": "+85512345679"}]})),
        _parse("t:2", json.dumps({"id": "2", "lang": "en", "text": "ABA account 037 519 6640",
                                  "expected": [{"kind": "payment_account",
                                                "value": "aba:0375196640"}]})),
        _parse("t:3", json.dumps({"id": "3", "lang": "en", "text": "0x5aaeb6053f3e94c9b9a09f"
                                  "33669435e7ef1beaed", "expected": [{"kind": "eth", "value":
                                  "0x5AAEB6053F3E94C9B9A09F33669435E7EF1BEAED"}]})),
    ]  # fmt: skip
    kinds, flags = score(records)
    assert kinds["phone"] == Score(tp=0, fp=1, fn=1)
    assert kinds["payment_account"] == Score(tp=1, fp=0, fn=0)
    assert kinds["eth"] == Score(tp=1, fp=0, fn=0)
    assert flags["unusual_length"] == Score(tp=0, fp=1, fn=0)
