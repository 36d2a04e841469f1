from django.urls import path, re_path, register_converter

from reports import converters
from reports.alerts import views as views_alerts
from reports.dashboard import views
from reports.domains import views as views_domains
from reports.mail import views as views_mail
from reports.marks import views as views_marks
from reports.rollout import views as views_rollout

# Only a valid domain name or IP address reaches a view (reports.shared.names).
register_converter(converters.DomainConverter, "domain")
register_converter(converters.IpConverter, "ip")

urlpatterns = [
    # Dashboard pages (views.py)
    path("", views.overview, name="overview"),
    path("sources/", views.sources, name="sources"),
    path("sources.csv", views.sources_csv, name="sources_csv"),
    path("senders/", views.senders, name="senders"),
    path("sources/<ip:ip>/", views.source, name="source"),
    path("reports/", views.report_list, name="report_list"),
    path("reports/<int:pk>/", views.report_detail, name="report_detail"),
    path("reports/<int:pk>/download/", views.report_download, name="report_download"),
    path("status/", views.status, name="status"),
    path("uploads/", views.uploads, name="uploads"),
    # Domains list (reports/domains/)
    path("domains/", views_domains.domain_list, name="domains"),
    # The operator's marks on senders (reports/marks/)
    path("marks/<domain:domain>/", views_marks.mark, name="mark_sender"),
    # Mailbox status partial (views_mail.py)
    path("mail/<int:pk>/retry/", views_mail.retry_message, name="retry_message"),
    # Rollout assistant (views_rollout.py)
    path("rollout/how/", views_rollout.how, name="rollout_how"),
    path("rollout/<domain:domain>/", views_rollout.readiness, name="rollout"),
    path("rollout/<domain:domain>/refresh-dns/", views_rollout.refresh_dns, name="rollout_refresh"),
    # What the converters above refuse: a clear 400, not a 500 (nor a bare 404).
    re_path(r"^sources/[\s\S]+/$", views.bad_url_part, {"what": "an IP address"}),
    re_path(r"^rollout/[\s\S]+/$", views.bad_url_part, {"what": "a domain name"}),
    # Alerts (alerts/views.py)
    path("alerts/", views_alerts.alerts, name="alerts"),
    path("alerts/settings/", views_alerts.settings_page, name="alert_settings"),
    path("alerts/unsubscribe/<str:token>/", views_alerts.unsubscribe, name="alerts_unsubscribe"),
]
