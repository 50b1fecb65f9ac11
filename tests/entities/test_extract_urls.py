"""Platform-aware and generic URL canonical forms."""

from __future__ import annotations

import pytest

from hotline.entities.extract import extract_entities


def _pairs(text: str) -> list[tuple[str, str, str | None]]:
    return [(str(e.type), e.value, e.platform) for e in extract_entities(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Telegram: hosts, case, invites, message links, preview pages, subdomains
        ("https://t.me/SomeGroup", [("handle", "https://t.me/somegroup", "telegram")]),
        ("telegram.me/SomeGroup/", [("handle", "https://t.me/somegroup", "telegram")]),
        ("telegram.dog/somegroup", [("handle", "https://t.me/somegroup", "telegram")]),
        ("https://t.me/s/somegroup", [("handle", "https://t.me/somegroup", "telegram")]),
        ("somegroup.t.me", [("handle", "https://t.me/somegroup", "telegram")]),
        ("https://t.me/joinchat/AbCdEf123456", [("url", "https://t.me/+AbCdEf123456", "telegram")]),
        ("t.me/+AbCdEf123456", [("url", "https://t.me/+AbCdEf123456", "telegram")]),
        (
            "https://t.me/SomeGroup/42?single",
            [
                ("url", "https://t.me/somegroup/42", "telegram"),
                ("handle", "https://t.me/somegroup", "telegram"),
            ],
        ),
        ("https://t.me/c/1234567890/55", [("url", "https://t.me/c/1234567890/55", "telegram")]),
        # Facebook: profile ids, usernames, host variants, tracking
        (
            "https://m.facebook.com/profile.php?id=100012345678&mibextid=x",
            [("handle", "https://www.facebook.com/profile.php?id=100012345678", "facebook")],
        ),
        (
            "mbasic.facebook.com/Sok.Dara99",
            [("handle", "https://www.facebook.com/sok.dara99", "facebook")],
        ),
        ("fb.com/sok.dara99", [("handle", "https://www.facebook.com/sok.dara99", "facebook")]),
        (
            "https://web.facebook.com/groups/sellers123/?ref=share",
            [("url", "https://www.facebook.com/groups/sellers123", "facebook")],
        ),
        (
            "https://www.facebook.com/watch/?v=123456789&ref=sharing",
            [("url", "https://www.facebook.com/watch?v=123456789", "facebook")],
        ),
        # Instagram, TikTok, WhatsApp, X, YouTube
        (
            "https://www.instagram.com/Some.User/?igsh=abc",
            [("handle", "https://www.instagram.com/some.user", "instagram")],
        ),
        (
            "instagram.com/reel/CxYz123AbC/",
            [("url", "https://www.instagram.com/reel/CxYz123AbC", "instagram")],
        ),
        (
            "https://www.tiktok.com/@Some.User",
            [("handle", "https://www.tiktok.com/@some.user", "tiktok")],
        ),
        ("https://vm.tiktok.com/ZMabc123/", [("url", "https://vm.tiktok.com/ZMabc123", "tiktok")]),
        ("https://wa.me/85512345678", [("phone", "+85512345678", "whatsapp")]),
        (
            "https://chat.whatsapp.com/AbCdEfGh12345",
            [("url", "https://chat.whatsapp.com/AbCdEfGh12345", "whatsapp")],
        ),
        # File hosts: IDs kept, access keys dropped
        (
            "https://drive.google.com/drive/u/1/folders/1AbCdEfGhIjKlMnOp?usp=sharing",
            [("url", "https://drive.google.com/drive/folders/1AbCdEfGhIjKlMnOp", "google_drive")],
        ),
        (
            "https://docs.google.com/forms/d/e/1FAIpQLSabcdefghij/viewform",
            [("url", "https://docs.google.com/forms/d/e/1FAIpQLSabcdefghij", "google_drive")],
        ),
        (
            "https://dl.dropboxusercontent.com/s/abc123xyz/clip.mp4?dl=1",
            [("url", "https://www.dropbox.com/s/abc123xyz/clip.mp4", "dropbox")],
        ),
        (
            "https://www.dropbox.com/scl/fo/abc123/def456?rlkey=secret&dl=0",
            [("url", "https://www.dropbox.com/scl/fo/abc123/def456?rlkey=secret", "dropbox")],
        ),
        (
            "https://mega.co.nz/file/AbCd1234#ThisIsTheDecryptionKey",
            [("url", "https://mega.nz/file/AbCd1234", "mega")],
        ),
        # Generic: host case, www, default port, dot segments, tracking, order, fragments
        (
            "HTTP://WWW.Example.COM:443/a/./b/../c/?utm_source=x&z=1&a=2#section",
            [("url", "https://example.com/a/c?a=2&z=1", None)],
        ),
        ("https://example.com/app#/item/7", [("url", "https://example.com/app#/item/7", None)]),
        ("https://user:secret@example.com/x", [("url", "https://example.com/x", None)]),
        ("https://example.com/%7Euser/%41", [("url", "https://example.com/~user/A", None)]),
        (
            "http://пример.рф/страница",
            [
                (
                    "url",
                    "https://xn--e1afmkfd.xn--p1ai/%D1%81%D1%82%D1%80%D0%B0%D0%BD%D0%B8%D1%86%D0%B0",
                    None,
                )
            ],
        ),
    ],
)
def test_canonical_forms(text: str, expected: list[tuple[str, str, str | None]]) -> None:
    assert _pairs(text) == expected


