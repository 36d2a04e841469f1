"""Hostile parameters on every endpoint of the API: a 200, 202 or a JSON 400 that says why, never a 500
and never HTML (property-based, as for the pages)."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reports.demo.report_xml import record_xml
from reports.harness import pages
from reports.harness.builders import daily_report, import_ok

ENDPOINTS = [p.name for p in pages.app_pages() if p.kind == pages.JSON and p.reads and p.ok < 400]
PARAMETERS = sorted({name for n in ENDPOINTS for name in pages.page(n).params})
texts = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40)
values = st.one_of(
    texts,
    st.integers().map(str),
    st.integers(min_value=10**15, max_value=10**40).map(str),
    st.dates().map(date.isoformat),
    st.ip_addresses().map(str),
    st.sampled_from(["true", "false", "on", "0", "-1", "14", "30", "all", "open", "ip", "asc", "AS15169"]),
)
queries = st.dictionaries(st.sampled_from(PARAMETERS), values, max_size=6)


@pytest.fixture
def endpoints(superuser_client):
    import_ok(daily_report(1, [record_xml(ip="192.0.2.1", count=3)]))
    s = pages.subjects("example.com", ip="192.0.2.1")
    return [pages.page(name).url(s) for name in ENDPOINTS]


def test_the_fuzz_reaches_every_endpoint_and_parameter():
    assert len(ENDPOINTS) >= 9
    assert {"start", "end", "page", "page_size", "q", "sort", "days", "state", "asn"} <= set(PARAMETERS)


@pytest.mark.slow
@settings(
    max_examples=25 * len(ENDPOINTS),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data(), query=queries)
def test_no_parameter_makes_an_endpoint_fail(superuser_client, endpoints, data, query):
    url = data.draw(st.sampled_from(endpoints), label="endpoint")
    response = superuser_client.get(url, query)
    assert response.status_code in (200, 202, 400), (url, query, response.status_code)
    assert "json" in response["Content-Type"], (url, query)
    if response.status_code == 400:
        assert response.json()["error"], (url, query)


@pytest.mark.slow
@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    part=st.one_of(texts, st.ip_addresses().map(str)), tail=st.sampled_from(["readiness/", "sources/", ""])
)
def test_no_path_part_makes_an_endpoint_fail(superuser_client, endpoints, part, tail):
    from urllib.parse import quote

    for path in (f"/api/v1/domains/{quote(part, safe='')}/{tail}",
                 f"/api/v1/domains/example.com/sources/{quote(part, safe='')}/",
                 f"/api/v1/reports/{quote(part, safe='')}/"):  # fmt: skip
        response = superuser_client.get(path)
        assert response.status_code in (200, 202, 400, 404), (path, response.status_code)
        assert response["Content-Type"].startswith("application/json"), path
