"""The classification scheme is data: the shipped file loads; a broken file stops the start."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from hotline.assessment.apps import assessment_scheme_check
from hotline.assessment.scheme import DATA, scheme, scheme_load

GOOD = """
[[dimension]]
code = "report_type"
en = "Report type"
km = "ប្រភេទ"
values = [
  { code = "csam", en = "CSAM", km = "ក" },
  { code = "old", en = "Old", km = "ចាស់", retired = true },
]
"""


def test_shipped_scheme_has_the_iccam_dimensions_with_khmer_and_english_labels() -> None:
    shipped = scheme_load(DATA / "scheme.toml")
    assert [d.code for d in shipped.dimensions] == [
        "report_type",
        "legal_status",
        "victim_age",
        "gender",
        "severity",
        "hosting_country",
        "content_type",
    ]
    report_types = shipped.dimension("report_type")
    assert report_types is not None
    assert [v.code for v in report_types.values] == [
        "csam", "grooming", "sextortion", "ncii", "live_abuse", "other", "not_actionable",
    ]  # fmt: skip
    for dim in shipped.dimensions:
        assert dim.en
        assert dim.km
        for value in dim.values:
            assert value.en
            assert value.km != value.en


def test_retired_values_are_labelled_but_not_offered(tmp_path: Path) -> None:
    path = tmp_path / "scheme.toml"
    path.write_text(GOOD, encoding="utf-8")
    loaded = scheme_load(path)
    dim = loaded.dimension("report_type")
    assert dim is not None
    assert dim.choices() == [("csam", "CSAM")]
    assert loaded.labels({"report_type": "old"}) == [("Report type", "Old", "ចាស់")]
    assert loaded.labels({"report_type": "gone"}) == [
        ("Report type", "gone (no longer in the scheme)", "")
    ]


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("not toml [", "cannot read"),
        ("[other]\nx = 1", "unknown tables"),
        ("", "at least one"),
        (GOOD.replace('code = "csam"', 'code = "CSAM!"'), "codes are 1-40"),
        (GOOD.replace('code = "old"', 'code = "csam"'), "given twice"),
        (GOOD.replace('km = "ក" ', 'km = "" '), "non-empty `km`"),
        (GOOD.replace('en = "Report type"', 'en = "Report type"\ncolour = "red"'), "unknown keys"),
        (GOOD.replace("retired = true", 'retired = "yes"'), "true or false"),
        (GOOD.replace('{ code = "csam", en = "CSAM", km = "ក" },', ""), "no value left"),
        (GOOD + GOOD, "given twice"),
        (GOOD.replace("retired = true", 'closes = "closed"'), "`closes` must be one of"),
        (GOOD.replace("retired = true", "closes = 1"), "`closes` must be one of"),
        (GOOD.replace("retired = true", 'closes = "<script>"'), "`closes` must be one of"),
    ],
)
def test_a_broken_scheme_file_is_refused_naming_the_problem(
    tmp_path: Path, text: str, problem: str
) -> None:
    path = tmp_path / "scheme.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ImproperlyConfigured, match=problem):
        scheme_load(path)


def test_the_start_check_reports_a_broken_scheme_file(tmp_path: Path, settings: object) -> None:
    path = tmp_path / "scheme.toml"
    path.write_text("[[dimension]]\ncode = 3", encoding="utf-8")
    settings.HOTLINE_ASSESSMENT_SCHEME_FILE = str(path)  # type: ignore[attr-defined]
    scheme.cache_clear()
    try:
        errors = assessment_scheme_check()
        assert [e.id for e in errors] == ["assessment.E001"]
        assert str(path) in errors[0].msg
    finally:
        settings.HOTLINE_ASSESSMENT_SCHEME_FILE = ""  # type: ignore[attr-defined]
        scheme.cache_clear()
    assert assessment_scheme_check() == []
