"""`hotline entities extract`: stdin or files in, JSON out, clear errors."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError


def _run(
    *args: str, stdin: bytes | None = None, monkeypatch: pytest.MonkeyPatch
) -> list[dict[str, object]]:
    if stdin is not None:
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin), encoding="utf-8"))
    out = io.StringIO()
    call_command("entities", "extract", *args, stdout=out)
    return [json.loads(line) for line in out.getvalue().splitlines()]


def test_reads_stdin_and_prints_spans_into_the_input(monkeypatch: pytest.MonkeyPatch) -> None:
    text = "តេឡេក្រាម @bad_guy99 លេខ ០១២ ៣៤៥ ៦៧៨"
    (result,) = _run(stdin=text.encode(), monkeypatch=monkeypatch)
    assert result["input"] == "-"
    entities = result["entities"]
    assert isinstance(entities, list)
    assert [(e["type"], e["value"], e["platform"]) for e in entities] == [
        ("handle", "https://t.me/bad_guy99", "telegram"),
        ("phone", "+85512345678", None),
    ]
    for entity in entities:
        assert text[entity["start"] : entity["end"]] == entity["text"]


def test_reads_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first = tmp_path / "a.txt"
    first.write_text("wa.me/85512345678", encoding="utf-8")
    second = tmp_path / "b.txt"
    second.write_text("nothing here", encoding="utf-8")
    results = _run(str(first), str(second), monkeypatch=monkeypatch)
    assert [r["input"] for r in results] == [str(first), str(second)]
    assert results[0]["entities"][0]["value"] == "+85512345678"  # type: ignore[index]
    assert results[1]["entities"] == []


def test_region_changes_how_national_numbers_parse(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "th.txt"
    path.write_text("081 234 5678", encoding="utf-8")
    (result,) = _run("--region", "th", str(path), monkeypatch=monkeypatch)
    assert result["entities"][0]["value"] == "+66812345678"  # type: ignore[index]


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        ("missing", "no such file"),
        ("directory", "is a directory"),
        ("binary", "not UTF-8"),
    ],
)
def test_operator_mistakes_are_clear(tmp_path: Path, setup: str, message: str) -> None:
    path = tmp_path / "input"
    if setup == "directory":
        path.mkdir()
    elif setup == "binary":
        path.write_bytes(b"\xff\xfe\x00bad")
    with pytest.raises(CommandError, match=message):
        call_command("entities", "extract", str(path), stdout=io.StringIO())


def test_bad_region_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="two-letter"):
        call_command("entities", "extract", "--region", "cambodia", stdout=io.StringIO())


@pytest.mark.django_db
def test_relink_and_cluster_commands() -> None:
    from hotline.entities.bulk import cluster_reports_by_label
    from hotline.entities.models import ReportEntity
    from hotline.intake.services import ReportInput, report_submit

    reports = [
        report_submit(
            data=ReportInput(reporter_role="myself", categories=["sextortion"], narrative=text),
            evidence=[],
        ).report
        for text in ["t.me/relink_group", "see https://t.me/Relink_Group", "nothing"]
    ]
    out = io.StringIO()
    call_command("entities", "relink", "--batch", "2", stdout=out)
    assert "3 reports, 2 mentions, 2 new links" in out.getvalue()
    assert ReportEntity.objects.count() == 2
    call_command("entities", "relink", stdout=out)
    assert ReportEntity.objects.count() == 2
    call_command("entities", "relink", "--exclusive", stdout=out)
    assert "3 reports, 2 mentions, 0 new links" in out.getvalue()
    assert ReportEntity.objects.count() == 2
    call_command("entities", "cluster", stdout=out)
    assert "1 clusters." in out.getvalue()
    assert set(cluster_reports_by_label(report_id=reports[0].pk)) == {reports[0].pk, reports[1].pk}
