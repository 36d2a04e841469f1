"""The app's pages: each package lists its own in its urls.py."""

from django.urls import include, path, re_path, register_converter

from reports import converters
from reports.api.account import account_tokens
from reports.dashboard.views import bad_url_part

# Only a valid domain name or IP address reaches a view (reports.shared.names). Registered before the
# packages' patterns are read.
register_converter(converters.DomainConverter, "domain")
register_converter(converters.IpConverter, "ip")

urlpatterns = [
    path("", include("reports.dashboard.urls")),
    path("", include("reports.ingest.urls")),
    path("", include("reports.marks.urls")),
    path("", include("reports.mail.urls")),
    path("", include("reports.rollout.urls")),
    path("", include("reports.mtasts.urls")),
    path("", include("reports.alerts.urls")),
    path("", include("reports.sources.urls")),
    path("", include("reports.sso.urls")),
    path("api/", include("reports.api.urls")),
    path("account/tokens/", account_tokens, name="account_tokens"),
    # What the converters refuse: a clear 400, not a 500 (nor a bare 404).
    re_path(r"^sources/[\s\S]+/$", bad_url_part, {"what": "an IP address"}),
    re_path(r"^rollout/[\s\S]+/$", bad_url_part, {"what": "a domain name"}),
    re_path(r"^tls/[\s\S]+/$", bad_url_part, {"what": "a domain name"}),
]
