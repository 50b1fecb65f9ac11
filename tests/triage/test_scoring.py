"""Triage scores come from the weights file and the word lists, and explain themselves."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from hotline.triage.rules import DATA, rules_reload, weights, weights_load, wordlist_load
from hotline.triage.scoring import Facts, explain, score, text_signals


@pytest.fixture(autouse=True)
def _fresh_rules() -> Iterator[None]:
    rules_reload()
    yield
    rules_reload()


def _weights_file(tmp_path: Path, **changes: int) -> Path:
    text = (DATA / "weights.toml").read_text(encoding="utf-8")
    for name, value in changes.items():
        lines = [
            f"{name} = {value}" if line.startswith(f"{name} = ") else line
            for line in text.splitlines()
        ]
        assert lines != text.splitlines(), name
        text = "\n".join(lines)
    path = tmp_path / "weights.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_shipped_weights_file_is_valid_and_gives_every_signal() -> None:
    shipped = weights()
    assert shipped.signal("in_danger") == 100
    assert shipped.category("live_abuse") == 80


def test_score_is_the_sum_of_the_reasons_weights_worst_first() -> None:
    facts = Facts(
        in_danger=True,
        categories=("sextortion", "grooming"),
        victim_age="13_15",
        money="demanded",
        self_harm=True,
        deadline=True,
        hash_list_matches=2,
        earlier_reports=3,
    )
    triage = score(facts)
    assert triage.score == sum(reason.weight for reason in triage.reasons)
    signals = [reason.signal for reason in triage.reasons]
    assert signals == [
        "in_danger",
        "self_harm",
        "hash_list_match",
        "category",
        "extortion_deadline",
        "child_victim",
        "money_demanded",  # equal weights keep the order answers first, then findings
        "linked_reports",
    ]
    assert triage.score == 100 + 90 + 60 + 40 + 30 + 20 + 15 + 15


def test_explanation_lists_each_reason_in_words() -> None:
    triage = score(Facts(in_danger=True, categories=("live_abuse",), hash_list_matches=1))
    texts = [explain(reason) for reason in triage.reasons_json()]
    assert texts == [
        "the reporter says someone is in danger right now",
        "category: A child is being abused live, on a live stream or video call",
        "matches 1 entry of known hash lists",
    ]
    assert triage.reasons_json()[1] == {"signal": "category", "weight": 80, "value": "live_abuse"}


def test_linked_reports_weigh_per_report_up_to_the_cap() -> None:
    assert score(Facts(earlier_reports=2)).score == 10
    assert score(Facts(earlier_reports=40)).score == 50


def test_content_online_is_a_signal_worth_nothing_until_it_is_checked() -> None:
    assert score(Facts(content_online=True)).score == 0
    assert score(Facts(content_online=True)).reasons == []


def test_changing_a_weight_in_the_data_file_changes_the_ranking(
    tmp_path: Path, settings: object
) -> None:
    danger = Facts(in_danger=True)
    matched = Facts(hash_list_matches=1)
    assert score(danger).score > score(matched).score
    settings.HOTLINE_TRIAGE_WEIGHTS_FILE = str(_weights_file(tmp_path, hash_list_match=500))  # type: ignore[attr-defined]
    rules_reload()
    assert score(matched).score == 500
    assert score(matched).score > score(danger).score


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ("in_danger = 100", "must be a whole number"),  # replaced below by a bad value
        ("[extra]\nx = 1", "unknown tables"),
        ("wrong_signal = 3", "unknown ['wrong_signal']"),
    ],
)
def test_a_bad_weights_file_is_refused_with_a_clear_message(
    tmp_path: Path, change: str, message: str
) -> None:
    text = (DATA / "weights.toml").read_text(encoding="utf-8")
    if change == "in_danger = 100":
        text = text.replace("in_danger = 100", 'in_danger = "high"')
    elif change.startswith("["):
        text += "\n" + change + "\n"
    else:
        text = text.replace("[signals]\n", "[signals]\n" + change + "\n")
    path = tmp_path / "weights.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ImproperlyConfigured, match=message.replace("[", r"\[").replace("]", r"\]")):
        weights_load(path)


def test_a_missing_signal_is_refused(tmp_path: Path) -> None:
    text = (DATA / "weights.toml").read_text(encoding="utf-8").replace("self_harm = 90\n", "")
    path = tmp_path / "weights.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ImproperlyConfigured, match="missing \\['self_harm'\\]"):
        weights_load(path)


@pytest.mark.parametrize(
    "narrative",
    [
        "ខ្ញុំមិនចង់រស់ទៀតទេ",  # I do not want to live any more
        "ពេលខ្លះខ្ញុំគិតចង់សម្លាប់ខ្លួន",  # sometimes I think of killing myself
        "ខ្ញុំមិនចង់មានជីវិតទៀតទេ",  # I do not want to live any more (another way to say it)
        "ខ្ញុំ​ចង់​ស្លាប់",  # I want to die, written with zero-width spaces between words
        "I just want to die, everyone will see",
        "I thought about Suicide",
        "I don\u2019t want to live like this",  # a curly apostrophe, as phones type it
    ],
)
def test_self_harm_words_are_found_in_khmer_and_english(narrative: str) -> None:
    assert text_signals(narrative, categories=[], money="none") == (True, False)


@pytest.mark.parametrize(
    "narrative",
    [
        "He asked for money and photos",
        "ខ្ញុំខ្លាចណាស់ គាត់ទាមទារលុយ",  # I am very afraid, he demands money
        "He sings in a choir called Self Harmony",  # "self harm" only inside other words
        "",
    ],
)
def test_ordinary_words_are_not_taken_for_self_harm(narrative: str) -> None:
    assert text_signals(narrative, categories=[], money="none")[0] is False


def test_a_deadline_counts_only_on_extortion() -> None:
    threat = "He said pay $300 by tonight or he sends the video to my class"
    assert text_signals(threat, categories=["sextortion"], money="none") == (False, True)
    assert text_signals(threat, categories=["child_images"], money="demanded") == (False, True)
    assert text_signals(threat, categories=["child_images"], money="none") == (False, False)
    khmer = "គាត់ប្រាប់ថាត្រូវផ្ញើលុយត្រឹមយប់នេះ"  # he said to send the money by tonight
    assert text_signals(khmer, categories=["sextortion"], money="none") == (False, True)


def test_the_khmer_lists_are_khmer_script() -> None:
    for name in ["self_harm_km.txt", "deadline_km.txt"]:
        lines = (DATA / "words" / name).read_text(encoding="utf-8").splitlines()
        phrases = [line for line in lines if line.strip() and not line.startswith("#")]
        assert phrases
        for phrase in phrases:
            assert any("\u1780" <= ch <= "\u17ff" for ch in phrase), phrase


def test_word_lists_match_latin_phrases_as_whole_words(tmp_path: Path) -> None:
    path = tmp_path / "words.txt"
    path.write_text("# comment\nhurt myself\n", encoding="utf-8")
    words = wordlist_load(path)
    assert words.found_in("I wanted to HURT   myself.")
    assert not words.found_in("hurt myselfish")
    assert not words.found_in("comment")
