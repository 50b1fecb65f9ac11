from django.apps import AppConfig


class ViewingConfig(AppConfig):
    name = "hotline.viewing"
    label = "viewing"
