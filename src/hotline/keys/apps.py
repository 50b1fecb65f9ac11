from django.apps import AppConfig


class KeysConfig(AppConfig):
    name = "hotline.keys"
    label = "keys"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from hotline.keys.checks import key_checks_after_migrate

        post_migrate.connect(key_checks_after_migrate, sender=self)
