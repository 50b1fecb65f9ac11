from django.urls import path

from hotline.takedown import views

app_name = "takedown"
urlpatterns = [
    path("", views.notice_list, name="list"),
    path("reports/<uuid:public_id>/", views.report_notices_page, name="report"),
    path("reports/<uuid:public_id>/new/", views.notice_new, name="new"),
    path("reports/<uuid:public_id>/forward/", views.forward_new, name="forward"),
    path("<uuid:public_id>/", views.notice_page, name="notice"),
    path(
        "<uuid:public_id>/<slug:action>/",
        views.notice_action,
        name="action",
    ),
]
