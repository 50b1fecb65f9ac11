"""The optional questions about the person harmed (gender, province), end to end: the public
form in Khmer and English, the staff form for a caller, the partner API and the staff report
page. Every listed answer and a blank one are stored in clear columns; anything else is a clear
error in the reporter's language, and nothing is saved."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from django.test import Client
from reporter_support import (
    assert_khmer_error,
    assert_nothing_saved,
    browser_post,
    good_report,
    receipt_code,
    shown_again,
)

from hotline.intake.choices import Province, VictimGender
from hotline.intake.forms import ReportForm
from hotline.intake.models import Report
from hotline.intake.partners import partner_create
from hotline.intake.selectors import report_details
from hotline.intake.services import ReportInput, report_submit
from staff_login import staff_client

pytestmark = pytest.mark.django_db

CHOOSE_KM = "សូមជ្រើសរើសចម្លើយណាមួយដែលមាននៅទីនេះ។"
CHOOSE_EN = "Please choose one of the answers shown."
KHMER_PROVINCES = [
    "ភ្នំពេញ",
    "បន្ទាយមានជ័យ",
    "បាត់ដំបង",
    "កំពង់ចាម",
    "កំពង់ឆ្នាំង",
    "កំពង់ស្ពឺ",
    "កំពង់ធំ",
    "កំពត",
    "កណ្ដាល",
    "កែប",
    "កោះកុង",
    "ក្រចេះ",
    "មណ្ឌលគិរី",
    "ឧត្ដរមានជ័យ",
    "ប៉ៃលិន",
    "ព្រះសីហនុ",
    "ព្រះវិហារ",
    "ពោធិ៍សាត់",
    "ព្រៃវែង",
    "រតនគិរី",
    "សៀមរាប",
    "ស្ទឹងត្រែង",
    "ស្វាយរៀង",
    "តាកែវ",
    "ត្បូងឃ្មុំ",
]
# Unknown codes, a label instead of its code, Khmer, a NUL, and far more than any code's length.
BAD_ANSWERS = [
    ("victim_gender", "girl"),
    ("victim_gender", "Female"),
    ("victim_gender", "ស្រី"),
    ("victim_gender", "female\x00"),
    ("victim_gender", "f" * 100_000),
    ("province", "Phnom Penh"),
    ("province", "ភ្នំពេញ"),
    ("province", "province_26"),
    ("province", " kampot"),
    ("province", "k" * 100_000),
]


def _minimal(**answers: str) -> dict[str, Any]:
    return {"reporter_role": "myself", "categories": ["sextortion"], **answers}


def _select(html: str, name: str) -> str:
    found = re.search(rf'<select name="{name}"[^>]*>.*?</select>', html, re.S)
    assert found, name
    return found.group(0)


def _person_section(html: str) -> str:
    found = re.search(
        r'<details class="part"[^>]*aria-labelledby="s-person".*?</details>', html, re.S
    )
    assert found
    return found.group(0)


# --- the public form -----------------------------------------------------------------------------


@pytest.mark.parametrize("value", VictimGender.values)
def test_the_form_accepts_every_gender_and_a_blank(value: str) -> None:
    form = ReportForm(data=_minimal(victim_gender=value))
    assert form.is_valid(), form.errors
    assert form.to_input(language="km").victim_gender == value


@pytest.mark.parametrize("value", Province.values)
def test_the_form_accepts_every_province_and_a_blank(value: str) -> None:
    form = ReportForm(data=_minimal(province=value))
    assert form.is_valid(), form.errors
    assert form.to_input(language="km").province == value


def test_cambodia_has_its_25_provinces_and_outside_and_blank() -> None:
    assert len(Province.values) == 25 + 2
    assert {"", "outside", "phnom_penh", "tbong_khmum", "kep"} <= set(Province.values)
    assert set(VictimGender.values) == {"", "female", "male", "another"}


def test_a_report_keeps_both_answers_in_clear_columns_outside_the_encrypted_details() -> None:
    client = Client()
    html = browser_post(
        client, "/report/", good_report(client, victim_gender="another", province="siem_reap")
    ).content.decode()
    assert receipt_code(html)
    report = Report.objects.get()
    assert (report.victim_gender, report.province) == ("another", "siem_reap")
    assert not {"victim_gender", "province"} & set(report_details(report))


def test_a_report_without_the_answers_stores_blanks() -> None:
    client = Client()
    assert receipt_code(browser_post(client, "/report/", good_report(client)).content.decode())
    report = Report.objects.get()
    assert (report.victim_gender, report.province) == ("", "")


@pytest.mark.parametrize(("field", "value"), BAD_ANSWERS)
def test_an_unknown_or_oversize_answer_is_refused_in_khmer_and_nothing_saved(
    field: str, value: str
) -> None:
    client = Client()
    response = browser_post(client, "/report/", good_report(client, **{field: value}))
    assert shown_again(response)
    html = response.content.decode()
    assert_khmer_error(html, CHOOSE_KM)
    # Beside the question, in its section, which opens to show it; linked from the summary.
    section = _person_section(html)
    assert 'aria-labelledby="s-person" open>' in section
    assert f'id="id_{field}_error"' in section
    assert CHOOSE_KM in section
    summary = re.search(r'id="form-errors">(.*?)</div>', html, re.S)
    assert summary
    assert f'href="#id_{field}"' in summary.group(1)
    assert " selected" not in _select(html, field)  # the refused answer is not kept as chosen
    assert_nothing_saved()


def test_an_unknown_answer_is_refused_in_english_after_switching() -> None:
    client = Client()
    client.post("/i18n/setlang/", {"language": "en", "next": "/report/"})
    response = browser_post(client, "/report/", good_report(client, province="atlantis"))
    assert shown_again(response)
    html = response.content.decode()
    assert CHOOSE_EN in _person_section(html)
    assert '<html lang="en">' in html
    assert_nothing_saved()


def test_the_questions_are_asked_kindly_in_khmer_in_a_folded_section() -> None:
    html = Client().get("/report/").content.decode()
    assert '<html lang="km">' in html
    section = _person_section(html)
    assert 'aria-labelledby="s-person">' in section  # folded: the form stays short
    assert '<summary><h2 id="s-person"><span class="step">៧</span> ' in section
    assert "អំពីអ្នកដែលរងគ្រោះ (មិនចាំបាច់)" in section
    assert "តើអ្នកដែលរងគ្រោះជាភេទអ្វី?" in section
    assert "តើអ្នកដែលរងគ្រោះរស់នៅខេត្តណា?" in section
    assert "យើងមិនដែលសុំអាសយដ្ឋានទេ" in section
    assert '<label for="id_victim_gender">' in section
    assert '<label for="id_province">' in section
    gender = _select(html, "victim_gender")
    for khmer in ("មិនដឹង / មិនចង់ប្រាប់", "ស្រី", "ប្រុស", "ភេទផ្សេងទៀត"):
        assert f">{khmer}</option>" in gender, khmer
    province = _select(html, "province")
    options = re.findall(r'<option value="([^"]*)"[^>]*>([^<]*)</option>', province)
    assert [code for code, _label in options] == Province.values
    assert [label for _code, label in options][1:-1] == KHMER_PROVINCES
    assert options[-1] == ("outside", "នៅក្រៅប្រទេសកម្ពុជា")
    assert options[0] == ("", "មិនដឹង / មិនចង់ប្រាប់")
    # No English left in the section (the select's codes aside).
    words = re.sub(r"<[^>]+>", " ", section)
    assert not re.search(r"[A-Za-z]{3,}", words), words


def test_the_questions_are_in_english_on_request() -> None:
    client = Client()
    client.post("/i18n/setlang/", {"language": "en", "next": "/report/"})
    section = _person_section(client.get("/report/").content.decode())
    assert "About the person harmed (optional)" in section
    assert "What is the gender of the person harmed?" in section
    assert ">Girl or woman</option>" in section
    assert ">Takéo</option>" in section
    assert ">Outside Cambodia</option>" in section
    assert '<span class="step">7</span>' in section


def test_an_answer_given_opens_its_section_when_the_form_comes_back() -> None:
    client = Client()
    # No role and no category: the form comes back, with the province still chosen.
    response = browser_post(
        client, "/report/", good_report(client, reporter_role="", province="kampot")
    )
    assert shown_again(response)
    html = response.content.decode()
    assert 'aria-labelledby="s-person" open>' in _person_section(html)
    assert '<option value="kampot" selected>' in _select(html, "province")
    assert_nothing_saved()


# --- the staff form for a caller ---------------------------------------------------------------


def _staff_answers(client: Client, **changes: str) -> dict[str, Any]:
    page = client.get("/staff/reports/new/").content.decode()
    token = re.search(r'name="submission_token" value="([^"]+)"', page)
    assert token
    assert '<select name="victim_gender"' in page
    assert '<select name="province"' in page
    return {
        "submission_token": token.group(1),
        "channel": "phone",
        "language": "km",
        "reporter_role": "my_child",
        "categories": ["sextortion"],
        **changes,
    }


def test_staff_record_a_callers_answers_and_refuse_an_unknown_one() -> None:
    client, _staff = staff_client("phone-person", role="analyst")
    refused = client.post(
        "/staff/reports/new/", _staff_answers(client, victim_gender="male", province="Kep")
    )
    assert refused.status_code == 400
    assert CHOOSE_EN in refused.content.decode()
    assert not Report.objects.exists()
    taken = client.post(
        "/staff/reports/new/", _staff_answers(client, victim_gender="male", province="kep")
    )
    assert taken.status_code == 303
    report = Report.objects.get()
    assert (report.source, report.victim_gender, report.province) == ("phone", "male", "kep")


def test_the_staff_report_page_shows_the_answers_or_not_given() -> None:
    client, _staff = staff_client("page-person", role="analyst")
    given = report_submit(
        data=ReportInput(
            reporter_role="myself",
            categories=["grooming"],
            victim_gender="female",
            province="kratie",
        ),
        evidence=[],
    ).report
    skipped = report_submit(
        data=ReportInput(reporter_role="myself", categories=["grooming"]), evidence=[]
    ).report
    page = client.get(f"/staff/reports/{given.public_id}/").content.decode()
    assert '<dd id="person-harmed">gender: Girl or woman; province: Kratié</dd>' in page
    page = client.get(f"/staff/reports/{skipped.public_id}/").content.decode()
    assert '<dd id="person-harmed">gender: not given; province: not given</dd>' in page


# --- the partner API -----------------------------------------------------------------------------


def _api_post(token: str, path: str, body: Any) -> Any:
    return Client().post(
        path,
        json.dumps(body),
        content_type="application/json",
        headers={"Authorization": f"Bearer {token}"},
    )


def test_the_api_stores_every_gender_and_province_and_blanks_by_default() -> None:
    _partner, token = partner_create(name="Person partner")
    genders = VictimGender.values
    reports = [
        {
            "reporter_role": "someone_i_know",
            "categories": ["sextortion"],
            "victim_gender": genders[n % len(genders)],
            "province": province,
            "partner_reference": f"P-{n}",
        }
        for n, province in enumerate(Province.values)
    ]
    reports.append({"reporter_role": "myself", "categories": ["other"], "partner_reference": "X"})
    response = _api_post(token, "/api/v1/reports/batch", {"reports": reports})
    assert response.status_code == 201, response.content
    stored = {
        r.partner_reference: (r.victim_gender, r.province)
        for r in Report.objects.all()  # the batch path writes with COPY on PostgreSQL
    }
    assert stored.pop("X") == ("", "")
    assert stored == {
        item["partner_reference"]: (item["victim_gender"], item["province"])
        for item in reports[:-1]
    }


@pytest.mark.parametrize(
    ("field", "value"), [*BAD_ANSWERS, ("province", None), ("victim_gender", 1)]
)
def test_the_api_refuses_an_unknown_answer_with_its_path_and_stores_nothing(
    field: str, value: object
) -> None:
    _partner, token = partner_create(name="Strict partner")
    good = {"reporter_role": "myself", "categories": ["sextortion"]}
    batch = {"reports": [good, {**good, field: value}]}
    response = _api_post(token, "/api/v1/reports/batch", batch)
    assert response.status_code == 400
    answer = response.json()
    assert answer["error"] == "invalid_request"
    assert [e["path"] for e in answer["errors"]] == [f"body.reports.1.{field}"]
    assert not Report.objects.exists()


def test_the_openapi_schema_lists_every_answer() -> None:
    schema = Client().get("/api/openapi.json").json()
    components = schema["components"]["schemas"]

    def resolve(node: dict[str, Any]) -> dict[str, Any]:
        while "$ref" in node or "allOf" in node:
            node = node["allOf"][0] if "allOf" in node else node
            if "$ref" in node:
                node = components[node["$ref"].rsplit("/", 1)[-1]]
        return node

    fields = components["ReportIn"]["properties"]
    assert resolve(fields["victim_gender"])["enum"] == VictimGender.values
    assert resolve(fields["province"])["enum"] == Province.values
    assert "victim_gender" not in components["ReportIn"].get("required", [])
    assert "province" not in components["ReportIn"].get("required", [])
