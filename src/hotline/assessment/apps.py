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
    # The file only: the versions an administrator stored were checked before being saved,
    # and the database may not be migrated yet when checks run.
    from hotline.assessment.scheme import scheme_file

    try:
        scheme_file()
    except ImproperlyConfigured as exc:
        return [checks.Error(str(exc), id="assessment.E001")]
    return []
