"""Random input on the public forms: whatever arrives, the answer is never a server error."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from hypothesis import HealthCheck, example, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from reporter_support import browser_post, good_report, receipt_code

from hotline.core.throttle import throttle_reset
from hotline.intake.forms import ReplyForm, ReportForm

pytestmark = pytest.mark.django_db

# Every field the forms know, plus names they do not.
FIELD_NAMES = sorted({*ReportForm.base_fields, *ReplyForm.base_fields, "csrfmiddlewaretoken"})
ALLOWED = {200, 400, 403, 404, 413, 429}

# Any Unicode a browser could send (surrogates cannot be encoded as UTF-8 at all).
text = st.text(st.characters(exclude_categories=["Cs"]), max_size=300)
# Around the 20,000-character limit of the free-text answers, with awkward characters: a short
# piece repeated, so that many of these texts hold no control character and reach the length
# check (a random 20,000-character text of these always holds one and is refused before it).
long_text = st.builds(
    lambda piece, size: (piece * size)[:size],
    st.text(st.sampled_from("aក\x00\u200b\ufffd\n<>\"'%"), min_size=1, max_size=4),
    st.integers(19_990, 20_010),
)
choice_like = st.sampled_from(
    [
        *("myself", "sextortion", "yes", "no", "on", "paid", "wing", "telegram", "", "13_15"),
        *("female", "another", "phnom_penh", "outside", "Kratié"),
    ]
)
value = st.one_of(text, choice_like, st.integers().map(str), long_text)
values = st.one_of(value, st.lists(value, max_size=4))
field_name = st.one_of(st.sampled_from(FIELD_NAMES), st.text(min_size=1, max_size=20))
upload = st.builds(
    lambda name, data: SimpleUploadedFile("f" + name, data),
    st.text(st.characters(exclude_categories=["Cs", "Cc"], exclude_characters="/\\"), max_size=30),
    st.one_of(
        st.binary(max_size=2000),
        st.sampled_from(
            [b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, b"\xff\xd8\xff\xe0" + b"\x00" * 40, b"%PDF-1"]
        ),
    ),
)
form_data = st.dictionaries(field_name, values, max_size=12)
fuzz_settings = hypothesis_settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def _post(
    path: str, data: dict[str, Any], files: list[SimpleUploadedFile], urlencoded: bool
) -> int:
    throttle_reset()  # keep the throttle out of the way: we want the forms to see the input
    client = Client()  # raises any exception a view lets escape, instead of a quiet 500
    # Followed as a browser does: the page a 303 leads to (a draft of these answers, shown
    # again) must not fail either.
    if urlencoded:
        response = browser_post(
            client,
            path,
            urlencode(data, doseq=True),
            content_type="application/x-www-form-urlencoded",
        )
    else:
        if files:
            data = {**data, "evidence_files": files}
        response = browser_post(client, path, data)
    return int(response.status_code)


@fuzz_settings
@given(data=form_data, files=st.lists(upload, max_size=3), urlencoded=st.booleans())
def test_report_form_never_fails(
    data: dict[str, Any], files: list[SimpleUploadedFile], urlencoded: bool
) -> None:
    assert _post("/report/", data, files, urlencoded) in ALLOWED


@fuzz_settings
@given(
    changes=form_data,
    files=st.lists(upload, max_size=2),
)
# One character over the limit of the longest answer, always tried.
@example(changes={"narrative": "a" * (settings.HOTLINE_MAX_TEXT_CHARS + 1)}, files=[])
def test_nearly_valid_reports_never_fail(
    changes: dict[str, Any], files: list[SimpleUploadedFile]
) -> None:
    # Start from a valid report so the random values reach the deeper checks.
    data = {**good_report(Client()), **changes}
    assert _post("/report/", data, files, urlencoded=False) in ALLOWED


@pytest.fixture
def real_code() -> str:
    client = Client()
    code = receipt_code(browser_post(client, "/report/", good_report(client)).content.decode())
    assert code
    return code


@fuzz_settings
@given(data=form_data, use_real_code=st.booleans(), urlencoded=st.booleans())
@example(
    data={"message": "a" * (settings.HOTLINE_MAX_TEXT_CHARS + 1)},
    use_real_code=True,
    urlencoded=False,
)
def test_status_pages_never_fail(
    real_code: str, data: dict[str, Any], use_real_code: bool, urlencoded: bool
) -> None:
    if use_real_code:
        data = {**data, "code": real_code}
    for path in ("/status/", "/status/reply/"):
        assert _post(path, data, [], urlencoded) in ALLOWED
