from django.apps import AppConfig


class StaffConfig(AppConfig):
    name = "hotline.staff"
    label = "staff"
