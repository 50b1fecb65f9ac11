from django.apps import AppConfig


class HashingConfig(AppConfig):
    name = "hotline.hashing"
    label = "hashing"
