from django.urls import path

from hotline.retention import views

app_name = "retention"
urlpatterns = [
    path("", views.rules, name="rules"),
    path("delete/", views.rule_remove, name="rule_delete"),
]
