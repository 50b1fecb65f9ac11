from django.apps import AppConfig


class EntitiesConfig(AppConfig):
    name = "hotline.entities"
    label = "entities"
