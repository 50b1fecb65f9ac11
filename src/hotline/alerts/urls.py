from django.urls import path

from hotline.alerts import views

app_name = "alerts"
urlpatterns = [
    path("<int:alert_id>/acknowledge/", views.acknowledge, name="acknowledge"),
]
