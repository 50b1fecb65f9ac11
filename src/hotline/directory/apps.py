from __future__ import annotations

from django.apps import AppConfig


class DirectoryConfig(AppConfig):
    name = "hotline.directory"
    label = "directory"
    verbose_name = "Platforms, partner hotlines and support services"
