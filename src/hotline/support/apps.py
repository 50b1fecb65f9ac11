from __future__ import annotations

from django.apps import AppConfig


class SupportConfig(AppConfig):
    name = "hotline.support"
    label = "support"
    verbose_name = "Victim support cases"
