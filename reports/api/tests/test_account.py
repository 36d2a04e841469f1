"""The account page of tokens and the admin's: a token is shown once, works, and is revoked there."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from reports.api.models import ApiToken
from reports.harness.api import Api
from reports.harness.builders import OWN
from reports.harness.web import Web
from reports.models import AuditEntry

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_a_viewer_makes_a_token_on_the_account_page_uses_it_and_revokes_it(live_server, people, scenario):
    web = Web(live_server.url, "viewer", "pw-viewer-1")
    page = web.post(reverse("account_tokens"), {"name": "ci gate", "scopes": ["read"], "expires_days": "7"})
    assert page.status_code == 200
    token = re.search(r'<code class="token">([^<]+)</code>', page.text).group(1)
    # Shown once: the list shows its prefix only.
    listed = web.get(reverse("account_tokens")).text
    assert token not in listed and token[:12] in listed and "ci gate" in listed
    api = Api(live_server.url, token)
    assert [d["name"] for d in api.get("/api/v1/domains/").json()["results"]] == [OWN]
    row = ApiToken.objects.get()
    assert row.user == people["viewer"] and row.scopes == ["read"] and row.expires is not None
    # Another user's token cannot be revoked from this page.
    mine = web.post(reverse("account_tokens"), {"revoke": str(row.pk)})
    assert mine.status_code == 302
    assert api.get("/api/v1/domains/").status_code == 401
    actions = list(AuditEntry.objects.filter(action=AuditEntry.API_TOKEN).values_list("username", flat=True))
    assert actions == ["viewer", "viewer"]


def test_a_token_of_another_user_is_not_revoked_from_my_page(live_server, people):
    from reports.harness.api import token_for

    theirs = token_for(people["operator"], "read")
    web = Web(live_server.url, "viewer", "pw-viewer-1")
    web.post(reverse("account_tokens"), {"revoke": str(ApiToken.objects.get().pk)})
    assert ApiToken.objects.get().revoked is None
    assert theirs[:12] not in web.get(reverse("account_tokens")).text


def test_the_admin_makes_a_token_shown_once_and_revokes_it(live_server, people, scenario):
    web = Web(live_server.url, "superuser", "pw-superuser-1")
    add = reverse("admin:reports_apitoken_add")
    response = web.post(add, {"user": str(people["viewer"].pk), "name": "siem", "scopes": ["read"],
                              "expires_days": "", "_save": "Save"})  # fmt: skip
    assert response.status_code == 302, response.text[:2000]
    shown = web.get(response.headers["Location"]).text
    token = re.search(r"shown only now: (dmarc_[A-Za-z0-9_-]+)", shown).group(1)
    assert Api(live_server.url, token).get("/api/v1/domains/").status_code == 200
    row = ApiToken.objects.get()
    changelist = reverse("admin:reports_apitoken_changelist")
    web.post(changelist, {"action": "revoke", "_selected_action": [str(row.pk)]})
    assert ApiToken.objects.get().revoked is not None
    assert Api(live_server.url, token).get("/api/v1/domains/").status_code == 401
