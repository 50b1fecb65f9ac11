from django.apps import AppConfig


class SiteSettingsConfig(AppConfig):
    name = "hotline.sitesettings"
    label = "sitesettings"
