"""Reduce a URL to the identifiers it stands for: unwrap redirects, then platform or generic form.

Sits above `urls` (generic parsing and canonical form) and `platforms` (platform rules), which
both stay free of each other's upward imports.
"""

from __future__ import annotations

from hotline.entities.extract.entity import EntityType
from hotline.entities.extract.platforms import platform_canonical, telegram_scheme
from hotline.entities.extract.urls import Found, generic_canonical, parse

# Redirect wrappers: host -> (path, parameter holding the target).
_REDIRECTS: dict[str, tuple[str, tuple[str, ...]]] = {
    "l.facebook.com": ("/l.php", ("u",)),
    "lm.facebook.com": ("/l.php", ("u",)),
    "l.messenger.com": ("/l.php", ("u",)),
    "l.instagram.com": ("", ("u",)),
    "google.com": ("/url", ("q", "url")),
    "www.google.com": ("/url", ("q", "url")),
    "youtube.com": ("/redirect", ("q",)),
    "www.youtube.com": ("/redirect", ("q",)),
}

MAX_UNWRAP = 4


REDIRECT_HOSTS = frozenset(_REDIRECTS)


def unwrap_redirect(raw: str, *, depth: int = 0) -> list[Found]:
    """Return the identifiers of the link a redirect wrapper points to, or [] if `raw` is none."""
    url = parse(raw)
    if url is None:
        return []
    redirect = _REDIRECTS.get(url.host)
    if redirect is not None and depth < MAX_UNWRAP and url.path.rstrip("/") == redirect[0]:
        for name in redirect[1]:
            target = url.param(name)
            if target and target.lower().startswith(("http://", "https://")):
                inner = canonicalise(target.strip(), depth=depth + 1)
                if inner:
                    return inner
    return []


def canonicalise(raw: str, *, depth: int = 0) -> list[Found]:
    """Return the identifiers a URL stands for (first the URL itself), or [] if it is not one."""
    if raw[:5].lower() == "tg://":
        return telegram_scheme(raw)
    inner = unwrap_redirect(raw, depth=depth)
    if inner:
        return inner
    url = parse(raw)
    if url is None:
        return []
    found = platform_canonical(url)
    if found is not None:
        return found
    return [Found(EntityType.URL, generic_canonical(url), None)]
