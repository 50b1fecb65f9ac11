from django.urls import path

from hotline.statistics import views

app_name = "statistics"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("chart/<slug:name>.svg", views.chart, name="chart"),
    path("csv/<slug:name>.csv", views.csv_download, name="csv"),
]
