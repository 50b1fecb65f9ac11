from django.urls import path

from hotline.guidance import views

app_name = "guidance"
urlpatterns = [
    path("", views.index, name="index"),
    path("<slug:slug>/", views.page, name="page"),
]
