"""The API described: the OpenAPI schema is valid (openapi-spec-validator), names every endpoint, and
the reference page is served from the app's own static files."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from openapi_spec_validator import validate

from reports.harness import pages

pytestmark = pytest.mark.django_db


def test_the_schema_is_valid_openapi_3_and_names_every_endpoint(client):
    response = client.get("/api/v1/schema/")
    assert response.status_code == 200
    schema = response.json()
    validate(schema)  # raises on any error
    assert schema["openapi"].startswith("3.")
    paths = set(schema["paths"])
    # The API's JSON endpoints: RFC 8460's /tlsrpt/ answers JSON too, but is no part of the API.
    endpoints = [p for p in pages.app_pages() if p.kind == pages.JSON and p.name.startswith("api_") and
                 p.name not in ("api_schema", "api_bad_domain", "api_not_found")]  # fmt: skip
    s = pages.subjects("example.com")
    for p in endpoints:
        url = p.url(s)
        templated = re.sub(r"/example\.com/", "/{domain}/", url)
        templated = re.sub(r"/192\.0\.2\.10/", "/{ip}/", templated)
        templated = re.sub(r"/\d+/$", "/{id}/", templated)
        assert templated in paths, (p.name, templated, sorted(paths))
        for method in p.methods:
            assert method.lower() in schema["paths"][templated], (p.name, method)
    assert "token" in schema["components"]["securitySchemes"]
    push = schema["paths"]["/api/v1/reports/"]["post"]
    assert "202" in push["responses"] and "application/octet-stream" in push["requestBody"]["content"]


def test_the_reference_page_loads_its_scripts_from_this_site(client):
    page = client.get(reverse("api_docs"))
    assert page.status_code == 200
    html = page.content.decode()
    sources = re.findall(r'<script src="([^"]+)"', html) + re.findall(
        r'<link rel="stylesheet" href="([^"]+)"', html
    )
    assert len(sources) >= 4
    assert all(src.startswith("/") and not src.startswith("//") for src in sources), sources
    assert "<style" not in html and not re.search(r"<script>", html)
    script = client.get(reverse("api_docs") + "?script=")
    assert script.status_code == 200 and "/api/v1/schema/" in script.content.decode()
    from django.contrib.staticfiles import finders

    assert finders.find("drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js")
