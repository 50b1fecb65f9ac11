from django.apps import AppConfig


class VaultConfig(AppConfig):
    name = "hotline.vault"
    label = "vault"
