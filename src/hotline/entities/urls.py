from django.urls import path

from hotline.entities import views

app_name = "entities"
urlpatterns = [
    path("", views.search, name="search"),
    path("<int:entity_id>/", views.cluster, name="cluster"),
]
