"""Where a form may send the user back to: a path of this site, nothing else.

A `next` parameter is the user's (or an attacker's link's) to choose; Django's `redirect()` would even
take a bare word for the name of a view. Only a path ("/…", not "//host" nor "/\\host") is followed.
"""

from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.http import HttpResponseRedirect
from django.utils.http import url_has_allowed_host_and_scheme


def same_site_path(value: str | None) -> str:
    """`value` if it is a path of this site, else ""."""
    value = value or ""
    if not value.startswith("/") or value.startswith("//") or "\\" in value:
        return ""
    if any(ord(c) < 32 or ord(c) == 127 for c in value):
        return ""
    return value if url_has_allowed_host_and_scheme(value, allowed_hosts=set()) else ""


def back(request, default: str) -> HttpResponseRedirect:
    """A redirect to the POSTed `next` if it is a path of this site, else to `default` (a path)."""
    return HttpResponseRedirect(same_site_path(request.POST.get("next")) or default)


class LoginView(auth_views.LoginView):
    def get_redirect_url(self):
        return same_site_path(super().get_redirect_url())


class LogoutView(auth_views.LogoutView):
    def get_redirect_url(self):
        return same_site_path(super().get_redirect_url())
