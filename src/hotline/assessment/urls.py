from django.urls import path

from hotline.assessment import views

app_name = "assessment"
urlpatterns = [
    path("scheme/", views.scheme_edit, name="scheme"),
    path("<uuid:public_id>/assess/", views.assess, name="assess"),
    path("<uuid:public_id>/carried/reject/", views.carried_reject, name="carried_reject"),
    path("<uuid:public_id>/link/", views.link, name="link"),
    path("<uuid:public_id>/unlink/", views.unlink, name="unlink"),
]
