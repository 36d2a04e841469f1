"""The alerts pages."""

from django.urls import path

from reports.alerts import views

urlpatterns = [
    path("alerts/", views.alerts, name="alerts"),
    path("alerts/settings/", views.settings_page, name="alert_settings"),
    path("alerts/unsubscribe/<str:token>/", views.unsubscribe, name="alerts_unsubscribe"),
]
