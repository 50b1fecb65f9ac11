"""The lists a hotline keeps as data: internal sub-statuses and reply templates (cases/data/).

Read and checked once per process; a broken file stops the process with the file's name and
what is wrong, rather than showing staff half a list.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data"
_KEY = re.compile(r"^[a-z0-9_]{1,32}$")
LANGUAGES = ("km", "en")


class ListFileError(Exception):
    """A data file of hotline.cases is unreadable or malformed."""


def _load(name: str) -> dict[str, object]:
    path = DATA / name
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ListFileError(f"{path}: {exc}") from exc


@lru_cache(maxsize=1)
def sub_statuses() -> dict[str, str]:
    """Return the internal sub-statuses, code → label, in the file's order."""
    table = _load("sub_statuses.toml").get("sub_statuses")
    if not isinstance(table, dict) or not table:
        raise ListFileError("sub_statuses.toml: a [sub_statuses] table with entries is needed")
    for code, label in table.items():
        if not _KEY.match(code) or not isinstance(label, str) or not label.strip():
            raise ListFileError(f"sub_statuses.toml: bad entry {code!r}")
    return {code: label.strip() for code, label in table.items()}


def sub_status_label(code: str) -> str:
    """Return a sub-status's label, or its code if the list no longer has it."""
    return sub_statuses().get(code, code)


@dataclass(frozen=True)
class ReplyTemplate:
    key: str
    title: str
    text: dict[str, str]  # language → text


@lru_cache(maxsize=1)
def reply_templates() -> tuple[ReplyTemplate, ...]:
    """Return the staff reply templates, each with its text in Khmer and English."""
    entries = _load("reply_templates.toml").get("template")
    if not isinstance(entries, list):
        raise ListFileError("reply_templates.toml: [[template]] entries are needed")
    templates = []
    seen = set()
    for entry in entries:
        key = entry.get("key") if isinstance(entry, dict) else None
        if not isinstance(key, str) or not _KEY.match(key) or key in seen:
            raise ListFileError(f"reply_templates.toml: bad or repeated key {key!r}")
        seen.add(key)
        title = entry.get("title")
        texts = {lang: entry.get(lang) for lang in LANGUAGES}
        if not isinstance(title, str) or not all(
            isinstance(t, str) and t.strip() for t in texts.values()
        ):
            raise ListFileError(f"reply_templates.toml: {key} needs a title, km and en")
        templates.append(
            ReplyTemplate(key=key, title=title, text={k: str(v).strip() for k, v in texts.items()})
        )
    return tuple(templates)


def reply_template_text(key: str, language: str) -> str | None:
    """Return a template's text in `language` (English if the report's language has none)."""
    for template in reply_templates():
        if template.key == key:
            return template.text.get(language) or template.text["en"]
    return None
