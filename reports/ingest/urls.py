"""The ingest pages: stored reports and uploads."""

from django.urls import path

from reports.ingest import views

urlpatterns = [
    path("reports/", views.report_list, name="report_list"),
    path("reports/<int:pk>/", views.report_detail, name="report_detail"),
    path("reports/<int:pk>/download/", views.report_download, name="report_download"),
    path("uploads/", views.uploads, name="uploads"),
    # The rua=https://… address of _smtp._tls TXT records (RFC 8460 section 3).
    path("tlsrpt/", views.tlsrpt_intake, name="tlsrpt_intake"),
]
