from django.urls import path

from hotline.statistics import public_views

app_name = "public_statistics"
urlpatterns = [
    path("", public_views.figures_page, name="page"),
    path("figures.csv", public_views.figures_csv, name="csv"),
    path("figures.json", public_views.figures_json, name="json"),
]
