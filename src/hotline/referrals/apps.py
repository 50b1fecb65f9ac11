from django.apps import AppConfig


class ReferralsConfig(AppConfig):
    name = "hotline.referrals"
    label = "referrals"
    verbose_name = "Police referral packages"
