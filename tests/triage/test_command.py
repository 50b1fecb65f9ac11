"""`hotline triage check|rescore`: the operator's view of the weights in force."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from hotline.triage.rules import rules_reload


@pytest.fixture(autouse=True)
def _fresh_rules() -> Iterator[None]:
    rules_reload()
    yield
    rules_reload()


def test_check_prints_the_weights_in_force() -> None:
    out = io.StringIO()
    call_command("triage", "check", stdout=out)
    shown = json.loads(out.getvalue())
    assert shown["signals"]["in_danger"] == 100
    assert shown["file"].endswith("triage/data/weights.toml")


def test_check_names_the_problem_of_a_bad_file(tmp_path: Path, settings: object) -> None:
    path = tmp_path / "weights.toml"
    path.write_text("[signals]\nin_danger = -1\n", encoding="utf-8")
    settings.HOTLINE_TRIAGE_WEIGHTS_FILE = str(path)  # type: ignore[attr-defined]
    rules_reload()
    with pytest.raises(CommandError, match="missing"):
        call_command("triage", "check", stdout=io.StringIO())


@pytest.mark.django_db
def test_rescore_with_no_reports_says_so() -> None:
    out = io.StringIO()
    call_command("triage", "rescore", stdout=out)
    assert out.getvalue().strip() == "rescored 0 reports"


def test_a_bad_weights_file_fails_the_start_up_checks(tmp_path: Path, settings: object) -> None:
    from django.core.checks import run_checks

    assert not [m for m in run_checks(tags=["triage"]) if m.id == "triage.E001"]
    path = tmp_path / "weights.toml"
    path.write_text("[signals]\nin_danger = 1\n", encoding="utf-8")
    settings.HOTLINE_TRIAGE_WEIGHTS_FILE = str(path)  # type: ignore[attr-defined]
    rules_reload()
    errors = [m for m in run_checks(tags=["triage"]) if m.id == "triage.E001"]
    assert len(errors) == 1
    assert "missing" in errors[0].msg
