from django.apps import AppConfig


class TriageConfig(AppConfig):
    name = "hotline.triage"
    label = "triage"
