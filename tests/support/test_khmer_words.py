"""Every sentence the reporter may read about the help they asked for has its Khmer."""

from __future__ import annotations

import io
from pathlib import Path

from babel.messages.extract import extract
from django.utils import translation
from django.utils.translation import gettext, template

SRC = Path(__file__).resolve().parents[2] / "src" / "hotline"
SOURCES = [SRC / "support" / "reporter.py", SRC / "templates" / "intake" / "status.html"]


def _messages(path: Path) -> list[str]:
    source = path.read_text(encoding="utf-8")
    if path.suffix == ".html":
        source = template.templatize(source, origin=str(path))
    found = extract("python", io.BytesIO(source.encode()), keywords={"_": None, "gettext": None})
    return [m if isinstance(m, str) else m[0] for _line, m, _c, _ctx in found]


def test_every_support_sentence_for_the_reporter_has_khmer() -> None:
    messages = [m for path in SOURCES for m in _messages(path)]
    assert "The help you asked for" in messages
    assert len(messages) > 20
    with translation.override("km"):
        untranslated = [m for m in messages if gettext(m) == m]
    assert untranslated == []
