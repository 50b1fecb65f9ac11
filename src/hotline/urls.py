"""URL map: public pages at the root, staff under /staff/, partner API under /api/."""

from allauth.account import views as account_views
from django.contrib import admin
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.urls import include, path

from hotline.core import views as core_views


def admin_login(request: HttpRequest) -> HttpResponse:
    """Send /admin/ logins through the staff login (password, then two-factor)."""
    return redirect_to_login(request.GET.get("next") or "/admin/")


handler400 = "hotline.core.views.bad_request"
handler404 = "hotline.core.views.page_not_found"
handler500 = "hotline.core.views.server_error"

urlpatterns = [
    path("", include("hotline.intake.urls")),
    path("help/", include("hotline.guidance.urls")),
    # Staff login: django-allauth's views (two-factor; docs/decisions/staff-login.md).
    path("staff/login/", account_views.login, name="account_login"),
    path("staff/logout/", account_views.logout, name="account_logout"),
    path("staff/account/", include("hotline.accounts.urls")),
    path("staff/entities/", include("hotline.entities.urls")),
    path("staff/cases/", include("hotline.cases.urls")),
    path("staff/directory/", include("hotline.directory.urls")),
    path("staff/settings/", include("hotline.sitesettings.urls")),
    path("staff/alerts/", include("hotline.alerts.urls")),
    path("staff/audit/", include("hotline.audit.urls")),
    path("staff/assessment/", include("hotline.assessment.urls")),
    path("staff/evidence/", include("hotline.viewing.urls")),
    path("staff/retention/", include("hotline.retention.urls")),
    path("staff/scorecards/", include("hotline.takedown.scorecard_urls")),
    path("staff/support/", include("hotline.support.urls")),
    path("staff/notices/", include("hotline.takedown.urls")),
    path("staff/referrals/", include("hotline.referrals.urls")),
    path("staff/statistics/", include("hotline.statistics.urls")),
    path("staff/", include("hotline.staff.urls")),
    path("api/", include("hotline.intake.api_urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("healthz", core_views.healthz, name="healthz"),
    path("admin/login/", admin_login),
    path("admin/", admin.site.urls),
    path("figures/", include("hotline.statistics.public_urls")),
]
