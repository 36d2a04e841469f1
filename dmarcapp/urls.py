from django.contrib import admin
from django.templatetags.static import static
from django.urls import include, path
from django.views.generic import RedirectView

from reports.sso import views as sso


class FaviconView(RedirectView):
    # Resolved per request: the hashed name exists only once collectstatic has run.
    def get_redirect_url(self, *args, **kwargs):
        return static("favicon.svg")


urlpatterns = [
    # `next` is followed only to a path of this site (reports/access/redirects.py).
    # Single sign-on beside the password form; signing out ends the provider's session too (reports/sso/).
    path("login/", sso.LoginView.as_view(), name="login"),
    path("logout/", sso.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    # Browsers ask for /favicon.ico whatever the page says.
    path("favicon.ico", FaviconView.as_view()),
    path("", include("reports.urls")),
]
