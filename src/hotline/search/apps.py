from django.apps import AppConfig


class SearchConfig(AppConfig):
    name = "hotline.search"
    label = "search"
