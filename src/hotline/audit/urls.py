from django.urls import path

from hotline.audit import views

app_name = "audit"
urlpatterns = [
    path("", views.events, name="events"),
    path("verify/", views.verify, name="verify"),
    path("custody/<str:reference>/", views.custody, name="custody"),
]
