from django.contrib.auth import views as auth_views
from django.urls import path

from hotline.staff import views

app_name = "staff"
urlpatterns = [
    path("", views.report_list, name="report_list"),
    path("login/", auth_views.LoginView.as_view(template_name="staff/login.html"), name="login"),
    path("logout/", auth_views.LogoutView.as_view(next_page="/staff/login/"), name="logout"),
    path("reports/<uuid:public_id>/", views.report_detail, name="report_detail"),
    path("reports/<uuid:public_id>/entities/", views.report_entity_new, name="report_entity_new"),
    path(
        "reports/<uuid:public_id>/entities/<int:link_id>/",
        views.report_entity_decision,
        name="report_entity_decision",
    ),
]
