"""Platform-aware canonical forms for the hosts offenders use most in the region.

An account has one canonical form whichever way it is written (t.me/Name, telegram.me/name,
@name with "Telegram" nearby all give https://t.me/name), so reports link. Content links keep the
identifier that names the content (Drive file ID, Dropbox share key, Mega node ID) and drop the
rest; Mega decryption keys never enter a canonical value.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import phonenumbers

from hotline.entities.extract.entity import EntityType, words
from hotline.entities.extract.filehosts import dropbox, google_docs, google_drive, mega
from hotline.entities.extract.urls import Found, ParsedUrl, generic_canonical, parse

_TELEGRAM_NAME_RE = re.compile(r"[A-Za-z][A-Za-z0-9_]{3,31}")
_FACEBOOK_NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9.]{0,49}")
_INSTAGRAM_NAME_RE = re.compile(r"[A-Za-z0-9._]{1,30}")
_TIKTOK_NAME_RE = re.compile(r"[A-Za-z0-9._]{2,24}")
_TWITTER_NAME_RE = re.compile(r"[A-Za-z0-9_]{1,15}")
_TOKEN_RE = re.compile(r"[A-Za-z0-9_\-]{6,}")
_DIGITS_RE = re.compile(r"[0-9]{1,20}")

_TELEGRAM_RESERVED = words(
    """joinchat addstickers addemoji addtheme addlist share socks proxy setlanguage login iv c s
    bg confirmphone invoice boost contact giftcode m nft k a z"""
)
_FACEBOOK_RESERVED = words(
    """profile.php people groups pages pg events watch marketplace photo.php photo photos
    story.php permalink.php share sharer sharer.php login login.php home.php help policies
    privacy reel reels stories videos video.php gaming hashtag messages notifications settings
    friends l.php dialog plugins business ads legal about search media bookmarks saved
    fundraisers latest me recover checkpoint page watchparty live"""
)
_INSTAGRAM_RESERVED = words(
    """p reel reels tv stories explore accounts direct about legal developer web challenge s"""
)
_TWITTER_RESERVED = words(
    """home explore search i intent share hashtag messages notifications settings login"""
)


def telegram_handle(name: str) -> str | None:
    """Return the canonical Telegram account URL for a username, or None if it is not valid."""
    if (
        _TELEGRAM_NAME_RE.fullmatch(name)
        and not name.endswith("_")
        and "__" not in name
        and name.lower() not in _TELEGRAM_RESERVED
    ):
        return "https://t.me/" + name.lower()
    return None


def facebook_handle(name: str) -> str | None:
    """Return the canonical Facebook profile URL for a username or numeric ID."""
    if name.isdigit() and 5 <= len(name) <= 20:
        return "https://www.facebook.com/profile.php?id=" + name
    lowered = name.lower()
    if (
        _FACEBOOK_NAME_RE.fullmatch(name)
        and lowered not in _FACEBOOK_RESERVED
        and not lowered.endswith((".php", "."))
        and ".." not in lowered
        and not name.isdigit()
    ):
        return "https://www.facebook.com/" + lowered
    return None


def instagram_handle(name: str) -> str | None:
    """Return the canonical Instagram profile URL for a username."""
    lowered = name.lower()
    core = lowered.strip("._")
    if _INSTAGRAM_NAME_RE.fullmatch(name) and lowered not in _INSTAGRAM_RESERVED:
        return "https://www.instagram.com/" + lowered if core and not core.isdigit() else None
    return None


def tiktok_handle(name: str) -> str | None:
    """Return the canonical TikTok profile URL for a username (without @)."""
    if _TIKTOK_NAME_RE.fullmatch(name) and not name.endswith("."):
        return "https://www.tiktok.com/@" + name.lower()
    return None


def twitter_handle(name: str) -> str | None:
    """Return the canonical X (Twitter) profile URL for a username."""
    if _TWITTER_NAME_RE.fullmatch(name) and name.lower() not in _TWITTER_RESERVED:
        return "https://x.com/" + name.lower()
    return None


HANDLE_CANONICALISERS: dict[str, Callable[[str], str | None]] = {
    "telegram": telegram_handle,
    "facebook": facebook_handle,
    "instagram": instagram_handle,
    "tiktok": tiktok_handle,
    "twitter": twitter_handle,
}


def _handle(platform: str, value: str | None) -> list[Found] | None:
    return [Found(EntityType.HANDLE, value, platform)] if value else None


# --- Telegram ---------------------------------------------------------------------------------


def _telegram(url: ParsedUrl) -> list[Found] | None:
    host = url.host.removeprefix("www.")
    segments = url.segments()
    if host.endswith(".t.me"):  # name.t.me is the account "name"
        return _handle("telegram", telegram_handle(host[: -len(".t.me")]))
    if not segments:
        return None
    first = segments[0]
    if first.startswith("+") or first == "joinchat":
        invite = first[1:] if first.startswith("+") else (segments[1] if len(segments) > 1 else "")
        if _TOKEN_RE.fullmatch(invite):
            return [Found(EntityType.URL, "https://t.me/+" + invite, "telegram")]
        return None
    if first == "s" and len(segments) > 1:
        segments = segments[1:]
        first = segments[0]
    if first == "c" and len(segments) >= 2 and segments[1].isdigit():
        value = "https://t.me/c/" + "/".join(s for s in segments[1:3] if s.isdigit())
        return [Found(EntityType.URL, value, "telegram")]
    if first.lower() in _TELEGRAM_RESERVED:
        return None
    account = telegram_handle(first)
    if account is None:
        return None
    if len(segments) >= 2 and _DIGITS_RE.fullmatch(segments[1]):
        message = account + "/" + str(int(segments[1]))
        return [
            Found(EntityType.URL, message, "telegram"),
            Found(EntityType.HANDLE, account, "telegram"),
        ]
    return [Found(EntityType.HANDLE, account, "telegram")]


def telegram_scheme(raw: str) -> list[Found]:
    """Canonicalise tg://resolve?domain=name and tg://join?invite=hash links."""
    url = parse("https://tg.invalid/" + raw[5:].replace("?", "/?", 1))
    if url is None:
        return []
    segments = url.segments()
    action = segments[0] if segments else ""
    if action == "resolve":
        account = telegram_handle(url.param("domain") or "")
        return [Found(EntityType.HANDLE, account, "telegram")] if account else []
    if action == "join":
        invite = url.param("invite") or ""
        if _TOKEN_RE.fullmatch(invite):
            return [Found(EntityType.URL, "https://t.me/+" + invite, "telegram")]
    return []


