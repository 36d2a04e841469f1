"""Query parameters and URL parts are hostile: a bad one gives a 400/404 or the default, never a 500."""

import pytest
from django.contrib.auth.models import User

from reports.demo.report_xml import record_xml
from reports.tests.dashboard import daily_report, import_ok

# The URLs a security review found answering 500 (issue 11), and their neighbours.
PROBES = [
    ("/reports/?q=%00", 200),
    ("/sources/?page=99999999999999999999", 200),
    ("/sources/192.0.2.1/?page=99999999999999999999", 200),
    ("/sources/?q=fe80::1%25eth0", 200),
    ("/sources.csv?q=fe80::1%25eth0", 200),
    ("/sources/fe80::1%25eth0/", 404),
    ("/?range=custom&start=0001-01-01&end=2026-01-01", 200),
    ("/?range=custom&start=2026-01-01&end=9999-12-31", 200),
    ("/sources/?range=custom&start=0001-01-01&end=9999-12-31", 200),
    ("/rollout/%00/", 404),
    ("/rollout/evil%2Fx.example/", 404),
    ("/rollout/example.com/?days=%00", 200),
    ("/reports/?page=-1", 200),
]


@pytest.fixture
def client(client, db):
    client.force_login(User.objects.create_user("operator", password="pw-operator-1"))
    import_ok(daily_report(1, [record_xml(ip="192.0.2.1", count=3)]))
    return client


@pytest.mark.parametrize(("url", "status"), PROBES)
def test_a_hostile_url_gets_a_clear_answer_not_a_500(client, url, status):
    assert client.get(url).status_code == status


def test_a_custom_range_at_the_ends_of_the_calendar_says_why_and_shows_the_default(client):
    for query in ("start=0001-01-01&end=0001-12-31", "start=9999-01-01&end=9999-12-31"):
        response = client.get(f"/?range=custom&{query}")
        assert response.status_code == 200
        assert "A range must lie between 1970-01-01 and 2999-12-31." in response.content.decode()
        assert response.context["preset"] == "30"


def test_a_bad_page_number_keeps_the_search(client):
    body = client.get("/sources/?q=192.0.2&page=99999999999999999999").content.decode()
    assert 'value="192.0.2"' in body and "192.0.2.1" in body
