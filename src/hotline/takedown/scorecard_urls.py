from django.urls import path

from hotline.takedown import scorecard_views

app_name = "scorecards"
urlpatterns = [
    path("", scorecard_views.scorecards, name="scorecards"),
    path("url-list/", scorecard_views.url_list, name="url_list"),
]
