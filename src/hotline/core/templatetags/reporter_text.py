"""`reporter_text`: show text a reporter or partner wrote without letting it reorder the page.

Bidirectional controls (right-to-left override, isolates, marks) can make `gpj.exe` read as
`exe.jpg`, or turn a link around, in front of an analyst. Every reporter-supplied string in a
staff template goes through this filter: each control is replaced by a visible marker such as
⟦U+202E⟧, and the whole is isolated in <bdi> so it cannot change the direction of what follows.
"""

from __future__ import annotations

import re
from typing import Final

from django import template
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeData, SafeString, mark_safe

register = template.Library()

# U+061C ARABIC LETTER MARK, U+200E/U+200F LRM/RLM, U+202A-U+202E embeddings and overrides,
# U+2066-U+2069 isolates.
BIDI_CONTROLS: Final = re.compile("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def bidi_visible(text: str) -> str:
    """Return `text` with every bidirectional control replaced by a visible ⟦U+XXXX⟧."""
    return BIDI_CONTROLS.sub(lambda m: f"\u27e6U+{ord(m.group()):04X}\u27e7", text)


@register.filter
def reporter_text(value: object) -> SafeString:
    """Return `value` escaped, its bidi controls made visible, isolated in <bdi>."""
    if value is None:
        value = ""
    elif not isinstance(value, SafeData):
        value = str(value)
    escaped = str(conditional_escape(value))
    # The markers are plain text, and `escaped` is already HTML-escaped.
    return format_html("<bdi>{}</bdi>", mark_safe(bidi_visible(escaped)))  # noqa: S308
