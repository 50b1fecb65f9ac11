"""The triage rules as data: signal weights (TOML) and word lists, read and checked once.

The files live in hotline/triage/data/; HOTLINE_TRIAGE_WEIGHTS_FILE names another weights file.
A file that is not as described (an unknown or missing signal, a weight that is not a whole
number from 0 to MAX_WEIGHT) stops the process with a message naming the problem, instead of
ranking reports by a half-read rule.
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from hotline.intake.choices import Category

DATA = Path(__file__).resolve().parent / "data"
MAX_WEIGHT = 1000

# Every signal the scoring knows; the weights file must give each one.
SIGNALS = (
    "in_danger",
    "self_harm",
    "child_victim",
    "extortion_deadline",
    "money_demanded",
    "hash_list_match",
    "shared_image",
    "linked_reports",
    "linked_reports_max",
    "content_online",
)


@dataclass(frozen=True)
class Weights:
    """How much each signal adds to a report's priority."""

    signals: dict[str, int]
    categories: dict[str, int]

    def signal(self, name: str) -> int:
        return self.signals[name]

    def category(self, code: str) -> int:
        return self.categories.get(code, 0)


def _weight(value: object, where: str, path: Path) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_WEIGHT:
        raise ImproperlyConfigured(
            f"{path}: {where} must be a whole number from 0 to {MAX_WEIGHT}, not {value!r}"
        )
    return value


def weights_load(path: Path) -> Weights:
    """Read and check a weights file; raise ImproperlyConfigured naming what is wrong."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ImproperlyConfigured(f"{path}: cannot read the triage weights: {exc}") from exc
    unknown_tables = set(data) - {"signals", "categories"}
    if unknown_tables:
        raise ImproperlyConfigured(f"{path}: unknown tables {sorted(unknown_tables)}")
    signals = data.get("signals", {})
    categories = data.get("categories", {})
    if not isinstance(signals, dict) or not isinstance(categories, dict):
        raise ImproperlyConfigured(f"{path}: [signals] and [categories] must be tables")
    missing = set(SIGNALS) - set(signals)
    unknown = set(signals) - set(SIGNALS)
    if missing or unknown:
        raise ImproperlyConfigured(
            f"{path}: [signals] missing {sorted(missing)}, unknown {sorted(unknown)}"
        )
    unknown = set(categories) - set(Category.values)
    if unknown:
        raise ImproperlyConfigured(f"{path}: [categories] unknown {sorted(unknown)}")
    return Weights(
        signals={name: _weight(v, f"signals.{name}", path) for name, v in signals.items()},
        categories={code: _weight(v, f"categories.{code}", path) for code, v in categories.items()},
    )


def weights_path() -> Path:
    configured = getattr(settings, "HOTLINE_TRIAGE_WEIGHTS_FILE", "")
    return Path(configured) if configured else DATA / "weights.toml"


@lru_cache(maxsize=1)
def weights() -> Weights:
    """Return the weights in force (read once per process; `rules_reload` forgets them)."""
    return weights_load(weights_path())


_SPACES = re.compile(r"[\s\u200b\u200c\u200d\ufeff]+")


def normalize(text: str) -> str:
    """Return `text` lower-cased, NFC, with curly apostrophes made straight (before matching)."""
    return unicodedata.normalize("NFC", text).replace("\u2019", "'").lower()


@dataclass(frozen=True)
class WordList:
    """Phrases to look for: Latin ones as whole words, Khmer ones anywhere (no spaces)."""

    pattern: re.Pattern[str] | None
    squeezed: tuple[str, ...]

    def found_in(self, text: str) -> bool:
        """Return whether any phrase occurs in `text` (the phrase itself is not returned)."""
        text = normalize(text)
        if self.pattern is not None and self.pattern.search(text):
            return True
        if self.squeezed:
            compact = _SPACES.sub("", text)
            return any(phrase in compact for phrase in self.squeezed)
        return False


def _phrases(path: Path) -> list[str]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return [normalize(line.strip()) for line in lines if line.strip() and not line.startswith("#")]


def wordlist_load(*paths: Path) -> WordList:
    """Read word-list files (one phrase a line, # comments) into one matcher."""
    latin: list[str] = []
    squeezed: list[str] = []
    for path in paths:
        for phrase in _phrases(path):
            if any("\u1780" <= ch <= "\u17ff" for ch in phrase):
                squeezed.append(_SPACES.sub("", phrase))
            else:
                latin.append(r"\s+".join(re.escape(word) for word in phrase.split()))
    pattern = re.compile(r"(?<!\w)(?:" + "|".join(latin) + r")(?!\w)") if latin else None
    return WordList(pattern=pattern, squeezed=tuple(squeezed))


@lru_cache(maxsize=1)
def self_harm_words() -> WordList:
    """Return the self-harm and suicide word lists (Khmer and English)."""
    words = DATA / "words"
    return wordlist_load(words / "self_harm_en.txt", words / "self_harm_km.txt")


@lru_cache(maxsize=1)
def deadline_words() -> WordList:
    """Return the extortion-deadline word lists (Khmer and English)."""
    words = DATA / "words"
    return wordlist_load(words / "deadline_en.txt", words / "deadline_km.txt")


def rules_reload() -> None:
    """Forget the weights and word lists read so far (after the files or settings changed)."""
    weights.cache_clear()
    self_harm_words.cache_clear()
    deadline_words.cache_clear()
