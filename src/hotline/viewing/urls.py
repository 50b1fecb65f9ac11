from django.urls import path

from hotline.viewing import views

app_name = "viewing"
urlpatterns = [
    path("<int:pk>/preview/", views.preview, name="preview"),
    path("<int:pk>/reveal/", views.reveal, name="reveal"),
    path("<int:pk>/download/", views.download, name="download"),
    path("revealed/<str:token>/", views.revealed, name="revealed"),
    path("revealed/<str:token>/image/", views.revealed_image, name="revealed_image"),
    path("links/<uuid:public_id>/<int:index>/", views.link_warning, name="link_warning"),
]
