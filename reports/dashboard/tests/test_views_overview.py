"""The overview page: login, domain and range, totals in messages, chart data."""

import json
import re

import pytest
from django.contrib.auth.models import User

from reports.demo.report_xml import record_xml
from reports.harness import pages
from reports.harness.builders import daily_report, import_ok

# Every page that asks for a sign-in (reports.harness.pages).
PAGES = [
    p.name
    for p in pages.app_pages()
    if p.reads and p.answer(pages.ANONYMOUS) == 302 and p.kind != pages.REDIRECT
]


def chart_data(response):
    m = re.search(rb'<script id="chart-data" type="application/json">(.*?)</script>', response.content, re.S)
    return json.loads(m.group(1))


@pytest.mark.django_db
@pytest.mark.parametrize("name", PAGES)
def test_it_sends_anonymous_visitors_to_login(name):
    from django.test import Client

    url = pages.page(name).url(pages.subjects())
    response = getattr(Client(), pages.page(name).methods[0].lower())(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/login/?next=")


@pytest.mark.django_db
def test_the_login_page_is_public_and_logs_in(db):
    from django.test import Client

    User.objects.create_superuser("alice", password="pw-alice-12")
    anon = Client()
    assert anon.get("/login/").status_code == 200
    response = anon.post("/login/", {"username": "alice", "password": "pw-alice-12"})
    assert response.status_code == 302 and response["Location"] == "/"
    assert anon.get("/").status_code == 200


def test_it_counts_messages_not_records(superuser_client, scenario):
    response = superuser_client.get("/?domain=example.com")
    ov = response.context["ov"]
    # 3 days of (100 + 100 + 5 + 3) plus Yahoo's 50; the 60-day-old report is outside 30 days.
    assert ov.totals.messages == 3 * 208 + 50
    assert ov.totals.dmarc_pass == 3 * 200 + 50
    assert ov.totals.quarantined == 15
    assert ov.sources == 3
    assert ov.reporters == 2
    assert b'data-total="messages">674<' in response.content


def test_it_defaults_to_30_days_and_follows_the_presets(superuser_client, scenario):
    assert superuser_client.get("/?domain=example.com").context["rng"].days == 30
    wide = superuser_client.get("/?domain=example.com&range=90").context
    assert wide["rng"].days == 90
    assert wide["ov"].totals.messages == 674 + 7000
    assert wide["ov"].sources == 4
    assert superuser_client.get("/?domain=example.com&range=7").context["ov"].totals.messages == 674


def test_it_takes_a_custom_range(superuser_client, scenario):
    from datetime import UTC, datetime

    from reports.harness.builders import day_start

    day = datetime.fromtimestamp(day_start(2), UTC).date().isoformat()
    response = superuser_client.get(f"/?domain=example.com&range=custom&start={day}&end={day}")
    assert response.context["rng"].days == 1
    assert response.context["ov"].totals.messages == 208 + 50


def test_a_backwards_custom_range_is_explained_and_the_default_shown(superuser_client, scenario):
    response = superuser_client.get("/?domain=example.com&range=custom&start=2026-02-01&end=2026-01-01")
    assert b"The start date is after the end date." in response.content
    assert response.context["rng"].days == 30


def test_the_domain_picker_lists_domains_busiest_first_and_switches(superuser_client, scenario):
    response = superuser_client.get("/?range=30")
    assert response.context["domains"] == ["example.com", "other.example"]
    assert response.context["domain"] == "example.com"
    other = superuser_client.get("/?domain=other.example")
    assert other.context["ov"].totals.messages == 11
    assert b'<option value="other.example" selected>' in other.content


def test_the_charts_get_daily_series_and_top_sources_as_json(superuser_client, scenario):
    data = chart_data(superuser_client.get("/?domain=example.com&range=7"))
    assert len(data["days"]) == 7
    assert sum(data["pass"]) + sum(data["fail"]) == 674
    assert sum(data["quarantine"]) == 15 and sum(data["reject"]) == 0
    assert sum(data["none"]) == 674 - 15
    assert data["top"]["labels"][0] == "192.0.2.10"
    assert data["top"]["pass"][0] == 650
    assert data["top"]["links"][0].startswith("/sources/192.0.2.10/?")


def test_a_multi_day_report_is_spread_over_its_days(superuser_client, db):
    from reports.harness.builders import day_start

    begin = day_start(4)
    import_ok(
        daily_report(4, [record_xml(count=10)]).replace(
            f"<end>{begin + 86399}</end>".encode(), f"<end>{begin + 2 * 86400}</end>".encode()
        )
    )
    data = chart_data(superuser_client.get("/?range=7"))
    assert [n for n in data["pass"] if n] == [5, 5]


def test_it_shows_an_empty_state_without_reports(superuser_client):
    response = superuser_client.get("/")
    assert response.status_code == 200
    assert b"No reports yet" in response.content
