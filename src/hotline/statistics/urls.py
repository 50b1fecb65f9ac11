from django.urls import path

from hotline.statistics import publish_views, views

app_name = "statistics"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("chart/<slug:name>.svg", views.chart, name="chart"),
    path("csv/<slug:name>.csv", views.csv_download, name="csv"),
]
# Publishing quarters (administrators): publish_views.py.
urlpatterns += [
    path("publish/", publish_views.publish_list, name="publish"),
    path("publish/<str:quarter>/", publish_views.publish_quarter, name="publish_quarter"),
]
