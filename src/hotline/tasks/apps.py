from django.apps import AppConfig


class TasksConfig(AppConfig):
    name = "hotline.tasks"
    label = "tasks"
