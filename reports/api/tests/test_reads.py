"""The read endpoints through the running server: each persona's token, every endpoint of the other
domain (404), and the figures the pages show for the same domain, range and filters."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from reports.harness import pages
from reports.harness.api import Api, token_for
from reports.harness.builders import OTHER, OTHER_IP, OWN, OWN_IP
from reports.models import Report

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

# Every endpoint of the API about a domain (the registry), for GET.
ENDPOINTS = [p for p in pages.app_pages() if p.kind == pages.JSON and p.about_a_domain and p.reads]


def test_the_registry_lists_every_read_endpoint():
    names = {"api_readiness", "api_overview", "api_sources", "api_source", "api_senders", "api_reports",
             "api_report", "api_alerts"}  # fmt: skip
    assert {p.name for p in ENDPOINTS} >= names


@pytest.mark.parametrize("who", ["viewer", "operator", "member"])
def test_every_endpoint_of_the_other_domain_answers_404(live_server, people, scenario, who):
    api = Api(live_server.url, token_for(people[who], "read"))
    theirs = pages.subjects(OTHER)
    urls = [p.url(theirs) for p in ENDPOINTS]
    own = pages.subjects(OWN)
    # A source of the other domain asked under their own, and the other's report: not found either.
    urls += [f"/api/v1/domains/{OWN}/sources/{OTHER_IP}/", f"/api/v1/reports/{theirs.report}/"]
    urls += [f"/api/v1/domains/{OTHER}/sources/{OWN_IP}/", f"/api/v1/reports/{own.report + 10_000}/"]
    for url in urls:
        response = api.get(url)
        assert response.status_code == 404, (who, url, response.status_code)
        assert response.json()["status"] == 404
        assert OTHER not in response.text and "192.0.2.77" not in response.text, url


@pytest.mark.parametrize("who", ["viewer", "operator", "member", "superuser"])
def test_every_endpoint_of_their_domain_answers(live_server, people, scenario, who):
    api = Api(live_server.url, token_for(people[who], "read"))
    own = pages.subjects(OWN)
    for p in ENDPOINTS:
        response = api.get(p.url(own))
        assert response.status_code == p.ok, (who, p.name, response.status_code, response.text[:300])
        assert OTHER not in response.text, p.name


def test_the_figures_are_the_pages(live_server, people, scenario, viewer_client):
    api = Api(live_server.url, token_for(people["viewer"], "read"))
    ov = api.get(f"/api/v1/domains/{OWN}/overview/").json()
    page = viewer_client.get(f"/?domain={OWN}&range=30").context["ov"]
    assert ov["totals"]["messages"] == page.totals.messages == 674
    assert ov["totals"]["dmarc_pass"] == page.totals.dmarc_pass
    assert ov["sources"] == page.sources and ov["reporters"] == page.reporters
    assert len(ov["daily"]) == 30 and sum(d["messages"] for d in ov["daily"]) == 674
    # 90 days take in the older report.
    start = (date.fromisoformat(ov["end"]) - timedelta(days=89)).isoformat()
    wide = api.get(f"/api/v1/domains/{OWN}/overview/", params={"start": start}).json()
    assert wide["totals"]["messages"] == 674 + 7000 and wide["start"] == start and len(wide["daily"]) == 90

    sources = api.get(f"/api/v1/domains/{OWN}/sources/", params={"sort": "ip", "dir": "asc"}).json()
    rows = viewer_client.get(f"/sources/?domain={OWN}&range=30&sort=ip&dir=asc").context["rows"]
    assert [s["ip"] for s in sources["results"]] == [r.ip for r in rows]
    assert [s["messages"] for s in sources["results"]] == [r.messages for r in rows]
    assert sources["count"] == len(rows) == 3
    failing = api.get(f"/api/v1/domains/{OWN}/sources/", params={"failing": "true", "page_size": 1}).json()
    assert failing["count"] == 2 and len(failing["results"]) == 1 and failing["has_next"]
    searched = api.get(f"/api/v1/domains/{OWN}/sources/", params={"q": "198.51"}).json()
    assert [s["ip"] for s in searched["results"]] == ["198.51.100.7"]

    one = api.get(f"/api/v1/domains/{OWN}/sources/{OWN_IP}/", params={"page_size": 2}).json()
    assert one["totals"]["messages"] == 650 and len(one["records"]) == 2 and one["has_next"]
    assert {h["domain"] for h in one["header_from"]} == {OWN, "news.example.com"}

    reports = api.get(f"/api/v1/domains/{OWN}/reports/").json()
    assert reports["count"] == 4 and {r["domain"] for r in reports["results"]} == {OWN}
    report = Report.objects.filter(domain=OWN, org_name="Yahoo").get()
    detail = api.get(f"/api/v1/reports/{report.pk}/").json()
    assert detail["org_name"] == "Yahoo" and detail["records_page"]["count"] == 1
    assert detail["records_page"]["results"][0]["count"] == 50
    assert api.get(f"/api/v1/domains/{OWN}/reports/", params={"q": "yah"}).json()["count"] == 1

    senders = api.get(f"/api/v1/domains/{OWN}/senders/").json()
    assert sum(s["messages"] for s in senders["results"]) == 674
    assert api.get(f"/api/v1/domains/{OWN}/alerts/", params={"state": "all"}).json()["results"] == []


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"start": "yesterday"}, "start"),
        ({"start": "2026-02-01", "end": "2026-01-01"}, "params"),
        ({"start": "0001-01-01"}, "params"),
        ({"page": "0"}, "page"),
        ({"page_size": "501"}, "page_size"),
        ({"sort": "evil"}, "sort"),
        ({"category": "x"}, "category"),
        ({"asn": "ASX"}, "asn"),
    ],
)
def test_a_bad_parameter_is_a_400_that_names_it(live_server, people, scenario, query, field):
    api = Api(live_server.url, token_for(people["viewer"], "read"))
    response = api.get(f"/api/v1/domains/{OWN}/sources/", params=query)
    assert response.status_code == 400
    assert field in response.json()["fields"], response.json()
