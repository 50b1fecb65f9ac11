from allauth.account import views as account_views
from django.urls import path

from hotline.staff import views

app_name = "staff"
urlpatterns = [
    path("", views.report_list, name="report_list"),
    # Served first by hotline.urls (allauth's names); kept here for `staff:login`/`staff:logout`.
    path("login/", account_views.login, name="login"),
    path("logout/", account_views.logout, name="logout"),
    path("reports/<uuid:public_id>/", views.report_detail, name="report_detail"),
    path("reports/<uuid:public_id>/entities/", views.report_entity_new, name="report_entity_new"),
    path(
        "reports/<uuid:public_id>/entities/<int:link_id>/",
        views.report_entity_decision,
        name="report_entity_decision",
    ),
]