# --- Facebook ---------------------------------------------------------------------------------

_FACEBOOK_KEEP = frozenset({"id", "v", "fbid", "story_fbid", "set"})


def _facebook(url: ParsedUrl) -> list[Found] | None:
    segments = url.segments()
    if url.host == "m.me":
        return _handle("facebook", facebook_handle(segments[0])) if segments else None
    if url.host == "fb.me":
        # Facebook's short domain: fb.me/name opens the account "name"; longer paths are short
        # links to content, kept as they are (generic form).
        return _handle("facebook", facebook_handle(segments[0])) if len(segments) == 1 else None
    if url.host == "fb.watch":
        return None
    if not segments:
        return None
    first = segments[0].lower()
    if first == "profile.php":
        profile_id = url.param("id") or ""
        return _handle("facebook", facebook_handle(profile_id)) if profile_id.isdigit() else None
    if first == "people" and len(segments) >= 3 and segments[2].isdigit():
        return _handle("facebook", facebook_handle(segments[2]))
    facebook = ParsedUrl("www.facebook.com", url.path, url.query, "")
    if first == "groups" and len(segments) >= 2:
        group = "https://www.facebook.com/groups/" + segments[1].lower()
        found = [Found(EntityType.URL, group, "facebook")]
        if len(segments) > 2:
            lowered_path = "/groups/" + segments[1].lower() + "/" + "/".join(segments[2:])
            facebook.path = lowered_path
            content = generic_canonical(facebook, keep=_FACEBOOK_KEEP)
            content = content.replace("https://facebook.com", "https://www.facebook.com", 1)
            found.insert(0, Found(EntityType.URL, content, "facebook"))
        return found
    account = facebook_handle(segments[0]) if first not in _FACEBOOK_RESERVED else None
    if account is not None and len(segments) == 1:
        return [Found(EntityType.HANDLE, account, "facebook")]
    if account is not None:
        facebook.path = "/" + first + "/" + "/".join(segments[1:])
    content = generic_canonical(facebook, keep=_FACEBOOK_KEEP)
    content = content.replace("https://facebook.com", "https://www.facebook.com", 1)
    found = [Found(EntityType.URL, content, "facebook")]
    if account is not None:
        found.append(Found(EntityType.HANDLE, account, "facebook"))
    return found