def test_mega_key_never_reaches_the_canonical_value() -> None:
    for text in [
        "https://mega.nz/folder/AbCd1234#SECRETKEY/file/XyZw9876",
        "https://mega.nz/#!AbCd1234!SECRETKEY",
        "https://mega.nz/#F!AbCd1234!SECRETKEY",
    ]:
        (entity,) = extract_entities(text)
        assert "SECRETKEY" not in entity.value
        assert entity.value.startswith("https://mega.nz/")


def test_homoglyph_domain_is_not_the_platform() -> None:
    # Cyrillic small ie (U+0435) in "telegram": a lookalike, punycoded, never Telegram's account.
    (entity,) = extract_entities("t\u0435legram.me/freevideo")
    assert entity.platform is None
    assert entity.value == "https://xn--tlegram-7gg.me/freevideo"
    (entity,) = extract_entities("https://xn--tlegram-7gg.me/freevideo")
    assert entity.value == "https://xn--tlegram-7gg.me/freevideo"


def test_nested_and_percent_encoded_urls() -> None:
    nested = "https://l.facebook.com/l.php?u=https%3A%2F%2Fwww.google.com%2Furl%3Fq%3Dhttps%253A%252F%252Ft.me%252Finnermost_kh"
    assert _pairs(nested) == [("handle", "https://t.me/innermost_kh", "telegram")]
    assert _pairs("https://t.me/%61bcdef_kh") == [("handle", "https://t.me/abcdef_kh", "telegram")]
    # An encoded slash inside a path segment stays a different path.
    assert _pairs("https://example.com/a%2Fb") == [("url", "https://example.com/a%2Fb", None)]


def test_trailing_punctuation_and_brackets() -> None:
    text = "links (https://example.com/a_(b)), https://t.me/group_one. and «https://t.me/group_two»"
    assert [e.value for e in extract_entities(text)] == [
        "https://example.com/a_(b)",
        "https://t.me/group_one",
        "https://t.me/group_two",
    ]


def test_file_names_and_versions_are_not_links() -> None:
    assert extract_entities("photo.jpg notes.md archive.zip v2.5.1 3.14 e.g. i.e. U.S.") == []


def test_email_domain_is_not_also_a_link() -> None:
    assert _pairs("mail john.me@gmail.com") == [("email", "john.me@gmail.com", None)]


def test_dropbox_links_keep_their_rlkey_and_drop_dl_and_st() -> None:
    # rlkey is the access key of new shared links: without it the link does not open, and two
    # shares differ only by it. dl=0/1 (preview or download) and st (a session token) name the
    # same file.
    canonical = "https://www.dropbox.com/scl/fi/x8k2m9abc/clip01.mp4?rlkey=q7w8e9r0"
    for text in [
        "https://www.dropbox.com/scl/fi/x8k2m9abc/clip01.mp4?rlkey=q7w8e9r0&dl=0",
        "dropbox.com/scl/fi/x8k2m9abc/clip01.mp4?dl=1&st=ab12cd34&rlkey=q7w8e9r0",
        "https://dl.dropboxusercontent.com/scl/fi/x8k2m9abc/clip01.mp4?rlkey=q7w8e9r0&raw=1",
    ]:
        assert _pairs(text) == [("url", canonical, "dropbox")], text
    other = _pairs("https://www.dropbox.com/scl/fi/x8k2m9abc/clip01.mp4?rlkey=zz99yy88&dl=0")
    assert other[0][1] != canonical
    # Old /s/ links have no key: dl is dropped, nothing else is added.
    assert _pairs("www.dropbox.com/s/ab12cd34ef56/files.zip?dl=0") == [
        ("url", "https://www.dropbox.com/s/ab12cd34ef56/files.zip", "dropbox")
    ]


def test_fb_me_short_link_is_the_facebook_account() -> None:
    expected = [("handle", "https://www.facebook.com/neary.online.shop", "facebook")]
    assert _pairs("fb.me/neary.online.shop") == expected
    assert _pairs("https://fb.me/Neary.Online.Shop/") == expected
    assert _pairs("https://www.facebook.com/neary.online.shop") == expected


def test_x_post_link_lower_cases_the_user_part() -> None:
    # X user names are case-insensitive; the status ID names the post.
    assert _pairs("https://x.com/KhSextape/status/1834567890123456789?s=46&t=AbCdEf") == [
        ("url", "https://x.com/khsextape/status/1834567890123456789", "twitter"),
        ("handle", "https://x.com/khsextape", "twitter"),
    ]


def test_redirect_wrapper_written_without_scheme_is_unwrapped() -> None:
    assert _pairs("google.com/url?q=https://t.me/abc_def&sa=D") == [
        ("handle", "https://t.me/abc_def", "telegram")
    ]
    assert _pairs("see www.google.com/url?sa=t&url=https%3A%2F%2Fexample.com%2Fx now") == [
        ("url", "https://example.com/x", None)
    ]
    assert _pairs("l.facebook.com/l.php?u=https://mega.nz/file/AbCd1234%23KEY&h=AT0") == [
        ("url", "https://mega.nz/file/AbCd1234", "mega")
    ]
