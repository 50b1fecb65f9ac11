from __future__ import annotations

from typing import Any

from django.apps import AppConfig
from django.core import checks
from django.core.exceptions import ImproperlyConfigured


class TriageConfig(AppConfig):
    name = "hotline.triage"
    label = "triage"

    def ready(self) -> None:
        checks.register(triage_rules_check, "triage")


def triage_rules_check(**kwargs: Any) -> list[checks.CheckMessage]:
    """Refuse to start with a weights file or word list that cannot be used (checked once)."""
    from hotline.triage.rules import deadline_words, self_harm_words, weights

    try:
        weights()
        self_harm_words()
        deadline_words()
    except (ImproperlyConfigured, OSError) as exc:
        return [checks.Error(str(exc), id="triage.E001")]
    return []
