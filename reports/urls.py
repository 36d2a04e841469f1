from django.urls import path

from reports.dashboard import views
from reports.domains import views as views_domains
from reports.mail import views as views_mail
from reports.marks import views as views_marks
from reports.rollout import views as views_rollout

urlpatterns = [
    # Dashboard pages (views.py)
    path("", views.overview, name="overview"),
    path("sources/", views.sources, name="sources"),
    path("sources.csv", views.sources_csv, name="sources_csv"),
    path("sources/<str:ip>/", views.source, name="source"),
    path("reports/", views.report_list, name="report_list"),
    path("reports/<int:pk>/", views.report_detail, name="report_detail"),
    path("reports/<int:pk>/download/", views.report_download, name="report_download"),
    path("status/", views.status, name="status"),
    # Domains list (reports/domains/)
    path("domains/", views_domains.domain_list, name="domains"),
    # The operator's marks on senders (reports/marks/)
    path("marks/<str:domain>/", views_marks.mark, name="mark_sender"),
    # Mailbox status partial (views_mail.py)
    path("mail/<int:pk>/retry/", views_mail.retry_message, name="retry_message"),
    # Rollout assistant (views_rollout.py)
    path("rollout/how/", views_rollout.how, name="rollout_how"),
    path("rollout/<str:domain>/", views_rollout.readiness, name="rollout"),
    path("rollout/<str:domain>/refresh-dns/", views_rollout.refresh_dns, name="rollout_refresh"),
]
