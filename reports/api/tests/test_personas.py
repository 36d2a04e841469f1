"""Every endpoint of the API (the registry of pages), with each kind of token a script may hold: what
each persona's token gets, and that a revoked, an expired and a scope-less token get nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from reports.api.models import ApiToken
from reports.harness import pages
from reports.harness.api import Api, token_for
from reports.harness.builders import OTHER, OWN
from reports.models import AuditEntry, Domain, SenderMark, Upload

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

# The endpoints that need a token (the schema, the reference page and the catch-alls need none).
ENDPOINTS = [p for p in pages.app_pages() if p.kind == pages.JSON and p.may != pages.PUBLIC]
SCOPE_OF = {"POST": {"api_push": "ingest"}, "GET": {"api_upload": "ingest"}}


def scope_for(page, method: str) -> str:
    return SCOPE_OF[method].get(page.name, "marks" if method == "POST" else "read")


def requests_of(domain: str):
    s = pages.subjects(domain)
    for page in ENDPOINTS:
        for method in page.methods:
            yield page, method, page.url(s)


def send(api: Api, method: str, url: str):
    return api.get(url) if method == "GET" else api.post(url, json={})


def test_the_matrix_covers_every_endpoint():
    assert len(ENDPOINTS) >= 12 and {p.name for p in ENDPOINTS} >= {"api_push", "api_marks", "api_domains"}


@pytest.mark.parametrize("role", ["viewer", "operator", "member", "admin", "nobody", "superuser"])
def test_each_personas_token_gets_what_the_registry_says(live_server, people, scenario, role):
    every = token_for(people[role], "read", "ingest", "marks")
    api = Api(live_server.url, every)
    wrong = []
    for domain in (OWN, OTHER):
        for page, method, url in requests_of(domain):
            if domain == OTHER and not page.about_a_domain:
                continue
            expected = page.answer(role, domain, method)
            if method == "POST" and expected in (None, page.ok):
                continue  # an allowed write is tested where its effect is
            got = send(api, method, url)
            if got.status_code != expected or "json" not in got.headers["Content-Type"]:
                wrong.append((page.name, method, url, expected, got.status_code))
            if domain == OTHER and role != "superuser":
                assert OTHER not in got.text, url
    assert not wrong, "\n".join(map(str, wrong))
    # Nothing a refused request asked for was done.
    assert not SenderMark.objects.exists() and not Upload.objects.exists()
    assert not AuditEntry.objects.filter(
        action__in=[AuditEntry.MARK, AuditEntry.API, AuditEntry.DOMAINS]
    ).exists()


def test_revoked_expired_and_scopeless_tokens_get_nothing_anywhere(live_server, people, scenario):
    superuser = people["superuser"]
    revoked = token_for(superuser, "read", "ingest", "marks")
    expired = token_for(superuser, "read", "ingest", "marks", expires_days=1)
    ApiToken.objects.filter(prefix=revoked[:12]).update(revoked=timezone.now())
    ApiToken.objects.filter(prefix=expired[:12]).update(expires=timezone.now() - timedelta(minutes=1))
    domains_before = Domain.objects.count()
    for page, method, url in requests_of(OWN):
        for token in (revoked, expired):
            got = send(Api(live_server.url, token), method, url)
            assert got.status_code == 401 and got.json()["status"] == 401, (page.name, method, got.text)
        # A token with every scope but the one this method needs.
        needed = scope_for(page, method)
        others = [s for s in ("read", "ingest", "marks") if s != needed]
        got = send(Api(live_server.url, token_for(superuser, *others)), method, url)
        assert got.status_code == 403 and f"'{needed}'" in got.json()["error"], (page.name, method, got.text)
    assert Domain.objects.count() == domains_before and not Upload.objects.exists()
