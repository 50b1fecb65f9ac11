"""Run every detector over normalised text and map the results back to the original."""

from __future__ import annotations

import re

from hotline.entities.extract.canonical import REDIRECT_HOSTS, canonicalise, unwrap_redirect
from hotline.entities.extract.context import (
    entity_flags,
    follows_account_label,
    iter_at_handles,
    iter_labelled_handles,
    iter_payment_accounts,
)
from hotline.entities.extract.crypto import (
    ethereum_canonical,
    is_bitcoin_legacy,
    is_tron,
    segwit_decode,
)
from hotline.entities.extract.emails import (
    iter_emails,
    iter_gmail_labelled,
    iter_worded_emails,
)
from hotline.entities.extract.entity import Entity, EntityType
from hotline.entities.extract.normalize import normalize
from hotline.entities.extract.phones import iter_phones, phone_from_text
from hotline.entities.extract.platforms import PLATFORM_HOSTS, platform_of
from hotline.entities.extract.urls import (
    URL_CHAR_RE,
    Found,
    iter_bare_urls,
    iter_scheme_urls,
    parse,
)

# The first character is matched before the lookbehind so the engine can skip ahead in C.
ETH_RE = re.compile(r"0(?<![A-Za-z0-9]0)[xX][0-9a-fA-F]{40}+(?![A-Za-z0-9])")
BECH32_RE = re.compile(
    r"(?:b(?<![A-Za-z0-9]b)c1|B(?<![A-Za-z0-9]B)C1)[A-Za-z0-9]{6,87}+(?![A-Za-z0-9])"
)
BTC_LEGACY_RE = re.compile(r"[13](?<![A-Za-z0-9].)[1-9A-HJ-NP-Za-km-z]{24,33}+(?![A-Za-z0-9])")
TRON_RE = re.compile(r"T(?<![A-Za-z0-9]T)[1-9A-HJ-NP-Za-km-z]{33}+(?![A-Za-z0-9])")

_Hit = tuple[int, int, EntityType, str, str | None]


class _Spans:
    """Character positions already claimed by an earlier, more specific detector."""

    def __init__(self, length: int) -> None:
        self._taken = bytearray(length)

    def claim(self, start: int, end: int) -> bool:
        if start >= end or self._taken.find(1, start, end) != -1:
            return False
        self._taken[start:end] = b"\x01" * (end - start)
        return True

    def taken(self, position: int) -> bool:
        return bool(self._taken[position])


def _wallets_in(text: str, start: int, end: int) -> list[_Hit]:
    """Return wallet addresses found in a span (explorer links carry the address in the path)."""
    hits: list[_Hit] = []
    for match in ETH_RE.finditer(text, start, end):
        value = ethereum_canonical(match.group())
        if value is not None:
            hits.append((match.start(), match.end(), EntityType.ETH, value, "ethereum"))
    for match in BECH32_RE.finditer(text, start, end):
        if segwit_decode(match.group()) is not None:
            hits.append(
                (match.start(), match.end(), EntityType.BTC, match.group().lower(), "bitcoin")
            )
    for match in BTC_LEGACY_RE.finditer(text, start, end):
        if is_bitcoin_legacy(match.group()):
            hits.append((match.start(), match.end(), EntityType.BTC, match.group(), "bitcoin"))
    for match in TRON_RE.finditer(text, start, end):
        if is_tron(match.group()):
            hits.append((match.start(), match.end(), EntityType.TRON, match.group(), "tron"))
    return hits


def _url_hits(text: str, start: int, end: int) -> list[_Hit]:
    raw = text[start:end]
    found: list[Found] = canonicalise(raw)
    hits: list[_Hit] = [(start, end, f.type, f.value, f.platform) for f in found]
    if found and found[0].platform is None:
        url = parse(raw)
        if url is not None and platform_of(url.host) is None:
            hits.extend((start, end, t, v, p) for (_, _, t, v, p) in _wallets_in(text, start, end))
    return hits


