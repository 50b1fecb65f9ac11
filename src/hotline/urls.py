"""URL map: public pages at the root, staff under /staff/, partner API under /api/."""

from django.contrib import admin
from django.urls import include, path

from hotline.core import views as core_views

handler400 = "hotline.core.views.bad_request"
handler404 = "hotline.core.views.page_not_found"
handler500 = "hotline.core.views.server_error"

urlpatterns = [
    path("", include("hotline.intake.urls")),
    path("help/", include("hotline.guidance.urls")),
    path("staff/entities/", include("hotline.entities.urls")),
    path("staff/cases/", include("hotline.cases.urls")),
    path("staff/", include("hotline.staff.urls")),
    path("api/", include("hotline.intake.api_urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("healthz", core_views.healthz, name="healthz"),
    path("admin/", admin.site.urls),
]
