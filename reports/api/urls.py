from django.urls import path, re_path

from reports.api import docs, errors, intake, views, writes

urlpatterns = [
    path("v1/domains/", writes.Domains.as_view(), name="api_domains"),
    path("v1/domains/<domain:domain>/readiness/", views.Readiness.as_view(), name="api_readiness"),
    path("v1/domains/<domain:domain>/overview/", views.Overview.as_view(), name="api_overview"),
    path("v1/domains/<domain:domain>/sources/", views.Sources.as_view(), name="api_sources"),
    path("v1/domains/<domain:domain>/sources/<ip:ip>/", views.Source.as_view(), name="api_source"),
    path("v1/domains/<domain:domain>/senders/", views.Senders.as_view(), name="api_senders"),
    path("v1/domains/<domain:domain>/reports/", views.Reports.as_view(), name="api_reports"),
    path("v1/domains/<domain:domain>/alerts/", views.Alerts.as_view(), name="api_alerts"),
    path("v1/reports/<int:pk>/", views.ReportDetail.as_view(), name="api_report"),
    path("v1/domains/<domain:domain>/marks/", writes.Marks.as_view(), name="api_marks"),
    path("v1/reports/", intake.Push.as_view(), name="api_push"),
    path("v1/uploads/<int:pk>/", intake.UploadStatus.as_view(), name="api_upload"),
    path("v1/schema/", docs.Schema.as_view(), name="api_schema"),
    path("v1/docs/", docs.Reference.as_view(url_name="api_schema"), name="api_docs"),
    # What no pattern above takes: JSON, never the site's HTML error pages.
    re_path(r"^v1/domains/(?P<part>[^/]+)/[\s\S]*$", errors.bad_domain, name="api_bad_domain"),
    re_path(r"^[\s\S]*$", errors.not_found, name="api_not_found"),
]
