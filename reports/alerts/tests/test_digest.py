"""`manage.py digest` on real reports, to a real SMTP server; the unsubscribe link works without a login."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from reports.alerts.digest import last_digest_day
from reports.alerts.tasks import send_weekly_digests
from reports.alerts.tests.conftest import publish
from reports.harness.alert_scenarios import alerts, workspace
from reports.harness.rollout_scenarios import Flow, build
from reports.harness.smtp_server import parts
from reports.models import DigestSubscription

pytestmark = pytest.mark.django_db


def digest(*args) -> list[dict]:
    out = StringIO()
    call_command("digest", "--json", *args, stdout=out)
    return [json.loads(line) for line in out.getvalue().splitlines() if line.strip()]


def digests(smtp, address):
    return [m for m in smtp.to(address) if m["Subject"].strip().startswith("[DMARC digest]")]


@pytest.fixture
def users(django_user_model):
    alice = django_user_model.objects.create_user("alice", "alice@ops.test", "pw")
    bob = django_user_model.objects.create_user("bob", "bob@ops.test", "pw")
    DigestSubscription.objects.create(user=bob, enabled=False)
    django_user_model.objects.create_user("erin", "", "pw")  # no address: nothing to send to
    frank = django_user_model.objects.create_user("frank", "frank@ops.test", "pw")
    for name in ("alice", "bob", "erin", "frank"):
        call_command("grant", name, "digest.example", role="viewer")
    django_user_model.objects.create_user("gus", "gus@ops.test", "pw")  # granted nothing: no digest
    return alice, bob, frank


def test_each_subscribed_user_gets_a_digest_with_the_weeks_figures(dns, settings, smtp, users):
    d = "digest.example"
    publish(dns, settings, d, f"v=DMARC1; p=reject; rua=mailto:dmarc@{d}")
    spoof = Flow(["198.51.100.23"], 40, dkim="fail", spf="fail", dkim_results=(),
                 spf_results=((d, "mfrom", "fail"),), since_days=1, disposition="reject")  # fmt: skip
    build(d, [workspace(d), spoof], p="reject", days=20)
    assert [x["rule"] for x in alerts()] == ["new-source"]

    results = digest()
    assert [(r["user"], r["sent"], r["quiet"], r["domains"]) for r in results] == [
        ("alice", True, False, [d]),
        ("frank", True, False, [d]),
    ]
    assert digests(smtp, "bob@ops.test") == []
    for address in ("alice@ops.test", "frank@ops.test"):
        (msg,) = digests(smtp, address)
        text, html = parts(msg)
        # This week: 600 aligned messages a day, and 80 spoofed on the last day; the week before, 600 a day.
        assert "Messages: 4,280 (week before: 4,200)" in text
        assert "DMARC pass: 98.1% (week before: 100.0%)" in text
        assert "198.51.100.23: unknown, 80 messages" in text
        assert "[info] digest.example: 1 new unknown source" in text
        assert "Stage: p=reject, the last stage" in text
        assert f"http://dash.test/?domain={d}" in text
        assert "<strong>4,280</strong>" in html and "<strong>98.1%</strong>" in html
        assert msg["List-Unsubscribe"].strip().startswith("<http://dash.test/alerts/unsubscribe/")

    # Run twice the same day: nothing more.
    assert [r["already_sent"] for r in digest()] == [True, True]
    assert len(digests(smtp, "alice@ops.test")) == 1

    # Alice unsubscribes from her mail, without signing in.
    text, _ = parts(digests(smtp, "alice@ops.test")[0])
    link = re.search(r"Unsubscribe from this digest: (\S+)", text).group(1)
    path = link.removeprefix("http://dash.test")
    client = Client()
    page = client.get(path)
    assert page.status_code == 200 and b"Stop the weekly digest to alice@ops.test?" in page.content
    assert client.post(path).status_code == 200
    assert DigestSubscription.objects.get(user=users[0]).enabled is False
    assert [r["user"] for r in digest()] == ["frank"]
    assert client.get(path[:-5] + "xxxx/").status_code == 400


def test_a_quiet_week_makes_a_short_digest(dns, settings, smtp, users):
    d = "quiet.example"
    call_command("grant", "frank", d, role="viewer")
    publish(dns, settings, d, f"v=DMARC1; p=reject; rua=mailto:dmarc@{d}")
    build(d, [workspace(d)], p="reject", days=20)

    assert [(r["user"], r["quiet"], r["sent"]) for r in digest("--user", "frank", "--dry-run")] == [
        ("frank", True, False)
    ]
    assert smtp.messages == []
    assert [(r["user"], r["quiet"], r["sent"]) for r in digest("--user", "frank")] == [("frank", True, True)]
    (msg,) = digests(smtp, "frank@ops.test")
    assert msg["Subject"].strip().endswith("· all quiet")
    text, _ = parts(msg)
    assert "Messages: 4,200 (week before: 4,200)" in text and "DMARC pass: 100.0%" in text
    assert "New sources" not in text and "Open alerts" not in text
    assert digests(smtp, "alice@ops.test") == []

    # Beat's hourly look, on the digest day after its hour: the others get theirs, frank none twice.
    settings.DMARC_DIGEST_DAY, settings.DMARC_DIGEST_HOUR = timezone.now().weekday(), 0
    send_weekly_digests.apply().get()
    assert len(digests(smtp, "alice@ops.test")) == 1 and len(digests(smtp, "frank@ops.test")) == 1
    assert digests(smtp, "bob@ops.test") == []


def test_the_digest_day_is_the_last_scheduled_day_and_hour(settings):
    settings.DMARC_DIGEST_DAY, settings.DMARC_DIGEST_HOUR = 0, 8  # Mondays, 08:00 UTC
    monday = datetime(2026, 6, 8, tzinfo=UTC)
    assert last_digest_day(monday.replace(hour=9)) == monday.date()
    assert last_digest_day(monday.replace(hour=7)) == monday.date() - timedelta(days=7)
    assert last_digest_day(monday + timedelta(days=3)) == monday.date()


def test_beat_evaluates_retries_and_looks_for_the_digest_on_schedule(settings):
    from dmarcapp.celery import app

    schedule = {e["task"]: e["schedule"] for e in app.conf.beat_schedule.values()}
    assert schedule["reports.alerts.tasks.evaluate_alerts"] == settings.DMARC_ALERT_INTERVAL
    assert schedule["reports.alerts.tasks.send_alert_deliveries"] == 60
    assert schedule["reports.alerts.tasks.send_weekly_digests"] == 3600
