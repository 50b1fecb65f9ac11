"""URLs under /api/: the partner API, then a JSON 404 for any other path below it."""

from django.urls import path, re_path

from hotline.intake.api import api, api_not_found

urlpatterns = [
    path("", api_not_found),  # before ninja's own root view, which renders the HTML 404
    path("", api.urls),
    # An API client that mistypes a path gets JSON, not the public site's HTML error page.
    re_path(r"^", api_not_found),
]
