from allauth.account import views as account_views
from django.urls import path

from hotline.staff import casework, phone, views

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
    # Reports taken by staff for a caller (hotline.staff.phone).
    path("reports/new/", phone.report_take_view, name="report_take"),
    path("reports/new/code/", phone.report_taken_view, name="report_taken"),
    # Staff-only notes, files and sub-status of a report (hotline.staff.casework).
    path("reports/<uuid:public_id>/notes/", casework.note_new, name="note_new"),
    path("reports/<uuid:public_id>/files/", casework.attachment_new, name="attachment_new"),
    path(
        "reports/<uuid:public_id>/files/<uuid:attachment_id>/",
        casework.attachment_download,
        name="attachment_download",
    ),
    path("reports/<uuid:public_id>/sub-status/", casework.sub_status_change, name="sub_status"),
]