# --- Instagram, TikTok, X, YouTube ----------------------------------------------------------------


def _instagram(url: ParsedUrl) -> list[Found] | None:
    segments = url.segments()
    if not segments:
        return None
    first = segments[0].lower()
    if first in ("p", "reel", "reels", "tv") and len(segments) >= 2:
        kind = "reel" if first == "reels" else first
        value = f"https://www.instagram.com/{kind}/{segments[1]}"
        return [Found(EntityType.URL, value, "instagram")]
    if first == "stories" and len(segments) >= 2:
        account = instagram_handle(segments[1])
        if account is None:
            return None
        found = [Found(EntityType.HANDLE, account, "instagram")]
        if len(segments) >= 3 and segments[2].isdigit():
            story = f"https://www.instagram.com/stories/{segments[1].lower()}/{segments[2]}"
            found.insert(0, Found(EntityType.URL, story, "instagram"))
        return found
    return _handle("instagram", instagram_handle(segments[0]))


def _tiktok(url: ParsedUrl) -> list[Found] | None:
    segments = url.segments()
    if not segments:
        return None
    if url.host in ("vm.tiktok.com", "vt.tiktok.com"):
        if _TOKEN_RE.fullmatch(segments[0]) or len(segments[0]) >= 5:
            return [Found(EntityType.URL, f"https://{url.host}/{segments[0]}", "tiktok")]
        return None
    if segments[0] == "t" and len(segments) >= 2:
        return [Found(EntityType.URL, "https://www.tiktok.com/t/" + segments[1], "tiktok")]
    if not segments[0].startswith("@"):
        return None
    account = tiktok_handle(segments[0][1:])
    if account is None:
        return None
    if len(segments) >= 3 and segments[1] in ("video", "photo") and segments[2].isdigit():
        content = f"{account}/{segments[1]}/{segments[2]}"
        return [
            Found(EntityType.URL, content, "tiktok"),
            Found(EntityType.HANDLE, account, "tiktok"),
        ]
    return [Found(EntityType.HANDLE, account, "tiktok")]


def _twitter(url: ParsedUrl) -> list[Found] | None:
    segments = url.segments()
    if not segments:
        return None
    account = twitter_handle(segments[0])
    if account is None:
        return None
    if len(segments) >= 3 and segments[1] == "status" and segments[2].isdigit():
        return [
            Found(EntityType.URL, f"{account}/status/{segments[2]}", "twitter"),
            Found(EntityType.HANDLE, account, "twitter"),
        ]
    return [Found(EntityType.HANDLE, account, "twitter")]


_YOUTUBE_ID_RE = re.compile(r"[A-Za-z0-9_\-]{11}")


def _youtube(url: ParsedUrl) -> list[Found] | None:
    segments = url.segments()
    video = None
    if url.host == "youtu.be" and segments:
        video = segments[0]
    elif segments and segments[0] in ("shorts", "live", "embed") and len(segments) >= 2:
        video = segments[1]
    elif segments == ["watch"]:
        video = url.param("v")
    if video and _YOUTUBE_ID_RE.fullmatch(video):
        return [Found(EntityType.URL, "https://www.youtube.com/watch?v=" + video, "youtube")]
    return None


# --- WhatsApp -------------------------------------------------------------------------------------


def _whatsapp_phone(digits: str) -> list[Found] | None:
    digits = digits.lstrip("+")
    if not digits.isdigit() or not 6 <= len(digits) <= 15:
        return None
    try:
        number = phonenumbers.parse("+" + digits, None)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return [Found(EntityType.PHONE, e164, "whatsapp")]


