"""Score a report from its signals and say why: pure functions over plain facts.

A report's priority is the sum of the weights of its signals (hotline.triage.rules.weights).
The reasons are stored with the report as data (signal, weight, and a count or a category
code), never as the words that were found, and turned into sentences for staff by `explain`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.utils import translation

from hotline.intake.choices import AgeRange, Category, MoneyStatus
from hotline.triage.rules import Weights, deadline_words, self_harm_words, weights

CHILD_AGES = frozenset({AgeRange.UNDER_13, AgeRange.AGE_13_15, AgeRange.AGE_16_17})
EXTORTION_CATEGORIES = frozenset({Category.SEXTORTION})


@dataclass(frozen=True)
class Facts:
    """What is known about a report that bears on its urgency."""

    in_danger: bool = False
    categories: tuple[str, ...] = ()
    victim_age: str = ""
    money: str = MoneyStatus.NONE
    self_harm: bool = False  # found in the narrative by the worker
    deadline: bool = False  # found in the narrative by the worker
    hash_list_matches: int = 0
    shared_image_reports: int = 0
    earlier_reports: int = 0
    content_online: bool = False  # not checked yet (actions workflow)


@dataclass(frozen=True)
class Reason:
    """One signal of a report and what it added to its priority."""

    signal: str
    weight: int
    count: int = 0
    value: str = ""

    def as_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"signal": self.signal, "weight": self.weight}
        if self.count:
            data["count"] = self.count
        if self.value:
            data["value"] = self.value
        return data


@dataclass(frozen=True)
class Triage:
    """A report's priority and the reasons that add up to it."""

    score: int
    reasons: list[Reason] = field(default_factory=list)

    def reasons_json(self) -> list[dict[str, Any]]:
        return [reason.as_json() for reason in self.reasons]


def text_signals(narrative: str, *, categories: Iterable[str], money: str) -> tuple[bool, bool]:
    """Return (self-harm words found, deadline found) for a decrypted narrative.

    Call only where the narrative is already decrypted (the worker); keep only these flags.
    A deadline counts only on a report of extortion or where money was demanded: elsewhere
    "tomorrow" is no threat.
    """
    if not narrative:
        return False, False
    self_harm = self_harm_words().found_in(narrative)
    extortion = bool(EXTORTION_CATEGORIES & set(categories)) or money != MoneyStatus.NONE
    deadline = extortion and deadline_words().found_in(narrative)
    return self_harm, deadline


def answer_reasons(facts: Facts, w: Weights) -> list[Reason]:
    """Return the reasons that come from the reporter's answers alone (known at intake)."""
    reasons = []
    if facts.in_danger:
        reasons.append(Reason("in_danger", w.signal("in_danger")))
    chosen = [(w.category(code), code) for code in facts.categories if code in Category.values]
    if chosen:
        weight, code = max(chosen)
        if weight:
            reasons.append(Reason("category", weight, value=code))
    if facts.victim_age in CHILD_AGES:
        reasons.append(Reason("child_victim", w.signal("child_victim"), value=facts.victim_age))
    if facts.money in {MoneyStatus.DEMANDED, MoneyStatus.PAID}:
        reasons.append(Reason("money_demanded", w.signal("money_demanded"), value=facts.money))
    return reasons


def score(facts: Facts, w: Weights | None = None) -> Triage:
    """Return the priority of a report with these facts and every reason behind it."""
    w = w or weights()
    reasons = answer_reasons(facts, w)
    if facts.self_harm:
        reasons.append(Reason("self_harm", w.signal("self_harm")))
    if facts.deadline:
        reasons.append(Reason("extortion_deadline", w.signal("extortion_deadline")))
    if facts.hash_list_matches:
        reasons.append(
            Reason("hash_list_match", w.signal("hash_list_match"), count=facts.hash_list_matches)
        )
    if facts.shared_image_reports:
        reasons.append(
            Reason("shared_image", w.signal("shared_image"), count=facts.shared_image_reports)
        )
    if facts.earlier_reports:
        linked = min(
            w.signal("linked_reports") * facts.earlier_reports, w.signal("linked_reports_max")
        )
        reasons.append(Reason("linked_reports", linked, count=facts.earlier_reports))
    if facts.content_online:
        reasons.append(Reason("content_online", w.signal("content_online")))
    reasons = [reason for reason in reasons if reason.weight]  # a 0 weight switches one off
    reasons.sort(key=lambda reason: -reason.weight)
    return Triage(score=sum(reason.weight for reason in reasons), reasons=reasons)


def answers_score(
    *, in_danger: bool, categories: Iterable[str], victim_age: str, money: str
) -> int:
    """Return the priority from the reporter's answers alone (at intake, before the worker)."""
    facts = Facts(
        in_danger=in_danger, categories=tuple(categories), victim_age=victim_age, money=money
    )
    return sum(reason.weight for reason in answer_reasons(facts, weights()))


_SENTENCES = {
    "in_danger": "the reporter says someone is in danger right now",
    "self_harm": "words of self-harm or suicide in the account",
    "extortion_deadline": "a deadline in the threat",
    "content_online": "the content is still online",
}


def explain(reason: dict[str, Any] | str) -> str:
    """Return one stored reason as a sentence for staff (labels, not codes, in English)."""
    with translation.override("en"):
        return _explain(reason)


def _explain(reason: dict[str, Any] | str) -> str:
    if isinstance(reason, str):  # stored before reasons were data
        return reason
    signal = str(reason.get("signal", ""))
    count = int(reason.get("count", 0))
    value = str(reason.get("value", ""))
    if signal in _SENTENCES:
        return _SENTENCES[signal]
    if signal == "category":
        label = Category(value).label if value in Category.values else value
        return f"category: {label}"
    if signal == "child_victim":
        label = AgeRange(value).label if value in AgeRange.values else "under 18"
        return f"the victim is a child ({label})"
    if signal == "money_demanded":
        label = MoneyStatus(value).label if value in MoneyStatus.values else value
        return f"money: {label}"
    if signal == "hash_list_match":
        return f"matches {count} entr{'y' if count == 1 else 'ies'} of known hash lists"
    if signal == "shared_image":
        return f"shares an image with {count} other report{'' if count == 1 else 's'}"
    if signal == "linked_reports":
        return f"linked to {count} earlier report{'' if count == 1 else 's'}"
    return signal
