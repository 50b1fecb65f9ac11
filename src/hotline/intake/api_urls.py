from django.urls import path

from hotline.intake.api import api

urlpatterns = [path("", api.urls)]
