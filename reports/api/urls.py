from django.urls import path, re_path

from reports.api import errors, views

urlpatterns = [
    path("v1/domains/", views.Domains.as_view(), name="api_domains"),
    path("v1/domains/<domain:domain>/readiness/", views.Readiness.as_view(), name="api_readiness"),
    # What no pattern above takes: JSON, never the site's HTML error pages.
    re_path(r"^v1/domains/(?P<part>[^/]+)/.*$", errors.bad_domain, name="api_bad_domain"),
    re_path(r"^.*$", errors.not_found, name="api_not_found"),
]
