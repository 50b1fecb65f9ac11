"""Bad input on the public pages: a clear error in the reporter's language, nothing saved.

Files are in test_bad_input_files.py, random input in test_bad_input_fuzz.py.
"""

from __future__ import annotations

import re
import threading
from pathlib import Path

import pytest
from django.db import connection
from django.test import Client
from reporter_support import (
    assert_khmer_error,
    assert_nothing_saved,
    form_token,
    good_report,
    receipt_code,
    run_file_db_scenario,
    within_one_window,
)

from hotline.intake.models import Report

pytestmark = pytest.mark.django_db

TOO_LONG_KM = "វែងពេក៖ សូមសរសេរមិនឱ្យលើសពី ២០០០០ តួអក្សរ។"  # Khmer digits on Khmer pages
BAD_CHARS_KM = "អត្ថបទនេះមានតួអក្សរដែលយើងមិនអាចទទួលបាន។ សូមលុបវាចេញ។"
DAMAGED_TEXT_KM = "ផ្នែកខ្លះនៃអត្ថបទនេះមិនអាចអានបានទេ (វាបង្ហាញជា �)។ សូមលុបផ្នែកនោះ ឬវាយវាម្តងទៀត។"
NOT_READ_KM = "យើងមិនអាចអានអ្វីដែលអ្នកបានផ្ញើបានទេ"
CSRF_KM = "ទំព័រនេះបានបើកយូរពេក"
NOT_FOUND_KM = "យើងមិនអាចបើករបាយការណ៍ដោយលេខកូដនេះបានទេ។"
WAIT_KM = "សូមរង់ចាំបន្តិច"


# --- oversize text ---------------------------------------------------------------------------


def test_one_megabyte_narrative_is_refused_in_khmer() -> None:
    client = Client()
    response = client.post("/report/", good_report(client, narrative="a" * 1_000_000))
    assert response.status_code == 400
    assert_khmer_error(response.content.decode(), TOO_LONG_KM)
    assert_nothing_saved()


def test_one_megabyte_narrative_is_refused_in_english_after_switching() -> None:
    client = Client()
    client.post("/i18n/setlang/", {"language": "en", "next": "/report/"})
    response = client.post("/report/", good_report(client, narrative="a" * 1_000_000))
    assert response.status_code == 400
    assert "This is too long: please use at most 20000 characters." in response.content.decode()
    assert_nothing_saved()


def test_a_million_khmer_characters_exceed_the_request_limit_with_a_plain_page() -> None:
    # 3 MB of UTF-8: Django stops reading before the form; our 400 page explains it.
    client = Client()
    response = client.post("/report/", good_report(client, narrative="ក" * 1_000_000))
    assert response.status_code == 400
    html = response.content.decode()
    assert NOT_READ_KM in html
    assert "អ្នកមិនចាំបាច់ផ្ញើរូបភាពទេ" in html
    assert_nothing_saved()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("links", "https://t.me/x\n" * 60),  # too many lines
        ("usernames", "u" * 600),  # one line too long
        ("amount", "9" * 101),
        ("contact", "c" * 301),
        ("started", "s" * 201),
    ],
)
def test_every_text_field_has_a_limit(field: str, value: str) -> None:
    client = Client()
    response = client.post("/report/", good_report(client, **{field: value}))
    assert response.status_code == 400
    html = response.content.decode()
    start = html.index(f'id="f-{field}"')
    field_box = html[start : html.index('class="field', start)]
    error = re.search(r'<div class="error" role="alert" id="id_\w+_error">(.*?)</div>', field_box)
    assert error
    assert re.search(r"[\u1780-\u17ff]", error.group(1))
    assert_nothing_saved()


# --- characters that are not text ------------------------------------------------------------


@pytest.mark.parametrize("field", ["narrative", "links", "usernames", "phones", "amount"])
def test_nul_bytes_are_refused(field: str) -> None:
    client = Client()
    response = client.post("/report/", good_report(client, **{field: "before\x00after"}))
    assert response.status_code == 400
    assert_khmer_error(response.content.decode(), BAD_CHARS_KM)
    assert_nothing_saved()


