"""The rollout assistant's pages."""

from django.urls import path

from reports.rollout import views

urlpatterns = [
    path("rollout/how/", views.how, name="rollout_how"),
    path("rollout/<domain:domain>/", views.readiness, name="rollout"),
    path("rollout/<domain:domain>/refresh-dns/", views.refresh_dns, name="rollout_refresh"),
]
