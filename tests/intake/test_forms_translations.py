"""Every reporter-facing string is in Khmer, pages speak Khmer by default, English on request."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from babel.messages.extract import extract
from babel.messages.pofile import read_po
from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import translation
from django.utils.translation import template
from reporter_support import browser_post, shown_again

from hotline.intake.models import Report

SRC = Path(settings.BASE_DIR)
KM_PO = SRC / "locale" / "km" / "LC_MESSAGES" / "django.po"
KHMER = re.compile(r"[\u1780-\u17ff]")
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]")
KEYWORDS = {
    "_": None,
    "gettext": None,
    "gettext_lazy": None,
    "gettext_noop": None,
    "ngettext": (1, 2),
    "ngettext_lazy": (1, 2),
    "pgettext": ((1, "c"), 2),
    "pgettext_lazy": ((1, "c"), 2),
}
PUBLIC_PAGES = ["/", "/report/", "/danger/", "/status/", "/escrow/", "/help/"]
GUIDANCE_PAGES = ["/help/extortion/", "/help/parents/", "/help/evidence/"]


def _catalog() -> dict[tuple[str | None, str], tuple[str, bool]]:
    with KM_PO.open("rb") as handle:
        catalog = read_po(handle, locale="km")
    result = {}
    for message in catalog:
        if not message.id:
            continue
        msgid = message.id if isinstance(message.id, str) else message.id[0]
        string = message.string if isinstance(message.string, str) else message.string[0]
        result[(message.context, msgid)] = (string, message.fuzzy)
    return result


def _reporter_sources() -> Iterator[Path]:
    yield from (SRC / "templates").rglob("*.html")
    yield from (SRC / "templates").rglob("*.txt")  # e.g. the receipt page's saved file
    yield from (SRC / "guidance").rglob("*.html")
    yield from (SRC / "guidance").glob("*.py")
    yield from (SRC / "formats").glob("*.py")  # month names shown in dates
    for path in (SRC / "intake").glob("*.py"):
        if not path.name.startswith("api"):
            yield path


def _messages_in(path: Path) -> Iterator[tuple[str | None, str]]:
    source = path.read_text(encoding="utf-8")
    if path.suffix in {".html", ".txt"}:
        # The same conversion makemessages does before handing templates to xgettext.
        source = template.templatize(source, origin=str(path))
    found = extract(
        "python", io.BytesIO(source.encode()), keywords=KEYWORDS, comment_tags=(), options={}
    )
    for _lineno, message, _comments, context in found:
        yield context, message if isinstance(message, str) else message[0]


def test_every_khmer_entry_is_translated_and_keeps_its_placeholders() -> None:
    catalog = _catalog()
    assert len(catalog) > 100
    for (context, msgid), (string, fuzzy) in catalog.items():
        assert string.strip(), f"no Khmer for {msgid!r}"
        assert not fuzzy, f"fuzzy Khmer for {msgid!r}"
        assert sorted(PLACEHOLDER.findall(string)) == sorted(PLACEHOLDER.findall(msgid)), msgid
        if KHMER.search(msgid) is None and len(msgid) > 3 and context is None:
            assert KHMER.search(string), f"not Khmer: {msgid!r} -> {string!r}"


def test_every_reporter_facing_string_is_in_the_khmer_catalog() -> None:
    catalog = _catalog()
    sources = list(_reporter_sources())
    assert len(sources) > 15
    found = [(path, key) for path in sources for key in _messages_in(path)]
    assert len(found) > 100
    missing = sorted(
        {f"{path.relative_to(SRC)}: {key[1]}" for path, key in found if key not in catalog}
    )
    assert not missing, "run makemessages (docs/decisions/i18n.md) and translate:\n" + "\n".join(
        missing
    )


def _main(html: str) -> str:
    match = re.search(r"<main>(.*)</main>", html, re.S)
    assert match
    text = re.sub(r"<[^>]+>", " ", match.group(1))
    return re.sub(r"\s+", " ", text)


@pytest.mark.django_db
@pytest.mark.parametrize("path", PUBLIC_PAGES + GUIDANCE_PAGES)
def test_pages_speak_khmer_by_default_with_no_english_left(path: str) -> None:
    response = Client().get(path)
    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="km">' in html
    text = _main(html)
    assert len(KHMER.findall(text)) > 20
    for (_context, msgid), _ in _catalog().items():
        if len(msgid) >= 8:  # short words like "Open" also appear in names
            assert msgid not in text, f"untranslated on {path}: {msgid!r}"


@pytest.mark.django_db
@pytest.mark.parametrize("path", PUBLIC_PAGES + GUIDANCE_PAGES)
def test_english_switch_changes_the_language(path: str) -> None:
    client = Client()
    switched = client.post("/i18n/setlang/", {"language": "en", "next": path})
    assert switched.status_code == 302
    assert switched["Location"] == path
    html = client.get(path).content.decode()
    assert '<html lang="en">' in html
    assert not KHMER.search(_main(html).replace("ខ្មែរ", ""))


@pytest.mark.django_db
def test_language_switch_is_on_every_public_page_and_the_receipt_keeps_its_code() -> None:
    client = Client()
    for path in PUBLIC_PAGES:
        assert 'action="/i18n/setlang/"' in client.get(path).content.decode()
    page = client.get("/report/").content.decode()
    token = re.search(r'name="submission_token" value="([^"]+)"', page)
    assert token
    receipt = browser_post(
        client,
        "/report/",
        {
            "submission_token": token.group(1),
            "reporter_role": "saw_online",
            "categories": ["child_images"],
        },
    )
    html = receipt.content.decode()
    code = re.search(r'id="receipt-code">([^<]+)<', html)
    assert code
    # The receipt is a GET (its code in a sealed cookie): switching shows the same code.
    assert 'action="/i18n/setlang/"' in html
    assert 'name="next" value="/report/receipt/"' in html
    switched = client.post("/i18n/setlang/", {"language": "en", "next": "/report/receipt/"})
    assert switched["Location"] == "/report/receipt/"
    english = client.get("/report/receipt/").content.decode()
    assert '<html lang="en">' in english
    assert f'id="receipt-code">{code.group(1)}<' in english


@pytest.mark.django_db
def test_djangos_own_form_errors_reach_the_reporter_in_khmer() -> None:
    client = Client()
    response = browser_post(
        client,
        "/report/",
        {
            "reporter_role": "pirate",  # not a choice
            "victim_age": "ancient",  # not a choice
            "categories": ["sextortion", "nonsense"],
            "started": "x" * 201,  # over max_length
            "amount": "ten\x00dollars",  # NUL: Django's own validator
        },
    )
    assert shown_again(response)
    html = response.content.decode()
    for english in (
        "This field is required",
        "Select a valid choice",
        "Ensure this value",
        "Null characters",
        "Please answer",
    ):
        assert english not in html
    assert "សូមជ្រើសរើសចម្លើយណាមួយដែលមាននៅទីនេះ។" in html  # invalid choice
    assert "វែងពេក៖ សូមសរសេរមិនឱ្យលើសពី ២០០ តួអក្សរ។" in html  # max_length, Khmer digits
    assert "អត្ថបទនេះមានតួអក្សរដែលយើងមិនអាចទទួលបាន។" in html  # NUL
    assert Report.objects.count() == 0

    missing = browser_post(client, "/report/", {})
    assert "សូមឆ្លើយសំណួរនេះ។" in missing.content.decode()  # required


@pytest.mark.django_db
def test_the_same_errors_in_english_after_switching() -> None:
    client = Client()
    client.post("/i18n/setlang/", {"language": "en", "next": "/report/"})
    html = browser_post(client, "/report/", {"reporter_role": "pirate"}).content.decode()
    assert "Please choose one of the answers shown." in html
    assert "Please answer this question." in html
    assert not KHMER.search(_main(html))


@pytest.mark.parametrize(
    ("field", "value", "khmer", "english"),
    [
        (forms.CharField(), "", "សូមឆ្លើយសំណួរនេះ។", "Please answer this question."),
        (
            forms.ChoiceField(choices=[("a", "A")]),
            "b",
            "សូមជ្រើសរើសចម្លើយណាមួយដែលមាននៅទីនេះ។ “b” មិនមែនជាចម្លើយមួយក្នុងចំណោមនោះទេ។",
            "Please choose one of the answers shown. “b” is not one of them.",
        ),
        (
            forms.CharField(max_length=3),
            "abcd",
            "វែងពេក៖ សូមសរសេរមិនឱ្យលើសពី 3 តួអក្សរ (ឥឡូវមាន 4)។",
            "Ensure this value has at most 3 characters (it has 4).",
        ),
        (
            forms.CharField(),
            "a\x00b",
            "អត្ថបទនេះមានតួអក្សរដែលយើងមិនអាចទទួលបាន។ សូមលុបវាចេញ។",
            "This text contains characters we cannot accept.",
        ),
        (
            forms.FileField(),
            SimpleUploadedFile("x.jpg", b""),
            "ឯកសារនេះទទេ គ្មានអ្វីនៅខាងក្នុងទេ។",
            "This file is empty.",
        ),
    ],
)
def test_djangos_default_messages_are_overridden_in_our_catalogs(
    field: forms.Field, value: object, khmer: str, english: str
) -> None:
    # A field without FRIENDLY_ERRORS (a future form that forgets the mixin) still speaks
    # plain Khmer, and kinder English.
    for language, expected in (("km", khmer), ("en", english)):
        with translation.override(language):
            with pytest.raises(ValidationError) as caught:
                field.clean(value)
            assert caught.value.messages == [expected]  # lazy: read in the same language
