"""Precision and recall per entity type on the labelled set (tests/entities/data/labelled.jsonl)."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from hotline.entities.extract import EntityType, extract_entities

DATA = Path(__file__).parent / "data" / "labelled.jsonl"
MIN_PRECISION = 0.98
MIN_RECALL = 0.95


def _records() -> list[dict[str, object]]:
    with DATA.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def _score() -> dict[str, tuple[int, int, int]]:
    tp: Counter[str] = Counter()
    fp: Counter[str] = Counter()
    fn: Counter[str] = Counter()
    for record in _records():
        expected = Counter(tuple(item) for item in record["entities"])  # type: ignore[attr-defined]
        found = Counter((str(e.type), e.value) for e in extract_entities(str(record["text"])))
        for key in expected | found:
            hits = min(expected[key], found[key])
            tp[key[0]] += hits
            fp[key[0]] += found[key] - hits
            fn[key[0]] += expected[key] - hits
    return {kind: (tp[kind], fp[kind], fn[kind]) for kind in set(tp) | set(fp) | set(fn)}


def test_labelled_set_is_large_and_multilingual() -> None:
    records = _records()
    assert len(records) >= 300
    languages = Counter(str(record["lang"]) for record in records)
    assert min(languages["km"], languages["en"], languages["mixed"]) >= 100
    labelled_types = {item[0] for record in records for item in record["entities"]}  # type: ignore[attr-defined]
    assert labelled_types == {str(kind) for kind in EntityType}
    # Texts without any identifier keep precision honest.
    assert sum(1 for record in records if not record["entities"]) >= 30


@pytest.mark.parametrize("kind", [str(kind) for kind in EntityType])
def test_precision_and_recall_per_type(kind: str) -> None:
    tp, fp, fn = _score().get(kind, (0, 0, 0))
    assert tp >= 20, f"too few {kind} examples to measure"
    precision = tp / (tp + fp)
    recall = tp / (tp + fn)
    print(f"{kind}: precision {precision:.3f} recall {recall:.3f} (tp={tp} fp={fp} fn={fn})")
    assert precision >= MIN_PRECISION, f"{kind}: precision {precision:.3f}"
    assert recall >= MIN_RECALL, f"{kind}: recall {recall:.3f}"