def _whatsapp(url: ParsedUrl) -> list[Found] | None:
    segments = url.segments()
    host = url.host.removeprefix("www.")
    if host == "chat.whatsapp.com" and segments and _TOKEN_RE.fullmatch(segments[0]):
        return [Found(EntityType.URL, "https://chat.whatsapp.com/" + segments[0], "whatsapp")]
    if host == "wa.me" and segments:
        if segments[0] == "message" and len(segments) >= 2:
            return [Found(EntityType.URL, "https://wa.me/message/" + segments[1], "whatsapp")]
        return _whatsapp_phone(segments[0])
    if segments and segments[0] == "send":
        return _whatsapp_phone(url.param("phone") or "")
    return None


_HANDLERS: dict[str, Callable[[ParsedUrl], list[Found] | None]] = {}


def _register(handler: Callable[[ParsedUrl], list[Found] | None], *hosts: str) -> None:
    for host in hosts:
        _HANDLERS[host] = handler


_register(_telegram, "t.me", "telegram.me", "telegram.dog")
_register(
    _facebook, "facebook.com", "m.facebook.com", "mbasic.facebook.com", "web.facebook.com",
    "mobile.facebook.com", "touch.facebook.com", "business.facebook.com", "fb.com", "m.me",
    "fb.me", "fb.watch", "free.facebook.com", "d.facebook.com",
)  # fmt: skip
_register(_instagram, "instagram.com", "m.instagram.com", "instagr.am")
_register(_tiktok, "tiktok.com", "m.tiktok.com", "vm.tiktok.com", "vt.tiktok.com")
_register(_twitter, "twitter.com", "x.com", "mobile.twitter.com", "mobile.x.com")
_register(_youtube, "youtube.com", "m.youtube.com", "youtu.be", "music.youtube.com")
_register(_whatsapp, "wa.me", "api.whatsapp.com", "whatsapp.com", "chat.whatsapp.com")
_register(google_drive, "drive.google.com")
_register(google_docs, "docs.google.com")
_register(
    dropbox, "dropbox.com", "dl.dropbox.com", "dl.dropboxusercontent.com", "db.tt",
)  # fmt: skip
_register(mega, "mega.nz", "mega.co.nz", "mega.io")

PLATFORM_HOSTS = frozenset(_HANDLERS)

_PLATFORM_OF_HOST = {
    "t.me": "telegram", "telegram.me": "telegram", "telegram.dog": "telegram",
    "fb.watch": "facebook", "fb.com": "facebook", "m.me": "facebook", "fb.me": "facebook",
    "wa.me": "whatsapp", "instagr.am": "instagram", "youtu.be": "youtube",
    "db.tt": "dropbox",
}  # fmt: skip


def platform_of(host: str) -> str | None:
    """Name the platform of a host, for URLs whose content form is generic."""
    bare = host.removeprefix("www.")
    if bare in _PLATFORM_OF_HOST:
        return _PLATFORM_OF_HOST[bare]
    if bare.endswith(".t.me"):
        return "telegram"
    for name in ("facebook", "instagram", "tiktok", "whatsapp", "dropbox", "mega", "youtube"):
        if name + "." in bare:
            return name
    if bare in ("drive.google.com", "docs.google.com"):
        return "google_drive"
    if bare in ("twitter.com", "x.com") or bare.endswith((".twitter.com", ".x.com")):
        return "twitter"
    return None


def platform_canonical(url: ParsedUrl) -> list[Found] | None:
    """Return the platform-specific identifiers of a URL, or None for the generic form."""
    host = url.host
    handler = _HANDLERS.get(host) or _HANDLERS.get(host.removeprefix("www."))
    if handler is None and host.endswith(".t.me"):
        handler = _telegram
    found = handler(url) if handler is not None else None
    if found is not None:
        return found
    platform = platform_of(host)
    if platform is None:
        return None
    value = generic_canonical(url)
    if platform == "facebook":
        value = value.replace("https://facebook.com", "https://www.facebook.com", 1)
    return [Found(EntityType.URL, value, platform)]
