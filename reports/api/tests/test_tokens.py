"""Tokens through the running server: who may read what, with which token, how often; and the command."""

from __future__ import annotations

import io
import json
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from reports.api.models import ApiToken
from reports.harness.api import Api, token_for
from reports.harness.builders import OTHER, OWN
from reports.models import AuditEntry

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def rollout_json(domain: str) -> dict:
    out = io.StringIO()
    call_command("rollout", domain, "--json", stdout=out)
    return json.loads(out.getvalue())


def assert_json_error(response, status: int) -> dict:
    assert response.status_code == status, (response.status_code, response.text)
    assert response.headers["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["status"] == status and body["error"]
    return body


def test_a_viewer_of_one_domain_reads_it_and_not_the_other(live_server, people, scenario):
    api = Api(live_server.url, token_for(people["viewer"], "read"))
    listed = api.get("/api/v1/domains/").json()
    assert [d["name"] for d in listed["results"]] == [OWN]
    assert listed["results"][0]["messages"] == 674
    # The other domain does not exist for them: 404, and nothing of it in the answer.
    response = api.get(f"/api/v1/domains/{OTHER}/readiness/")
    assert_json_error(response, 404)
    assert OTHER not in response.text
    # Before a worker has assessed the domain: 202, ask again.
    pending = api.get(f"/api/v1/domains/{OWN}/readiness/")
    assert pending.status_code == 202 and pending.json()["status"] == "pending"
    # The readiness is what `manage.py rollout DOMAIN --json` prints.
    printed = rollout_json(OWN)
    response = api.get(f"/api/v1/domains/{OWN}/readiness/")
    assert response.status_code == 200
    assert response.json() == printed
    assert {"reasons", "publish", "ready", "stage", "next_stage", "sources"} <= set(printed)
    # A window whose verdict is not kept is refused, naming the parameter.
    assert "days" in assert_json_error(api.get(f"/api/v1/domains/{OWN}/readiness/?days=7"), 400)["fields"]


def test_a_superuser_token_reads_every_domain(live_server, people, scenario):
    api = Api(live_server.url, token_for(people["superuser"], "read"))
    assert {d["name"] for d in api.get("/api/v1/domains/").json()["results"]} == {OWN, OTHER}
    assert api.get(f"/api/v1/domains/{OTHER}/readiness/").status_code == 202


def test_revoked_expired_unknown_and_missing_tokens_get_401(live_server, people, scenario):
    viewer = people["viewer"]
    revoked, expired = token_for(viewer, "read"), token_for(viewer, "read", expires_days=1)
    call_command(
        "api_token", "revoke", str(ApiToken.objects.get(prefix=revoked[:12]).pk), stdout=io.StringIO()
    )
    ApiToken.objects.filter(prefix=expired[:12]).update(expires=timezone.now() - timedelta(seconds=1))
    cases = {
        revoked: "revoked",
        expired: "expired",
        "dmarc_not-a-token": "not known",
        None: "credentials were not provided",
    }
    for token, says in cases.items():
        response = Api(live_server.url, token).get("/api/v1/domains/")
        body = assert_json_error(response, 401)
        assert says in body["error"], body
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
    bad_header = Api(live_server.url, None).get("/api/v1/domains/", headers={"Authorization": "Basic eDp5"})
    assert_json_error(bad_header, 401)


def test_a_token_without_the_read_scope_gets_403(live_server, people, scenario):
    api = Api(live_server.url, token_for(people["operator"], "ingest"))
    body = assert_json_error(api.get("/api/v1/domains/"), 403)
    assert "'read'" in body["error"]
    assert_json_error(api.get(f"/api/v1/domains/{OWN}/readiness/"), 403)


def test_a_user_without_a_grant_gets_403_on_the_list_and_404_on_a_domain(live_server, people, scenario):
    api = Api(live_server.url, token_for(people["nobody"], "read"))
    assert_json_error(api.get("/api/v1/domains/"), 403)
    assert_json_error(api.get(f"/api/v1/domains/{OWN}/readiness/"), 404)


def test_last_use_is_noted_at_most_once_a_minute(live_server, people, scenario):
    api = Api(live_server.url, token_for(people["viewer"], "read"))
    row = ApiToken.objects.get()
    assert row.last_used is None
    api.get("/api/v1/domains/")
    first = ApiToken.objects.get().last_used
    assert first is not None
    api.get("/api/v1/domains/")
    assert ApiToken.objects.get().last_used == first  # the second read wrote nothing
    ApiToken.objects.update(last_used=first - timedelta(minutes=2))
    api.get("/api/v1/domains/")
    assert ApiToken.objects.get().last_used > first


def test_requests_past_the_rate_get_429_per_token(live_server, people, scenario, settings):
    import time

    settings.DMARC_API_RATE_PER_MINUTE = 3
    # The count is per minute: four requests within one minute (a second try if the minute turned).
    for _ in range(2):
        busy = Api(live_server.url, token_for(people["viewer"], "read"))
        minute = int(time.time() // 60)
        answers = [busy.get("/api/v1/domains/") for _ in range(4)]
        if int(time.time() // 60) == minute:
            break
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert_json_error(answers[3], 429)
    assert 0 < int(answers[3].headers["Retry-After"]) <= 60
    other = Api(live_server.url, token_for(people["viewer"], "read"))
    assert other.get("/api/v1/domains/").status_code == 200  # another token has its own count


def test_errors_are_json_never_html(live_server, people, scenario):
    api = Api(live_server.url, token_for(people["superuser"], "read"))
    assert_json_error(api.get("/api/v1/no-such-endpoint/"), 404)
    assert_json_error(api.get("/api/v1/domains/-bad-/readiness/"), 400)
    assert_json_error(api.get(f"/api/v1/domains/{OWN}/nothing/"), 404)
    assert_json_error(api.get("/api/v1/domains/unknown.example/readiness/"), 404)
    html = api.get("/api/v1/domains/", headers={"Accept": "text/html"})
    assert html.status_code == 200 and html.headers["Content-Type"].startswith("application/json")


def test_the_command_creates_lists_and_revokes_and_each_is_audited(people):
    out = io.StringIO()
    args = [
        "create",
        "viewer",
        "--scope",
        "read",
        "--scope",
        "ingest",
        "--expires-days",
        "30",
        "--name",
        "ci",
    ]
    call_command("api_token", *args, "--json", stdout=out)
    made = json.loads(out.getvalue())
    assert made["token"].startswith("dmarc_") and made["scopes"] == ["read", "ingest"]
    row = ApiToken.objects.get(pk=made["id"])
    assert made["token"] not in (row.digest, row.prefix)  # only a hash is kept
    assert 29 <= (row.expires - timezone.now()).days <= 30
    listed = io.StringIO()
    call_command("api_token", "list", "viewer", "--json", stdout=listed)
    assert [t["id"] for t in json.loads(listed.getvalue())] == [row.pk]
    assert "token" not in json.loads(listed.getvalue())[0]
    call_command("api_token", "revoke", str(row.pk), stdout=io.StringIO())
    assert ApiToken.objects.get().revoked is not None
    entries = AuditEntry.objects.filter(action=AuditEntry.API_TOKEN).order_by("pk")
    assert [e.target.split()[0] for e in entries] == ["created", "revoked"]
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("api_token", "create", "viewer", "--scope", "read", "--expires-days", "0")
