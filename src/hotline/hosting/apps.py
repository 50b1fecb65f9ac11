from __future__ import annotations

from django.apps import AppConfig


class HostingConfig(AppConfig):
    name = "hotline.hosting"
    label = "hosting"
    verbose_name = "Hosting trace"
