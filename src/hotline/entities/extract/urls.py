"""Find URLs in normalised text and reduce each to one canonical form.

Generic rules (platform rules live in `platforms`): scheme folded to https (http and https name
the same content for linking), credentials and default ports dropped, host lower-cased, IDN hosts
turned into punycode, a leading "www." dropped, percent-escapes normalised, dot segments resolved,
trailing slashes and tracking parameters removed, remaining parameters sorted, fragments dropped
unless they route content ("#!..." or "#/..."). Redirect wrappers (l.facebook.com/l.php?u=...,
google.com/url?q=...) are unwrapped to the URL they point to.

Every pattern here is possessive or bounded and starts at a token boundary, so matching is linear
in the text length (see docs/decisions/entities-extraction.md).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import parse_qsl, quote, unquote, urlsplit

from hotline.entities.extract.entity import EntityType, words

# Characters a URL may contain in running text: no spaces, quotes, angle brackets, Khmer script
# (Khmer text is often written directly after a link), general punctuation or CJK punctuation.
_URL_CHAR = (
    "[^\\s<>\"'`{}|\\\\^\u00ab\u00bb"
    "\u1780-\u17ff\u19e0-\u19ff\u2000-\u206f\u3000-\u303f\uff00-\uffef]"
)
URL_CHAR_RE = re.compile(_URL_CHAR)

# Anchored on "://" (rare, found in C); the scheme before it is checked in Python. The tail is
# bounded so that re-scanning after a rejected candidate stays linear.
MAX_URL_LENGTH = 4096
SCHEME_ANCHOR_RE = re.compile("://")
SCHEME_TAIL_RE = re.compile(_URL_CHAR + f"{{0,{MAX_URL_LENGTH}}}+")
_SCHEMES = ("https", "http", "hxxps", "hxxp", "tg")
_WORD = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")
# Host characters of links written without a scheme: ASCII plus Latin, Greek and Cyrillic letters
# (IDN and homoglyph hosts); Khmer is excluded because Khmer words often touch a link.
_HOST_CHAR = "[A-Za-z0-9\\-\u00c0-\u024f\u0370-\u03ff\u0400-\u04ff]"
BARE_URL_RE = re.compile(
    _HOST_CHAR
    + r"(?<![A-Za-z0-9@._%+\-/:\u00c0-\u024f\u0370-\u03ff\u0400-\u04ff].)"
    + _HOST_CHAR
    + "*+(?:\\."
    + _HOST_CHAR
    + "++)++"
    r"(?::[0-9]{1,5}+)?+(?:[/?#]" + _URL_CHAR + "*+)?+",
)

_TRAILING = ".,;:!?*~"
_PAIRS = {")": "(", "]": "["}

# TLDs accepted for links written without a scheme. Common and regional ones only; names that are
# also file extensions (md, sh, zip, mov, py, pl, rs, ...) are left out: "notes.md" is no link.
BARE_TLDS = words(
    """com net org info biz io co me ly gl to tv cc ws gg xyz top site online club live store
    shop vip app dev link life world today news blog page space website fun icu asia pro mobi
    kh la th vn mm cn hk tw jp kr sg my id ph in au nz uk us ca de fr ru ua es it nl be ch se
    no fi dk pl br mx ar cl tk ml ga cf gq pw su eu int gov edu mil am fm im"""
)

# Query parameters that track how a link was shared, not what it points to.
_TRACKING_EXACT = words(
    """fbclid gclid dclid gbraid wbraid msclkid yclid igshid igsh mibextid si ref ref_src ref_url
    _rdr __tn__ rdid sfnsn mc_cid mc_eid _ga _gl spm share_app_id share_link_id sender_device
    is_from_webapp is_copy_url tt_from feature app s_id"""
)
_TRACKING_PREFIXES = ("utm_", "__cft__", "__xts__", "_hs")

_HOST_LABEL_RE = re.compile(r"[a-z0-9](?:[a-z0-9\-]{0,61}[a-z0-9])?")
_IPV4_RE = re.compile(r"[0-9]{1,3}(?:\.[0-9]{1,3}){3}")


@dataclass(frozen=True, slots=True)
class Found:
    """One identifier derived from a URL."""

    type: EntityType
    value: str
    platform: str | None


@dataclass(slots=True)
class ParsedUrl:
    """A URL split into the parts the canonicalisers use (host already canonical)."""

    host: str
    path: str  # raw, still percent-encoded
    query: str
    fragment: str

    def segments(self) -> list[str]:
        """Return the decoded, non-empty path segments."""
        return [unquote(part) for part in self.path.split("/") if part]

    def params(self) -> list[tuple[str, str]]:
        """Return the decoded query parameters in order."""
        return parse_qsl(self.query, keep_blank_values=True)

    def param(self, name: str) -> str | None:
        """Return the first value of a query parameter."""
        for key, value in self.params():
            if key == name:
                return value
        return None


def trim_url(text: str, start: int, end: int) -> int:
    """Return the end of a URL match after dropping trailing punctuation and unbalanced brackets."""
    while end > start:
        last = text[end - 1]
        if last in _TRAILING:
            end -= 1
        elif last in _PAIRS:
            segment = text[start:end]
            if segment.count(last) > segment.count(_PAIRS[last]):
                end -= 1
            else:
                break
        else:
            break
    return end


def scheme_url_at(text: str, colon: int) -> tuple[int, int] | None:
    """Return the span of a URL whose "://" is at `colon`, when a known scheme precedes it."""
    for scheme in _SCHEMES:
        start = colon - len(scheme)
        if start >= 0 and text[start:colon].lower() == scheme:
            if start and text[start - 1] in _WORD:
                return None
            tail = SCHEME_TAIL_RE.match(text, colon + 3)
            end = trim_url(text, start, tail.end() if tail else colon + 3)
            return (start, end) if end > colon + 3 else None
    return None


def iter_scheme_urls(text: str) -> Iterator[tuple[int, int]]:
    """Yield (start, end) of every candidate URL written with a scheme, left to right.

    Candidates may overlap (a rejected "https://(junk https://real" yields both); the caller
    keeps the first that canonicalises and skips those inside it.
    """
    for anchor in SCHEME_ANCHOR_RE.finditer(text):
        span = scheme_url_at(text, anchor.start())
        if span is not None:
            yield span


def iter_bare_urls(text: str, *, known_hosts: frozenset[str]) -> Iterator[tuple[int, int]]:
    """Yield (start, end) of links written without a scheme whose host looks real.

    A host looks real when it is one of `known_hosts` (the platforms' hosts, passed in so that
    this generic layer imports no platform rules) or has a common top-level domain.
    """
    for match in BARE_URL_RE.finditer(text):
        start = match.start()
        end = trim_url(text, start, match.end())
        if end < len(text) and text[end] == "@":
            continue  # the domain of an e-mail address
        host = text[start:end].split("/", 1)[0].split("?", 1)[0].split("#", 1)[0]
        host = host.split(":", 1)[0].rstrip(".-").lower()
        has_path = end > start + len(host)
        if not host.isascii():
            try:
                host = host.encode("idna").decode("ascii")
            except UnicodeError:
                continue
        labels = host.split(".")
        if len(labels) < 2 or not labels[-1]:
            continue
        if labels[-1].startswith("xn--") and has_path:
            yield start, end
            continue
        if (
            host in known_hosts
            or host.removeprefix("www.") in known_hosts
            or (
                labels[-1] in BARE_TLDS
                and (labels[0] == "www" or all(_HOST_LABEL_RE.fullmatch(label) for label in labels))
            )
        ):
            yield start, end


def canonical_host(netloc: str) -> str | None:
    """Return the lower-case ASCII (punycode) host of a netloc, or None when it is not a host."""
    host = netloc.rsplit("@", 1)[-1]
    if host.startswith("["):
        return None  # IPv6 literals: too rare in reports to be worth the parsing risk
    host = host.split(":", 1)[0].rstrip(".").lower()
    host = unquote(host)
    if not host:
        return None
    if not host.isascii():
        try:
            host = host.encode("idna").decode("ascii")
        except UnicodeError:
            return None
    if _IPV4_RE.fullmatch(host):
        return host if all(int(part) < 256 for part in host.split(".")) else None
    labels = host.split(".")
    if len(labels) < 2 or not all(_HOST_LABEL_RE.fullmatch(label) for label in labels):
        return None
    if labels[-1].isdigit():
        return None
    # "www." names the same site; dropping it (repeatedly) lets platform rules see the real host.
    while host.startswith("www.") and host.count(".") > 1:
        host = host[4:]
    return host


def parse(raw: str) -> ParsedUrl | None:
    """Split a URL (with or without scheme) into canonical host and raw path, query, fragment."""
    lowered = raw[:8].lower()
    if lowered.startswith("hxxp"):
        raw = "http" + raw[4:]
    elif "://" not in raw[:10]:
        raw = "https://" + raw
    try:
        parts = urlsplit(raw)
    except ValueError:
        return None
    host = canonical_host(parts.netloc)
    if host is None:
        return None
    return ParsedUrl(host=host, path=parts.path, query=parts.query, fragment=parts.fragment)


_SEGMENT_SAFE = "!$&'()*+,;=:@-._~"


def normalise_path(path: str) -> str:
    """Return a path with escapes normalised, dot segments resolved and no trailing slash."""
    out: list[str] = []
    for part in path.split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            if out:
                out.pop()
            continue
        out.append(quote(unquote(part), safe=_SEGMENT_SAFE))
    return "/" + "/".join(out) if out else ""


def is_tracking(name: str) -> bool:
    """Tell whether a query parameter only tracks sharing."""
    lowered = name.lower()
    return lowered in _TRACKING_EXACT or lowered.startswith(_TRACKING_PREFIXES)


def encode_query(pairs: list[tuple[str, str]]) -> str:
    """Encode parameters in sorted order with uniform escapes."""
    return "&".join(
        quote(key, safe="-._~") + "=" + quote(value, safe="-._~:/@!$'()*+,;")
        for key, value in sorted(pairs)
    )


def generic_canonical(url: ParsedUrl, *, keep: frozenset[str] | None = None) -> str:
    """Return the generic canonical form; with `keep`, only those parameters survive."""
    host = url.host
    while host.startswith("www.") and host.count(".") > 1:
        host = host[4:]
    pairs = [
        (key, value)
        for key, value in url.params()
        if (key in keep if keep is not None else not is_tracking(key))
    ]
    canonical = "https://" + host + normalise_path(url.path)
    if pairs:
        canonical += "?" + encode_query(pairs)
    if url.fragment[:1] in ("!", "/") and keep is None:
        canonical += "#" + quote(unquote(url.fragment), safe=_SEGMENT_SAFE + "/?")
    return protect_tail(canonical)


def protect_tail(canonical: str) -> str:
    """Percent-encode trailing characters that text extraction would read as punctuation.

    Without this "https://x.com/a." would re-extract as "https://x.com/a": canonical values must
    re-extract to themselves.
    """
    end = trim_url(canonical, 0, len(canonical))
    if end == len(canonical):
        return canonical
    return canonical[:end] + "".join(f"%{ord(char):02X}" for char in canonical[end:])
