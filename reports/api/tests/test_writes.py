"""Marks and monitored domains through the API, on the running server: who may, what is stored."""

from __future__ import annotations

import time

import pytest

from reports.harness.api import Api, token_for
from reports.harness.builders import OTHER, OWN
from reports.models import AuditEntry, Domain, SenderMark

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_an_operator_marks_a_source_with_a_marks_token_and_clears_it(live_server, people, scenario):
    url = f"/api/v1/domains/{OWN}/marks/"
    operator = Api(live_server.url, token_for(people["operator"], "marks", "read"))
    response = operator.post(url, json={"source": "198.51.100.7", "verdict": "not-ours"})
    assert response.status_code == 200, response.text
    assert response.json()["verdict"] == "not-ours" and response.json()["marked_by"] == "operator"
    mark = SenderMark.objects.get()
    assert (mark.domain, mark.value, mark.verdict) == (OWN, "198.51.100.7", "not-ours")
    assert [m["value"] for m in operator.get(url).json()["results"]] == ["198.51.100.7"]
    assert AuditEntry.objects.filter(action=AuditEntry.MARK, username="operator").exists()
    assert AuditEntry.objects.get(action=AuditEntry.API).detail["what"] == "mark"
    cleared = operator.post(url, json={"source": "198.51.100.7", "verdict": "clear"})
    assert cleared.json()["cleared"] is True and not SenderMark.objects.exists()
    # Bad bodies: a 400 that names the field.
    bodies = [({"source": "192.0.2.1", "verdict": "maybe"}, "verdict"), ({"verdict": "ours"}, "source"),
              ({"source": "not a source!", "verdict": "ours"}, "source"), ([1, 2], "source")]  # fmt: skip
    for body, field in bodies:
        bad = operator.post(url, json=body)
        assert bad.status_code == 400 and field in bad.json()["fields"], (body, bad.text)
    assert (
        operator.post(url, data="{not json", headers={"Content-Type": "application/json"}).status_code == 400
    )


def test_who_may_not_mark(live_server, people, scenario):
    body = {"source": "198.51.100.7", "verdict": "ours"}
    cases = [
        ("operator", ("read",), OWN, 403),  # the token lacks the scope
        ("viewer", ("marks",), OWN, 403),  # the role lacks the action
        ("operator", ("marks",), OTHER, 404),  # not their domain
        ("nobody", ("marks",), OWN, 404),
    ]
    for who, scopes, domain, status in cases:
        api = Api(live_server.url, token_for(people[who], *scopes))
        response = api.post(f"/api/v1/domains/{domain}/marks/", json=body)
        assert response.status_code == status, (who, scopes, domain, response.text)
        assert OTHER not in response.text
    assert not SenderMark.objects.exists()
    assert not AuditEntry.objects.filter(action__in=[AuditEntry.MARK, AuditEntry.API]).exists()


def test_an_admin_adds_ten_thousand_domains_in_one_request_in_seconds(live_server, people):
    api = Api(live_server.url, token_for(people["admin"], "marks"))
    Domain.objects.create(name="d00007.example.org")
    names = [f"d{i:05}.example.org" for i in range(10_000)]
    started = time.monotonic()
    response = api.post("/api/v1/domains/", json={"domains": [*names, "D00001.Example.ORG."]})
    took = time.monotonic() - started
    assert response.status_code == 200, response.text
    assert response.json() == {"added": 9_999, "existing": 1, "domains": 10_000}
    assert Domain.objects.filter(name__endswith=".example.org").count() == 10_000
    assert took < 10, took  # in seconds: one bulk insert, not a row a request
    entry = AuditEntry.objects.get(action=AuditEntry.DOMAINS)
    assert entry.detail["count"] == 9_999 and entry.username == "admin"
    # Again: nothing added twice.
    assert api.post("/api/v1/domains/", json={"domains": names[:10]}).json()["added"] == 0


def test_a_bulk_with_a_bad_name_adds_nothing_and_says_which(live_server, people):
    api = Api(live_server.url, token_for(people["admin"], "marks"))
    response = api.post("/api/v1/domains/", json={"domains": ["good.example", "bad name", 7, "x" * 300]})
    assert response.status_code == 400
    assert [e["index"] for e in response.json()["invalid"]] == [1, 2, 3], response.text
    assert not Domain.objects.filter(name="good.example").exists()
    assert api.post("/api/v1/domains/", json={"domains": "a.example"}).status_code == 400


def test_only_admins_add_domains(live_server, people):
    for who, scopes in [("operator", ("marks",)), ("viewer", ("marks",)), ("admin", ("read",))]:
        response = Api(live_server.url, token_for(people[who], *scopes)).post(
            "/api/v1/domains/", json={"domains": ["new.example"]}
        )
        assert response.status_code == 403, (who, scopes, response.text)
    assert not Domain.objects.filter(name="new.example").exists()
