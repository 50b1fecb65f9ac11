from django.apps import AppConfig


class GuidanceConfig(AppConfig):
    name = "hotline.guidance"
    label = "guidance"
