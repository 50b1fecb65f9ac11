from django.urls import path

from hotline.directory import views

app_name = "directory"
urlpatterns = [
    path("", views.directory_home, name="home"),
    path("<slug:kind>/new/", views.directory_edit, name="new"),
    path("<slug:kind>/<int:pk>/", views.directory_edit, name="edit"),
]
