from __future__ import annotations

from django.apps import AppConfig


class StatisticsConfig(AppConfig):
    name = "hotline.statistics"
    label = "statistics"
    verbose_name = "Statistics"
