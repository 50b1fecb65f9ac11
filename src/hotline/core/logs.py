"""Log lines that carry no client address and cannot be forged by a request.

Request data reaches log lines (a path in the access log, a bad request line in gunicorn's
error log, a path in Django's error log). Decoded, it may hold CR and LF, which would start a
fake line of the log ("GET /status/%0d%0aINFO audit ok"), or terminal escapes (ESC), which
would rewrite what an operator's terminal shows. `SafeFormatter` is used by every handler of
Django (settings.LOGGING) and of gunicorn (hotline.core.webserver.PrivateLogger):

- in the message, every control character (C0, DEL, C1, the Unicode line and paragraph
  separators) is written as a visible escape (`\\r`, `\\n`, `\\x1b`, `\\u2028`);
- a traceback keeps its lines, but each is indented, so no line of it starts where a record
  starts, and its control characters are escaped too;
- anything in the message that parses as an IPv4 or IPv6 address is replaced by `[address]`:
  the promise is that a reporter's address is never stored or logged, and a library's message
  (gunicorn's "Invalid request from ip=...", a proxy error) must not break it.
"""

from __future__ import annotations

import ipaddress
import logging
import re
from typing import Any

_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_NAMED = {"\r": "\\r", "\n": "\\n", "\t": "\\t"}
# Candidates only; each is checked with `ipaddress` (so times like 07:46:55 stay).
_ADDRESS = re.compile(
    r"(?<![\w.])(?:\d{1,3}(?:\.\d{1,3}){3}|[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}"
    r"(?:\d{1,3}(?:\.\d{1,3}){3})?(?:%[\w.]+)?)(?![\w.])"
)
ADDRESS_MARK = "[address]"


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    if char in _NAMED:
        return _NAMED[char]
    return f"\\x{ord(char):02x}" if ord(char) < 0x100 else f"\\u{ord(char):04x}"


def safe_text(text: str, keep: frozenset[str] = frozenset()) -> str:
    """Return `text` on one line, control characters escaped, addresses (but `keep`) removed."""

    def address(match: re.Match[str]) -> str:
        found = match.group()
        try:
            ipaddress.ip_address(found.split("%", 1)[0])
        except ValueError:
            return found
        return found if found in keep else ADDRESS_MARK

    return _CONTROL.sub(_escape, _ADDRESS.sub(address, text))


class SafeFormatter(logging.Formatter):
    """A formatter that writes each record as one safe line (plus an indented traceback).

    Usable from dictConfig (`"()": "hotline.core.logs.SafeFormatter", "format": ...`) or
    around another formatter (`SafeFormatter.wrapping(formatter)`).
    """

    def __init__(
        self,
        fmt: str | None = None,
        datefmt: str | None = None,
        style: Any = "%",
        *,
        format: str | None = None,  # dictConfig passes "format" to a "()" factory
        inner: logging.Formatter | None = None,
        keep: frozenset[str] = frozenset(),
    ) -> None:
        super().__init__(fmt or format, datefmt, style)
        self.inner = inner
        self.keep = keep

    @classmethod
    def wrapping(
        cls, formatter: logging.Formatter | None, keep: frozenset[str] = frozenset()
    ) -> SafeFormatter:
        """Wrap another formatter; `keep`: addresses that may stay (the server's own)."""
        return cls(inner=formatter or logging.Formatter(), keep=keep)

    def format(self, record: logging.LogRecord) -> str:
        safe = logging.makeLogRecord(record.__dict__)
        safe.msg, safe.args = safe_text(record.getMessage(), self.keep), None
        safe.exc_text = None
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        extra = "\n".join(filter(None, [record.exc_text, record.stack_info]))
        safe.exc_info, safe.stack_info = None, None
        line = self.inner.format(safe) if self.inner else super().format(safe)
        if extra:
            line += "".join("\n    " + safe_text(part, self.keep) for part in extra.splitlines())
        return line
