"""The alert scenarios: weeks of real reports (reports.harness.rollout_scenarios), and the people who hear."""

from __future__ import annotations

import json
from io import StringIO

from django.contrib.auth import get_user_model
from django.core.management import call_command

from reports.harness.rollout_scenarios import Flow, google_workspace
from reports.models import AlertPreference


def ses_aligned(domain, **kw):
    """Amazon SES with Easy DKIM and a custom MAIL FROM: aligned."""
    return Flow(
        ["54.240.8.21"],
        120,
        dkim_results=((domain, "ses", "pass"),),
        spf_results=((f"bounce.{domain}", "mfrom", "pass"),),
        **kw,
    )


def ses_broken(domain, **kw):
    """The same SES after its Easy DKIM and custom MAIL FROM went: nothing aligns."""
    return Flow(
        ["54.240.8.21"],
        120,
        dkim="fail",
        spf="fail",
        dkim_results=(("amazonses.com", "224i4yxa5dv7c2xz3womw6peuasteono", "pass"),),
        spf_results=(("us-east-1.amazonses.com", "mfrom", "pass"),),
        **kw,
    )


def workspace(domain):
    return google_workspace(domain)


def people(*domains):
    """alice: every rule by email (no choice made); bob: only DNS alerts; carol: everything through a
    webhook, no email; dave: inactive; all four granted `domains`. erin may see no domain."""
    User = get_user_model()
    users = {
        "alice": User.objects.create_user("alice", "alice@ops.test", "pw"),
        "bob": User.objects.create_user("bob", "bob@ops.test", "pw"),
        "carol": User.objects.create_user("carol", "carol@ops.test", "pw"),
        "dave": User.objects.create_user("dave", "dave@ops.test", "pw", is_active=False),
    }
    for name in users:
        if domains:
            call_command("grant", name, *domains, role="viewer")
    User.objects.create_user("erin", "erin@ops.test", "pw")  # granted nothing
    return users


def choose(user, domain, rules, email=True, urls=""):
    AlertPreference.objects.update_or_create(
        user=user, domain=domain, defaults={"rules": rules, "email": email, "urls": urls}
    )


def alerts(*args) -> list[dict]:
    out = StringIO()
    call_command("alerts", "--json", *args, stdout=out)
    return [json.loads(line) for line in out.getvalue().splitlines() if line.strip()]
