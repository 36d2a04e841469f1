from django.urls import path

from reports.sso import views

urlpatterns = [
    path("oidc/authenticate/", views.SsoStart.as_view(), name="sso_start"),
    path("oidc/callback/", views.SsoCallback.as_view(), name="sso_callback"),
]
