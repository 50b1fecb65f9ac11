from django.apps import AppConfig


class AlertsConfig(AppConfig):
    name = "hotline.alerts"
    label = "alerts"