def test_nul_byte_in_the_hidden_token_is_explained_at_the_top() -> None:
    client = Client()
    response = client.post("/report/", good_report(client, submission_token="abc\x00def"))
    assert response.status_code == 400
    top = re.search(r'id="form-errors">(.*?)</div>', response.content.decode(), re.S)
    assert top
    assert BAD_CHARS_KM in top.group(1)
    assert_nothing_saved()


def _multipart(fields: list[tuple[bytes, bytes]], boundary: bytes = b"BoUnDaRy") -> bytes:
    body = b""
    for name, value in fields:
        body += b"--" + boundary + b"\r\n"
        body += b'Content-Disposition: form-data; name="' + name + b'"\r\n\r\n'
        body += value + b"\r\n"
    return body + b"--" + boundary + b"--\r\n"


def test_invalid_utf8_in_a_multipart_field_is_refused() -> None:
    client = Client()
    body = _multipart(
        [
            (b"submission_token", form_token(client).encode()),
            (b"reporter_role", b"myself"),
            (b"categories", b"sextortion"),
            (b"narrative", b"he said \xff\xfe\xc3( pay now"),
        ]
    )
    response = client.post(
        "/report/", data=body, content_type="multipart/form-data; boundary=BoUnDaRy"
    )
    assert response.status_code == 400
    assert_khmer_error(response.content.decode(), DAMAGED_TEXT_KM)
    assert_nothing_saved()


