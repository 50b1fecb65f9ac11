from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "hotline.audit"
    label = "audit"

    def ready(self) -> None:
        from django.contrib.admin.models import LogEntry
        from django.db.models.signals import post_save, pre_save

        from hotline.accounts.models import User
        from hotline.audit import signals

        post_save.connect(signals.on_admin_log, sender=LogEntry, dispatch_uid="audit.admin_log")
        pre_save.connect(signals.on_user_pre_save, sender=User, dispatch_uid="audit.user_pre")
        post_save.connect(signals.on_user_post_save, sender=User, dispatch_uid="audit.user_post")
