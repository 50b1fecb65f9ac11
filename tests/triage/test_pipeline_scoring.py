"""The worker scores a report from its decrypted narrative and keeps only the signals."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from hotline.intake.models import Report
from hotline.intake.services import ReportInput, report_submit
from hotline.intake.tasks import report_process
from hotline.triage.rules import DATA, rules_reload
from hotline.triage.services import reports_rescore

pytestmark = pytest.mark.django_db

PHRASE = "ខ្ញុំមិនចង់រស់ទៀតទេ"


@pytest.fixture(autouse=True)
def _fresh_rules() -> Iterator[None]:
    rules_reload()
    yield
    rules_reload()


def _submit(narrative: str = "", **fields: object) -> Report:
    data = ReportInput(
        reporter_role="myself",
        categories=["sextortion"],
        narrative=narrative,
        **fields,  # type: ignore[arg-type]
    )
    return report_submit(data=data, evidence=[]).report


def test_khmer_self_harm_phrase_raises_the_score_without_storing_the_words() -> None:
    plain = _submit("គាត់ទាមទាររូបថត")  # he demands photos
    worried = _submit("គាត់ទាមទាររូបថត " + PHRASE)
    for report in (plain, worried):
        report_process(report.pk)
        report.refresh_from_db()
    assert worried.priority == plain.priority + 90
    assert {"signal": "self_harm", "weight": 90} in worried.priority_reasons
    stored = json.dumps(worried.priority_reasons, ensure_ascii=False)
    assert "ស្លាប់" not in stored
    assert "រស់" not in stored
    # The answers' part is known at intake; the text's part only after the worker.
    assert worried.base_priority == plain.base_priority == 40


def test_rescore_applies_changed_weights_to_stored_reports(
    tmp_path: Path, settings: object
) -> None:
    danger = _submit(in_danger=True)
    worried = _submit(PHRASE)
    for report in (danger, worried):
        report_process(report.pk)
    order = list(Report.objects.order_by("-priority").values_list("pk", flat=True))
    assert order == [danger.pk, worried.pk]
    text = (DATA / "weights.toml").read_text(encoding="utf-8")
    path = tmp_path / "weights.toml"
    path.write_text(text.replace("self_harm = 90", "self_harm = 300"), encoding="utf-8")
    settings.HOTLINE_TRIAGE_WEIGHTS_FILE = str(path)  # type: ignore[attr-defined]
    rules_reload()
    assert reports_rescore() == 2
    order = list(Report.objects.order_by("-priority").values_list("pk", flat=True))
    assert order == [worried.pk, danger.pk]
