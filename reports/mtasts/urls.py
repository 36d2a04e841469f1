"""The TLS pages: a domain's SMTP TLS reports and MTA-STS stage, and one receiving MX."""

from django.urls import path

from reports.mtasts import views

urlpatterns = [
    path("tls/<domain:domain>/", views.tls, name="tls"),
    path("tls/<domain:domain>/mx/<domain:mx>/", views.tls_mx, name="tls_mx"),
]
