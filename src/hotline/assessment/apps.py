from __future__ import annotations

from typing import Any

from django.apps import AppConfig
from django.core import checks
from django.core.exceptions import ImproperlyConfigured


class AssessmentConfig(AppConfig):
    name = "hotline.assessment"
    label = "assessment"

    def ready(self) -> None:
        checks.register(assessment_scheme_check, "assessment")


def assessment_scheme_check(**kwargs: Any) -> list[checks.CheckMessage]:
    """Refuse to start with a classification scheme that cannot be used (checked once)."""
    from hotline.assessment.scheme import scheme

    try:
        scheme()
    except ImproperlyConfigured as exc:
        return [checks.Error(str(exc), id="assessment.E001")]
    return []
