from django.urls import path

from hotline.referrals import views

app_name = "referrals"
urlpatterns = [
    path("<uuid:public_id>/", views.package, name="package"),
]
