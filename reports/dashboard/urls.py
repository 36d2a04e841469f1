"""The dashboard's pages."""

from django.urls import path

from reports.dashboard import views

urlpatterns = [
    path("", views.overview, name="overview"),
    path("domains/", views.domain_list, name="domains"),
    path("sources/", views.sources, name="sources"),
    path("sources.csv", views.sources_csv, name="sources_csv"),
    path("senders/", views.senders, name="senders"),
    path("sources/<ip:ip>/", views.source, name="source"),
    path("status/", views.status, name="status"),
]
