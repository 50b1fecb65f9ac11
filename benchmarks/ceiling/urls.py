from django.urls import path

from ceiling import views

urlpatterns = [
    path("report/", views.report_form),
    path("api/v1/reports/batch", views.report_batch),
    path("healthz", views.healthz),
]
