from django.urls import path

from hotline.intake import views

app_name = "intake"
urlpatterns = [
    path("", views.home, name="home"),
    path("report/", views.report_form, name="report"),
    path("report/receipt/", views.receipt, name="receipt"),
    path("report/switch/", views.report_switch, name="report_switch"),
    path("report/challenge/", views.report_challenge, name="report_challenge"),
    path("danger/", views.danger, name="danger"),
    path("receipt/file/", views.receipt_file, name="receipt_file"),
    path("status/", views.status, name="status"),
    path("status/reply/", views.status_reply, name="status_reply"),
    path("status/switch/", views.status_switch, name="status_switch"),
    path("status/forget/", views.status_forget, name="status_forget"),
    path("status/answer/", views.status_escrow_answer, name="status_escrow_answer"),
    path("escrow/", views.escrow, name="escrow"),
    path("escrow/done/", views.escrow_done, name="escrow_done"),
    path("escrow/switch/", views.escrow_switch, name="escrow_switch"),
]
