from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "hotline.accounts"
    label = "accounts"

    def ready(self) -> None:
        from allauth.mfa.models import Authenticator
        from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
        from django.db.models.signals import post_save

        from hotline.accounts import signals

        user_logged_in.connect(signals.on_login, dispatch_uid="hotline.login")
        user_logged_out.connect(signals.on_logout, dispatch_uid="hotline.logout")
        user_login_failed.connect(signals.on_login_failed, dispatch_uid="hotline.login_failed")
        post_save.connect(
            signals.on_authenticator_saved,
            sender=Authenticator,
            dispatch_uid="hotline.authenticator_saved",
        )