def test_invalid_utf8_in_an_urlencoded_form_is_refused() -> None:
    client = Client()
    body = (
        f"submission_token={form_token(client)}&reporter_role=myself&categories=sextortion"
        "&usernames=%FF%FEbad&%FF%FF=%C3%28"
    )
    response = client.post("/report/", data=body, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 400
    assert_khmer_error(response.content.decode(), DAMAGED_TEXT_KM)
    assert_nothing_saved()


def test_invalid_utf8_in_a_choice_is_an_invalid_choice() -> None:
    client = Client()
    body = _multipart([(b"reporter_role", b"my\xffself"), (b"categories", b"\xc3\x28")])
    response = client.post(
        "/report/", data=body, content_type="multipart/form-data; boundary=BoUnDaRy"
    )
    assert response.status_code == 400
    assert_khmer_error(response.content.decode(), "សូមជ្រើសរើសចម្លើយណាមួយដែលមាននៅទីនេះ។")
    assert_nothing_saved()


# --- CSRF --------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/report/", "/status/", "/status/reply/"])
def test_missing_csrf_token_is_refused_kindly(path: str) -> None:
    client = Client(enforce_csrf_checks=True)
    client.get("/report/")  # the browser has the cookie, the form lost its token
    response = client.post(path, good_report(client))
    assert response.status_code == 403
    html = response.content.decode()
    assert CSRF_KM in html
    assert "គ្មានអ្វីត្រូវបានរក្សាទុកទេ។" in html
    assert_nothing_saved()


def test_wrong_csrf_token_is_refused_and_the_right_one_works() -> None:
    client = Client(enforce_csrf_checks=True)
    page = client.get("/report/").content.decode()
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert match
    wrong = client.post("/report/", {**good_report(client), "csrfmiddlewaretoken": "x" * 64})
    assert wrong.status_code == 403
    assert_nothing_saved()
    right = client.post("/report/", {**good_report(client), "csrfmiddlewaretoken": match.group(1)})
    assert right.status_code == 200
    assert Report.objects.count() == 1


# --- double submit -----------------------------------------------------------------------------


def test_double_click_makes_one_report_and_shows_the_same_code() -> None:
    client = Client()
    data = good_report(client)
    codes = [receipt_code(client.post("/report/", data).content.decode()) for _ in range(3)]
    assert codes[0]
    assert codes == [codes[0]] * 3
    assert Report.objects.count() == 1
    assert Report.objects.filter(submission_digest__isnull=False).count() == 1
    # A new form gets a new token and so a new report.
    assert receipt_code(client.post("/report/", good_report(client)).content.decode()) not in {
        "",
        codes[0],
    }
    assert Report.objects.count() == 2


@pytest.mark.django_db(transaction=True)
def test_simultaneous_double_submit_makes_one_report(tmp_path: Path) -> None:
    if connection.vendor == "sqlite":
        # pytest's in-memory SQLite cannot hold concurrent writers: use a real database file,
        # configured as `hotline run` configures it, in a fresh process.
        result, _logs = run_file_db_scenario("double_submit", tmp_path, threads=4)
        statuses = [status for status, _ in result["results"]]
        codes = [code for _, code in result["results"]]
        assert statuses == [200] * 4
        assert result["reports"] == 1
    else:
        data = good_report(Client())
        barrier = threading.Barrier(4)
        codes = []

        def post() -> None:
            barrier.wait()
            codes.append(receipt_code(Client().post("/report/", data).content.decode()))
            connection.close()

        threads = [threading.Thread(target=post) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert Report.objects.count() == 1
    assert len(codes) == 4
    assert codes[0]
    assert set(codes) == {codes[0]}


# --- receipt codes -----------------------------------------------------------------------------

MALFORMED_CODES = [
    "",
    " ",
    "-",
    "<script>alert(1)</script>",
    "' OR 1=1 --",
    "2222-2222-2222-2222",  # too short
    "2222-2222-2222-2222-22",  # too long
    "OOOO-IIII-LLLL-UUUU-O",  # letters not in the alphabet
    "០១២៣-៤៥៦៧-៨៩០១-២៣៤៥-៦",  # Khmer digits
    "x" * 80,
    "x" * 5000,
    "\x00" * 20,
    "２２２２-２２２２-２２２２-２２２２-２",  # full-width digits  # noqa: RUF001
]


def _without_tokens(html: str) -> str:
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)


@pytest.mark.parametrize("code", MALFORMED_CODES)
@pytest.mark.parametrize("path", ["/status/", "/status/reply/"])
def test_malformed_codes_look_exactly_like_a_wrong_guess(path: str, code: str) -> None:
    client = Client()
    client.post("/report/", good_report(client))  # a real report exists
    wrong = client.post(path, {"code": "2345-6789-ABCD-EFGH-J", "message": "hi"})
    malformed = client.post(path, {"code": code, "message": "hi"})
    assert wrong.status_code == malformed.status_code == 404
    assert len(wrong.content) == len(malformed.content)
    assert _without_tokens(wrong.content.decode()) == _without_tokens(malformed.content.decode())
    assert NOT_FOUND_KM in malformed.content.decode()
    assert Report.objects.get().messages.count() == 0


def test_code_sent_as_a_list_or_missing_is_a_wrong_guess() -> None:
    client = Client()
    wrong = client.post("/status/", {"code": "2345-6789-ABCD-EFGH-J"})
    for data in ({"code": ["a", "b"]}, {}, {"other": "x"}):
        response = client.post("/status/", data)
        assert response.status_code == 404
        assert len(response.content) == len(wrong.content)
        assert _without_tokens(response.content.decode()) == _without_tokens(wrong.content.decode())


# --- flooding (the rest of flood control: test_flood_control.py) --------------------------------


def test_flooding_the_report_form_without_javascript_stores_nothing_more(settings: object) -> None:
    client = Client()
    limit = settings.HOTLINE_THROTTLE_SUBMITS_PER_10_MIN  # type: ignore[attr-defined]
    within_one_window(600)
    for _ in range(limit):
        assert client.post("/report/", good_report(client, solve=False)).status_code == 200
    flooded = client.post("/report/", good_report(client, solve=False))
    assert flooded.status_code == 429
    assert WAIT_KM in flooded.content.decode()
    assert "គ្មានអ្វីត្រូវបានរក្សាទុកទេ។" in flooded.content.decode()
    assert Report.objects.count() == limit
