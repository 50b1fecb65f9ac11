from django.urls import path

from hotline.cases import views

app_name = "cases"
urlpatterns = [
    path("<uuid:public_id>/state/", views.report_state, name="state"),
    path("<uuid:public_id>/claim/", views.report_claim_view, name="claim"),
    path("<uuid:public_id>/release/", views.report_release_view, name="release"),
    path("<uuid:public_id>/assign/", views.report_assign_view, name="assign"),
    path("<uuid:public_id>/reply-handled/", views.report_reply_handled_view, name="reply_handled"),
]