def extract_entities(text: str, *, default_region: str = "KH") -> list[Entity]:
    """Return every identifier in `text`, canonicalised, with spans into the original `text`.

    Detectors run from the most to the least specific (links, e-mail, wallets, labelled payment
    accounts, phone numbers, handles); a character claimed by one is not reused by the next. One
    span may yield several entities when a link implies more (a Telegram message link names its
    channel; a wa.me link is a phone number). Runs in time linear in the length of `text`.
    """
    norm = normalize(text)
    body = norm.text
    spans = _Spans(len(body))
    hits: list[_Hit] = []

    bare_urls = list(iter_bare_urls(body, known_hosts=PLATFORM_HOSTS))
    for start, end in bare_urls:
        # A redirect wrapper written without a scheme ("google.com/url?q=https://t.me/x&sa=D")
        # goes first: otherwise the link inside it is read alone, with the wrapper's own
        # parameters stuck to it.
        inside_another = start and URL_CHAR_RE.match(body, start - 1) is not None
        if not inside_another and body[start:end].split("/", 1)[0].lower() in REDIRECT_HOSTS:
            inner = unwrap_redirect(body[start:end])
            if inner and spans.claim(start, end):
                hits.extend((start, end, f.type, f.value, f.platform) for f in inner)

    accepted_end = 0
    for start, end in iter_scheme_urls(body):
        if start < accepted_end or spans.taken(start):
            continue  # inside a link already taken (a redirect's target, say)
        url_hits = _url_hits(body, start, end)  # claim only what really is a URL
        if url_hits and spans.claim(start, end):
            hits.extend(url_hits)
            accepted_end = end
    for start, end, value in iter_emails(body):
        if spans.claim(start, end):
            hits.append((start, end, EntityType.EMAIL, value, None))
    # Before links without a scheme: in "sokha at gmail.com", "gmail.com" is no website.
    for start, end, value in (*iter_worded_emails(body), *iter_gmail_labelled(body)):
        if spans.claim(start, end):
            hits.append((start, end, EntityType.EMAIL, value, None))
    for start, end in bare_urls:
        if follows_account_label(body, start, end):
            continue  # "Line ID: sokha.th" names an account, not a website
        url_hits = _url_hits(body, start, end)
        if url_hits and spans.claim(start, end):
            hits.extend(url_hits)
    for hit in _wallets_in(body, 0, len(body)):
        if spans.claim(hit[0], hit[1]):
            hits.append(hit)
    for account in iter_payment_accounts(body):
        if spans.claim(account.start, account.end):
            value = f"{account.provider}:{account.number}"
            hits.append(
                (account.start, account.end, EntityType.PAYMENT_ACCOUNT, value, account.provider)
            )
            if account.provider in ("wing", "truemoney") or account.unusual:
                # Wing and TrueMoney wallets are usually the holder's phone number; a number of
                # the wrong length for its bank may be a phone given with the bank's name (banks
                # let people send to a phone number): the label is kept and so is the phone.
                phone = phone_from_text(account.number, default_region)
                if phone is not None:
                    hits.append((account.start, account.end, EntityType.PHONE, phone, None))
    for start, end, value in iter_phones(body, default_region):
        if spans.claim(start, end):
            hits.append((start, end, EntityType.PHONE, value, None))
    for handle in iter_labelled_handles(body):
        if spans.claim(handle.start, handle.end):
            hits.append(
                (handle.start, handle.end, EntityType.HANDLE, handle.value, handle.platform)
            )
    for handle in iter_at_handles(body):
        if spans.claim(handle.start, handle.end):
            hits.append(
                (handle.start, handle.end, EntityType.HANDLE, handle.value, handle.platform)
            )

    hits.sort(key=lambda hit: (hit[0], hit[1]))
    return [
        Entity(
            kind,
            value,
            platform,
            norm.original_start(start),
            norm.original_end(end),
            entity_flags(kind, value),
        )
        for start, end, kind, value, platform in hits
    ]
