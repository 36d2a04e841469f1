from django.contrib import admin
from django.templatetags.static import static
from django.urls import include, path
from django.views.generic import RedirectView

from reports.access import redirects


class FaviconView(RedirectView):
    # Resolved per request: the hashed name exists only once collectstatic has run.
    def get_redirect_url(self, *args, **kwargs):
        return static("favicon.svg")


urlpatterns = [
    # `next` is followed only to a path of this site (reports/access/redirects.py).
    path("login/", redirects.LoginView.as_view(), name="login"),
    path("logout/", redirects.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    # Browsers ask for /favicon.ico whatever the page says.
    path("favicon.ico", FaviconView.as_view()),
    path("", include("reports.urls")),
]
