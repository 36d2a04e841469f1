"""The API described: the OpenAPI 3 schema generated from the views (drf-spectacular), and the
reference page (Swagger UI from the app's static files, drf-spectacular-sidecar: no CDN). Both are
public: they describe the API, not any data."""

from __future__ import annotations

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.renderers import OpenApiJsonRenderer
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.permissions import AllowAny


class Schema(SpectacularAPIView):
    renderer_classes = [OpenApiJsonRenderer]
    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = []


class Reference(SpectacularSwaggerSplitView):
    """The page, then its start-up script from the same URL (?script): no inline script, as the CSP asks."""

    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = []
    title = "DMARC reports API"


class TokenScheme(OpenApiAuthenticationExtension):
    """Describes reports.api.auth.TokenAuthentication in the schema (registered by being defined)."""

    target_class = "reports.api.auth.TokenAuthentication"
    name = "token"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A personal API token (/account/tokens/): Authorization: Bearer TOKEN.",
        }
