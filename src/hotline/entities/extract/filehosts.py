"""Canonical forms of file-sharing links: Google Drive and Docs, Dropbox, Mega.

The canonical value keeps what names the content (Drive file or folder ID, Dropbox share key and
`rlkey`, Mega node ID) and drops what only tracks sharing or picks a view: Dropbox `dl`/`st`/`raw`,
Drive `resourcekey`/`usp` and the `/u/N/` account index. Mega decryption keys (in the fragment)
never enter a canonical value: they decrypt the content itself.
"""

from __future__ import annotations

import re
from urllib.parse import quote, unquote

from hotline.entities.extract.entity import EntityType
from hotline.entities.extract.urls import Found, ParsedUrl

_DRIVE_ID_RE = re.compile(r"[A-Za-z0-9_\-]{10,}")
_DOCS_KINDS = frozenset({"document", "spreadsheets", "presentation", "drawings", "forms", "file"})


def _drive_id(value: str | None) -> str | None:
    return value if value and _DRIVE_ID_RE.fullmatch(value) else None


def google_drive(url: ParsedUrl) -> list[Found] | None:
    segments = url.segments()
    # /drive/u/0/folders/ID and /file/u/1/d/ID: the account index says nothing about the content.
    cleaned = [
        s for i, s in enumerate(segments) if not (s == "u" or (i and segments[i - 1] == "u"))
    ]
    if len(cleaned) >= 3 and cleaned[0] == "file" and cleaned[1] == "d":
        file_id = _drive_id(cleaned[2])
        if file_id:
            return [
                Found(EntityType.URL, "https://drive.google.com/file/d/" + file_id, "google_drive")
            ]
    if "folders" in cleaned:
        index = cleaned.index("folders")
        folder_id = _drive_id(cleaned[index + 1] if index + 1 < len(cleaned) else None)
        if folder_id:
            value = "https://drive.google.com/drive/folders/" + folder_id
            return [Found(EntityType.URL, value, "google_drive")]
    if cleaned in (["open"], ["uc"]):
        item_id = _drive_id(url.param("id"))
        if item_id:
            form = "file/d/" if cleaned == ["uc"] else "open?id="
            return [
                Found(EntityType.URL, "https://drive.google.com/" + form + item_id, "google_drive")
            ]
    return None


def google_docs(url: ParsedUrl) -> list[Found] | None:
    segments = url.segments()
    cleaned = [
        s for i, s in enumerate(segments) if not (s == "u" or (i and segments[i - 1] == "u"))
    ]
    if len(cleaned) >= 3 and cleaned[0] in _DOCS_KINDS and cleaned[1] == "d":
        rest = cleaned[2:]
        prefix = ""
        if rest[0] == "e" and len(rest) >= 2:
            prefix, rest = "e/", rest[1:]
        doc_id = _drive_id(rest[0])
        if doc_id:
            value = f"https://docs.google.com/{cleaned[0]}/d/{prefix}{doc_id}"
            return [Found(EntityType.URL, value, "google_drive")]
    return None


def dropbox(url: ParsedUrl) -> list[Found] | None:
    segments = [s for s in url.path.split("/") if s]
    if len(segments) >= 2 and segments[0] in ("s", "sh"):
        keep = segments[: 3 if segments[0] == "s" else 4]
    elif len(segments) >= 3 and segments[0] == "scl" and segments[1] in ("fi", "fo"):
        keep = segments[:4]
    else:
        return None
    path = "/".join(segments_quote(keep))
    value = "https://www.dropbox.com/" + path
    # rlkey is the access key of new shared links: without it the link does not open (a takedown
    # notice needs it), and two shares of one path differ only by it. dl=0/1 (preview or
    # download), raw and st (a session token) name the same file and are dropped.
    rlkey = url.param("rlkey")
    if rlkey:
        value += "?rlkey=" + quote(rlkey, safe="-._~")
    return [Found(EntityType.URL, value, "dropbox")]


def segments_quote(segments: list[str]) -> list[str]:
    """Normalise the escapes of raw path segments (decode, then re-encode uniformly)."""
    return [quote(unquote(s), safe="!$&'()*+,;=:@-._~") for s in segments]


_MEGA_NODE_RE = re.compile(r"[A-Za-z0-9_\-]{8}")


def mega(url: ParsedUrl) -> list[Found] | None:
    segments = url.segments()
    kind = node = None
    if len(segments) >= 2 and segments[0] in ("file", "folder", "embed"):
        kind, node = ("file" if segments[0] == "embed" else segments[0]), segments[1]
    elif not segments and url.fragment[:1] == "!":  # legacy #!ID!KEY
        kind, node = "file", url.fragment[1:].split("!")[0]
    elif not segments and url.fragment[:2] == "F!":  # legacy #F!ID!KEY
        kind, node = "folder", url.fragment[2:].split("!")[0]
    if kind is None or node is None or not _MEGA_NODE_RE.fullmatch(node):
        return None
    value = f"https://mega.nz/{kind}/{node}"
    # "#KEY/file/SUBID" names one item inside a shared folder; the key itself is dropped.
    inner = url.fragment.split("/")
    if (
        kind == "folder"
        and len(inner) >= 3
        and inner[1] in ("file", "folder")
        and _MEGA_NODE_RE.fullmatch(inner[2])
    ):
        value += f"/{inner[1]}/{inner[2]}"
    return [Found(EntityType.URL, value, "mega")]
