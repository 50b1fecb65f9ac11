from django.urls import path

from hotline.entities import views

app_name = "entities"
urlpatterns = [
    path("", views.search, name="search"),
    path("<int:entity_id>/", views.cluster, name="cluster"),
    path("escrows/", views.escrows, name="escrows"),
    path("escrows/<int:escrow_id>/ask/", views.escrow_ask, name="escrow_ask"),
]
