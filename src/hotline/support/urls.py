from django.urls import path

from hotline.support import views

app_name = "support"
urlpatterns = [
    path("", views.case_list, name="list"),
    path("<str:public_id>/", views.case_page, name="case"),
    path("<str:public_id>/<slug:action>/", views.case_action, name="action"),
]
